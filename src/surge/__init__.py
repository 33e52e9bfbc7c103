"""surge: performance testing for web backends.

Import has no side effects: no event-loop policy, no patching, no signal handlers.
"""

from surge.metrics import ErrorKind, Histogram, RunResult, Snapshot
from surge.scenario import (
    HttpSession,
    Response,
    Scenario,
    ScenarioError,
    User,
    WaitTime,
    between,
    constant,
    constant_pacing,
    load_scenario,
    task,
)
from surge.version import __version__

__all__ = [
    "ErrorKind",
    "Histogram",
    "HttpSession",
    "Response",
    "RunResult",
    "Scenario",
    "ScenarioError",
    "Snapshot",
    "User",
    "WaitTime",
    "__version__",
    "between",
    "constant",
    "constant_pacing",
    "load_scenario",
    "task",
]
