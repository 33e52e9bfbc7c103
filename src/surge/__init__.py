"""surge: performance testing for web backends.

Import has no side effects: no event-loop policy, no patching, no signal handlers.
"""

from surge import checks
from surge.compare import Comparison, Finding, Tolerances, Verdict
from surge.compare_api import compare_to_baseline
from surge.metrics import ErrorKind, Histogram, RunResult, Snapshot
from surge.monitor import MemoryTracker, ResourceSampler
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
from surge.store import Store, StoreError, establish_baseline
from surge.thresholds import Threshold
from surge.version import __version__

__all__ = [
    "Comparison",
    "ErrorKind",
    "Finding",
    "Histogram",
    "HttpSession",
    "LoadShape",
    "MemoryTracker",
    "ResourceSampler",
    "Response",
    "RunResult",
    "Scenario",
    "ScenarioError",
    "Snapshot",
    "Store",
    "StoreError",
    "Threshold",
    "Tolerances",
    "User",
    "Verdict",
    "WaitTime",
    "__version__",
    "between",
    "checks",
    "compare_to_baseline",
    "constant",
    "constant_pacing",
    "establish_baseline",
    "load_scenario",
    "task",
]
