"""The values of a benchmark of a Python callable: what `surge.benchmark` measured.

A bench measures per-call time. Serially, `iterations` calls are timed together as one sample
(calibrated so a sample is far longer than the timer's resolution) and each sample gives one
per-call time; under a concurrency level every call is timed on its own. Statistics are exact
(computed from every sample, not from buckets); the HDR `Histogram`s beside them hold per-call
times in **nanoseconds** (not the microseconds of a load run's histograms) so that they merge and
export like any other histogram without losing sub-microsecond calls.

These values live in `surge.metrics` because a stored run carries them (`RunResult.benches`):
the store and compare read them like every other result value.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from surge.metrics.histogram import Histogram
from surge.metrics.threshold_verdict import ThresholdVerdict


class BenchKind(enum.Enum):
    """What a bench measures; groups reports (`surge.Kind`)."""

    API_ENDPOINT = "api_endpoint"
    DATABASE_QUERY = "database_query"
    CACHE_OPERATION = "cache_operation"
    CONCURRENT_LOAD = "concurrent_load"
    CALLABLE = "callable"

    @property
    def tag(self) -> str:
        """The short label a bench's row carries where a load run shows its HTTP method."""
        return _TAGS[self]

    @property
    def title(self) -> str:
        return self.value.replace("_", " ")


_TAGS: Mapping[BenchKind, str] = {
    BenchKind.API_ENDPOINT: "API",
    BenchKind.DATABASE_QUERY: "DB",
    BenchKind.CACHE_OPERATION: "CACHE",
    BenchKind.CONCURRENT_LOAD: "LOAD",
    BenchKind.CALLABLE: "CALL",
}


class Flavor(enum.Enum):
    """How the callable is called: directly, or awaited on a uvloop event loop."""

    SYNC = "sync"
    ASYNC = "async"


class Pool(enum.Enum):
    """What runs the callers of a concurrency level."""

    THREADS = "threads"  # sync callables: one thread per caller
    PROCESSES = "processes"  # sync, CPU-bound callables (`processes=True`): one process each
    TASKS = "tasks"  # async callables: one task per caller on one event loop


def _no_errors() -> Mapping[str, int]:
    return {}


def _no_extra() -> Mapping[str, Any]:
    return {}


@dataclass(frozen=True, slots=True)
class BenchStats:
    """Per-call time statistics in milliseconds, exact over every sample.

    `rounds` samples of `iterations` calls each (a sample's per-call time is its time divided
    by `iterations`); `calls` successful timed calls; `errors` calls that raised (never timed as
    successes). `ops` is successful calls per second: of timed time serially, of wall time under
    concurrency. Quartiles and percentiles interpolate linearly between samples; `stddev_ms` is
    the sample standard deviation. `outliers_iqr` counts samples beyond 1.5 IQR of the quartiles,
    `outliers_stddev` those beyond one standard deviation of the mean (pytest-benchmark's two
    counts); none is dropped.
    """

    rounds: int
    iterations: int
    calls: int
    errors: int
    min_ms: float
    max_ms: float
    mean_ms: float
    stddev_ms: float
    median_ms: float
    q1_ms: float
    q3_ms: float
    p75_ms: float
    p90_ms: float
    p95_ms: float
    p99_ms: float
    p999_ms: float
    ops: float
    total_s: float
    outliers_iqr: int = 0
    outliers_stddev: int = 0

    @property
    def iqr_ms(self) -> float:
        return self.q3_ms - self.q1_ms

    @property
    def p50_ms(self) -> float:
        return self.median_ms

    @property
    def error_rate(self) -> float:
        """Errors over all calls made (0.0 to 1.0)."""
        attempted = self.calls + self.errors
        return self.errors / attempted if attempted else 0.0

    @staticmethod
    def empty(errors: int = 0) -> BenchStats:
        """Nothing timed (every call raised, or nothing ran)."""
        zero = 0.0
        return BenchStats(
            rounds=0, iterations=0, calls=0, errors=errors, min_ms=zero, max_ms=zero,
            mean_ms=zero, stddev_ms=zero, median_ms=zero, q1_ms=zero, q3_ms=zero, p75_ms=zero,
            p90_ms=zero, p95_ms=zero, p99_ms=zero, p999_ms=zero, ops=zero, total_s=zero,
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class BenchSlice:
    """One stretch of a concurrency level (about a tenth of it): the unit a comparison of two
    single runs resamples, like a load run's one-second intervals."""

    duration_ns: int
    calls: int
    errors: int
    latency_ns: Histogram


@dataclass(frozen=True, slots=True)
class BenchLevel:
    """One concurrency level of a sweep: `concurrency` callers at once, every call timed."""

    concurrency: int
    pool: Pool
    stats: BenchStats
    latency_ns: Histogram
    wall_s: float
    errors_by_type: Mapping[str, int] = field(default_factory=_no_errors)
    slices: tuple[BenchSlice, ...] = ()
    thresholds: tuple[ThresholdVerdict, ...] = ()

    @property
    def passed(self) -> bool:
        return all(v.passed for v in self.thresholds)


@dataclass(frozen=True, slots=True)
class MemorySite:
    """Net Python-heap growth at one allocation site (`file:line`)."""

    where: str
    size_bytes: int
    count: int


@dataclass(frozen=True, slots=True)
class BenchMemory:
    """Memory of `calls` calls made in a pass of their own (never the timed one).

    `increase_bytes` is the process's resident set growth (RSS after minus before, tracing
    off); `peak_bytes` the tracemalloc peak above the start and `retained_bytes` what was still
    allocated at the end (net of frees), with the `top` sites that kept the most.
    """

    calls: int
    increase_bytes: int
    peak_bytes: int
    retained_bytes: int
    top: tuple[MemorySite, ...] = ()


@dataclass(frozen=True, slots=True)
class Calibration:
    """How the measurement was set up, and what the harness itself costs.

    `overhead_ns` is the per-call time of an empty callable of the same flavour through the same
    harness (for an async bench: an empty coroutine awaited on the loop); `loop_trip_ns` the cost
    of one trip through the event loop (`await asyncio.sleep(0)`), None for sync benches.
    `timer_resolution_ns` is the smallest step of `perf_counter_ns` seen back to back.
    """

    timer_resolution_ns: float
    overhead_ns: float
    loop_trip_ns: float | None
    warmup_rounds: int
    gc_disabled: bool
    target_sample_ns: int


@dataclass(frozen=True, slots=True)
class BenchEntry:
    """Everything one bench measured.

    Serial measurements keep every sample's total time (`sample_ns`, `stats.iterations` calls
    each) in order, and `error_at` the sample positions where a sample raised (so errors stay in
    sequence for resampling). A sweep fills `levels` instead, one per concurrency level; then
    `stats` are those of the level with the highest throughput. `thresholds` hold the verdicts on
    `stats` (serial) or on every level (a sweep). `queries_per_call` is set when queries were
    counted (SQLAlchemy cursor executions per call). `extra` is free-form user data (JSON values).
    """

    name: str
    kind: BenchKind
    flavor: Flavor
    stats: BenchStats
    calibration: Calibration
    latency_ns: Histogram = field(default_factory=Histogram.empty)
    sample_ns: tuple[int, ...] = ()
    error_at: tuple[int, ...] = ()
    errors_by_type: Mapping[str, int] = field(default_factory=_no_errors)
    levels: tuple[BenchLevel, ...] = ()
    memory: BenchMemory | None = None
    queries_per_call: float | None = None
    thresholds: tuple[ThresholdVerdict, ...] = ()
    group: str | None = None
    extra: Mapping[str, Any] = field(default_factory=_no_extra)
    warnings: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        return all(v.passed for v in self.thresholds) and all(level.passed for level in self.levels)

    @property
    def peak_level(self) -> BenchLevel | None:
        """The level with the highest throughput (the first of equals), None without a sweep."""
        if not self.levels:
            return None
        return max(self.levels, key=lambda level: level.stats.ops)

    @property
    def first_failing_level(self) -> BenchLevel | None:
        """The lowest concurrency at which a threshold failed, None when every level held."""
        return next((level for level in self.levels if not level.passed), None)

    def level_key(self, level: BenchLevel) -> str:
        """The name a level goes by in stored runs and comparisons: `name [c=10]`."""
        return f"{self.name} [c={level.concurrency}]"
