"""surge: performance testing for web backends.

Import has no side effects: no event-loop policy, no patching, no signal handlers.
"""

from surge import checks
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
from surge.scenario.shape import LoadShape
from surge.thresholds import Threshold
from surge.version import __version__

__all__ = [
    "ErrorKind",
    "Histogram",
    "HttpSession",
    "LoadShape",
    "Response",
    "RunResult",
    "Scenario",
    "ScenarioError",
    "Snapshot",
    "Threshold",
    "User",
    "WaitTime",
    "__version__",
    "between",
    "checks",
    "constant",
    "constant_pacing",
    "load_scenario",
    "task",
]
