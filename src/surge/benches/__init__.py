"""surge.benches: benchmarks of Python callables — sync or async, serial rounds or concurrency
sweeps, memory and query counts, thresholds — with the same store, compare and reports as load
runs (docs/benchmarks-python.md).

The package is named `benches` so that it never shadows the `surge.bench` decorator.
"""

from surge.benches.api import BenchResult, bench, benchmark, marked_options, run_spec
from surge.benches.asgi import AsgiRequest, AsgiStatusError
from surge.benches.calls import Call, bench_loop, error_name, flavor_of
from surge.benches.record import bench_run, run_result
from surge.benches.run import run_bench
from surge.benches.serial import Plan, Samples, sample_serially
from surge.benches.spec import BenchSpec, spec_from_options
from surge.benches.stats import per_call_ns, stats_of
from surge.metrics.bench import BenchKind as Kind

__all__ = [
    "AsgiRequest",
    "AsgiStatusError",
    "BenchResult",
    "BenchSpec",
    "Call",
    "Kind",
    "Plan",
    "Samples",
    "bench",
    "bench_loop",
    "bench_run",
    "benchmark",
    "error_name",
    "flavor_of",
    "marked_options",
    "per_call_ns",
    "run_bench",
    "run_result",
    "run_spec",
    "sample_serially",
    "spec_from_options",
    "stats_of",
]
