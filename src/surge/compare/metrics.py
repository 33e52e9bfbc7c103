"""The metrics a comparison judges, computed from whole-run stats or from merged intervals.

Percentiles always come from a merged histogram (interval histograms added, never percentiles
averaged). Latency metrics are in ms, rps in requests per second, error_rate in %.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence

from surge.metrics import EndpointStats, RunResult, merge_stats
from surge.metrics.bench import BenchStats


class Metric(enum.Enum):
    P50 = "p50"
    P95 = "p95"
    P99 = "p99"
    MEAN = "mean"
    RPS = "rps"
    ERROR_RATE = "error_rate"

    @property
    def unit(self) -> str:
        if self is Metric.RPS:
            return "rps"
        return "%" if self is Metric.ERROR_RATE else "ms"

    @property
    def higher_is_worse(self) -> bool:
        return self is not Metric.RPS

    @property
    def is_latency(self) -> bool:
        return self in (Metric.P50, Metric.P95, Metric.P99, Metric.MEAN)

    @property
    def relative(self) -> bool:
        """Changes are relative (%) for every metric but error_rate (percentage points)."""
        return self is not Metric.ERROR_RATE

    @property
    def percentile(self) -> float | None:
        return {Metric.P50: 50.0, Metric.P95: 95.0, Metric.P99: 99.0}.get(self)


METRICS: tuple[Metric, ...] = tuple(Metric)

EndpointKey = tuple[str, str]


def metric_value(metric: Metric, stats: EndpointStats, duration_s: float) -> float | None:
    """The metric of one endpoint over `duration_s`; None when it is undefined (a latency
    without any success, an error rate without any request, a rate over no time)."""
    if metric.is_latency:
        if stats.latency.total == 0:
            return None
        if metric is Metric.MEAN:
            return stats.latency.mean_us / 1000.0
        pct = metric.percentile
        assert pct is not None
        return stats.latency.value_at_percentile_us(pct) / 1000.0
    if metric is Metric.RPS:
        return stats.requests / duration_s if duration_s > 0 else None
    return 100.0 * stats.failures / stats.requests if stats.requests else None


def endpoint_keys(results: Iterable[RunResult]) -> list[EndpointKey]:
    """Every endpoint seen in any of the results, sorted."""
    return sorted({e.key for r in results for e in r.endpoints})


def endpoint_of(result: RunResult, key: EndpointKey) -> EndpointStats | None:
    for stats in result.endpoints:
        if stats.key == key:
            return stats
    return None


def bench_stats_of(result: RunResult, key: EndpointKey) -> BenchStats | None:
    """The exact stats of the bench (or sweep level) an endpoint key names in a bench run."""
    method, name = key
    for entry in result.benches:
        if entry.kind.tag != method:
            continue
        if not entry.levels and entry.name == name:
            return entry.stats
        for level in entry.levels:
            if entry.level_key(level) == name:
                return level.stats
    return None


def bench_value(metric: Metric, stats: BenchStats) -> float | None:
    """A metric of a bench from its exact stats (ms; rps is operations per second)."""
    if metric is Metric.RPS:
        return stats.ops if stats.total_s > 0 else None
    if metric is Metric.ERROR_RATE:
        attempted = stats.calls + stats.errors
        return 100.0 * stats.errors / attempted if attempted else None
    if not stats.calls:
        return None
    return {
        Metric.P50: stats.median_ms,
        Metric.P95: stats.p95_ms,
        Metric.P99: stats.p99_ms,
        Metric.MEAN: stats.mean_ms,
    }[metric]


def run_value(metric: Metric, result: RunResult, key: EndpointKey) -> float | None:
    """One run's value of a metric for one endpoint (an endpoint absent from the run has no
    latency and no requests: rps 0, the rest undefined). A bench's value is exact (its stats)."""
    bench = bench_stats_of(result, key)
    if bench is not None:
        return bench_value(metric, bench)
    stats = endpoint_of(result, key)
    if stats is None:
        return 0.0 if metric is Metric.RPS else None
    return metric_value(metric, stats, result.duration_s)


def pooled_value(metric: Metric, results: Sequence[RunResult], key: EndpointKey) -> float | None:
    """The metric over several runs taken together: their stats merged, their durations added."""
    parts = [s for s in (endpoint_of(r, key) for r in results) if s is not None]
    duration_s = sum(r.duration_s for r in results)
    if not parts:
        return 0.0 if metric is Metric.RPS else None
    return metric_value(metric, merge_stats(key[0], key[1], parts), duration_s)
