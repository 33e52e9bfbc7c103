"""surge: performance testing for web backends.

Import has no side effects: no event-loop policy, no patching, no signal handlers.
"""

import importlib as _importlib
import typing as _typing

from surge import checks
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
from surge.thresholds import Threshold
from surge.version import __version__

if _typing.TYPE_CHECKING:
    from surge.compare import Comparison, Finding, Tolerances, Verdict
    from surge.compare_api import compare_to_baseline
    from surge.store import Store, StoreError, establish_baseline

# Names imported on first use (PEP 562): the store (SQLAlchemy) and the statistics (SciPy) stay
# out of `import surge`, which every scenario script and worker process runs.
_LAZY: dict[str, str] = {
    "Comparison": "surge.compare",
    "Finding": "surge.compare",
    "Store": "surge.store",
    "StoreError": "surge.store",
    "Tolerances": "surge.compare",
    "Verdict": "surge.compare",
    "compare_to_baseline": "surge.compare_api",
    "establish_baseline": "surge.store",
}


def __getattr__(name: str) -> _typing.Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'surge' has no attribute {name!r}")
    value = getattr(_importlib.import_module(module), name)
    globals()[name] = value
    return value


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
