"""surge: performance testing for web backends.

Import has no side effects: no event-loop policy, no patching, no signal handlers. Every name
loads on first use (PEP 562), so `import surge` (and every `surge.*` import, the CLI's included)
costs next to nothing until a name is used.
"""

import typing as _typing

from surge.lazy_names import lazy_getattr as _lazy_getattr
from surge.version import __version__

if _typing.TYPE_CHECKING:
    from surge import checks
    from surge.benches import BenchResult, bench, benchmark
    from surge.compare import Comparison, Finding, Tolerances, Verdict
    from surge.config import ConfigError, RunConfig
    from surge.engine.http.response import BodyTooLargeError
    from surge.metrics import ErrorKind, ExitCode, Figures, Histogram, RunResult, Snapshot
    from surge.metrics.bench import BenchKind as Kind
    from surge.monitor import MemoryTracker, ResourceSampler
    from surge.runner import (
        ControlError,
        Notice,
        Observer,
        Progress,
        RunControl,
        RunObserver,
        Runs,
        RunStart,
        run,
        run_async,
        run_many,
        to_json,
    )
    from surge.runner.baselines import compare_to_baseline, establish_baseline, open_store
    from surge.scenario import (
        EndpointSpec,
        HttpSession,
        Response,
        Scenario,
        ScenarioError,
        SseEvent,
        User,
        WaitTime,
        WebSocket,
        WebSocketClient,
        WsMessage,
        between,
        constant,
        constant_pacing,
        load_scenario,
        task,
    )
    from surge.scenario.shape import LoadShape
    from surge.store import Store, StoreError
    from surge.thresholds import Threshold

# Names imported on first use (PEP 562): results (NumPy), the monitor (psutil), the runner (the
# engine), the store (SQLAlchemy) and the statistics (SciPy) stay out of `import surge`, which
# every scenario script and worker runs: it loads the scripting API only.
_LAZY: dict[str, str] = {
    "BenchResult": "surge.benches",
    "BodyTooLargeError": "surge.engine.http.response",
    "bench": "surge.benches",
    "benchmark": "surge.benches",
    "HttpSession": "surge.scenario",
    "LoadShape": "surge.scenario.shape",
    "Response": "surge.scenario",
    "Scenario": "surge.scenario",
    "ScenarioError": "surge.scenario",
    "SseEvent": "surge.scenario",
    "User": "surge.scenario",
    "WebSocket": "surge.scenario",
    "WebSocketClient": "surge.scenario",
    "WsMessage": "surge.scenario",
    "WaitTime": "surge.scenario",
    "between": "surge.scenario",
    "constant": "surge.scenario",
    "constant_pacing": "surge.scenario",
    "load_scenario": "surge.scenario",
    "task": "surge.scenario",
    "ErrorKind": "surge.metrics",
    "Histogram": "surge.metrics",
    "Kind": "surge.metrics.bench:BenchKind",  # what a benchmark measures
    "MemoryTracker": "surge.monitor",
    "ResourceSampler": "surge.monitor",
    "RunResult": "surge.metrics",
    "Snapshot": "surge.metrics",
    "Threshold": "surge.thresholds",
    "Comparison": "surge.compare",
    "ConfigError": "surge.config",
    "ControlError": "surge.runner",
    "EndpointSpec": "surge.scenario",
    "ExitCode": "surge.metrics",
    "Figures": "surge.metrics",
    "Finding": "surge.compare",
    "Notice": "surge.runner",
    "Observer": "surge.runner",
    "Progress": "surge.runner",
    "RunConfig": "surge.config",
    "RunControl": "surge.runner",
    "RunObserver": "surge.runner",
    "RunStart": "surge.runner",
    "Runs": "surge.runner",
    "Store": "surge.store",
    "StoreError": "surge.store",
    "Tolerances": "surge.compare",
    "Verdict": "surge.compare",
    "compare_to_baseline": "surge.runner.baselines",
    "establish_baseline": "surge.runner.baselines",
    "open_store": "surge.runner.baselines",
    "run": "surge.runner",
    "run_async": "surge.runner",
    "run_many": "surge.runner",
    "to_json": "surge.runner",
}


__getattr__ = _lazy_getattr(globals(), _LAZY, submodules=("checks",))  # check constructors


__all__ = [
    "BenchResult",
    "BodyTooLargeError",
    "Comparison",
    "ConfigError",
    "ControlError",
    "EndpointSpec",
    "ErrorKind",
    "ExitCode",
    "Figures",
    "Finding",
    "Histogram",
    "HttpSession",
    "Kind",
    "LoadShape",
    "MemoryTracker",
    "Notice",
    "Observer",
    "Progress",
    "ResourceSampler",
    "Response",
    "RunConfig",
    "RunControl",
    "RunObserver",
    "RunResult",
    "RunStart",
    "Runs",
    "Scenario",
    "ScenarioError",
    "Snapshot",
    "SseEvent",
    "Store",
    "StoreError",
    "Threshold",
    "Tolerances",
    "User",
    "Verdict",
    "WaitTime",
    "WebSocket",
    "WebSocketClient",
    "WsMessage",
    "__version__",
    "bench",
    "benchmark",
    "between",
    "checks",
    "compare_to_baseline",
    "constant",
    "constant_pacing",
    "establish_baseline",
    "load_scenario",
    "open_store",
    "run",
    "run_async",
    "run_many",
    "task",
    "to_json",
]
