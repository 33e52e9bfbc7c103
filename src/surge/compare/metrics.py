"""The metrics a comparison judges, computed from whole-run stats or from merged intervals.

Percentiles always come from a merged histogram (interval histograms added, never percentiles
averaged). Latency metrics are in ms, rps in requests per second, error_rate in %.

WebSocket and Server-Sent Events endpoints are judged on what happens inside their sessions and
streams too (`PROTOCOL_METRICS`, only for endpoints that recorded them): percentiles of a
protocol timing (`reply_p95`: request message to its reply; connect; time to first event; the
gaps between events) and message rates per direction. Each follows the tolerance of its HTTP
counterpart (`like`): `reply_p95` that of p95, `msgs_received_rate` that of rps.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence

from surge.metrics import EndpointStats, Histogram, RunResult, merge_stats
from surge.metrics.bench import BenchStats
from surge.metrics.protocol import Count, Timing


class Metric(enum.Enum):
    P50 = "p50"
    P95 = "p95"
    P99 = "p99"
    MEAN = "mean"
    RPS = "rps"
    ERROR_RATE = "error_rate"
    # inside WebSocket sessions and event streams (PROTOCOL_METRICS)
    REPLY_P50 = "reply_p50"
    REPLY_P95 = "reply_p95"
    REPLY_P99 = "reply_p99"
    CONNECT_P95 = "connect_p95"
    FIRST_EVENT_P95 = "first_event_p95"
    EVENT_GAP_P95 = "event_gap_p95"
    MSGS_RECEIVED_RATE = "msgs_received_rate"
    MSGS_SENT_RATE = "msgs_sent_rate"

    @property
    def unit(self) -> str:
        if self is Metric.RPS:
            return "rps"
        if self.count is not None:
            return "msg/s"
        return "%" if self is Metric.ERROR_RATE else "ms"

    @property
    def like(self) -> Metric:
        """The HTTP metric whose tolerance and statistic this one follows (itself for those)."""
        return _LIKE.get(self, self)

    @property
    def timing(self) -> Timing | None:
        """The protocol timing a percentile is taken of (None: the requests' latency)."""
        return _TIMING.get(self)

    @property
    def count(self) -> Count | None:
        """The protocol count a rate is taken of (None: requests)."""
        return _COUNT.get(self)

    @property
    def higher_is_worse(self) -> bool:
        return self.like is not Metric.RPS

    @property
    def is_latency(self) -> bool:
        return self.like in (Metric.P50, Metric.P95, Metric.P99, Metric.MEAN)

    @property
    def relative(self) -> bool:
        """Changes are relative (%) for every metric but error_rate (percentage points)."""
        return self is not Metric.ERROR_RATE

    @property
    def percentile(self) -> float | None:
        return {Metric.P50: 50.0, Metric.P95: 95.0, Metric.P99: 99.0}.get(self.like)


_TIMING = {
    Metric.REPLY_P50: Timing.REPLY,
    Metric.REPLY_P95: Timing.REPLY,
    Metric.REPLY_P99: Timing.REPLY,
    Metric.CONNECT_P95: Timing.CONNECT,
    Metric.FIRST_EVENT_P95: Timing.FIRST_EVENT,
    Metric.EVENT_GAP_P95: Timing.EVENT_GAP,
}
_COUNT = {Metric.MSGS_RECEIVED_RATE: Count.MSGS_RECEIVED, Metric.MSGS_SENT_RATE: Count.MSGS_SENT}
_LIKE = {
    Metric.REPLY_P50: Metric.P50,
    Metric.REPLY_P95: Metric.P95,
    Metric.REPLY_P99: Metric.P99,
    Metric.CONNECT_P95: Metric.P95,
    Metric.FIRST_EVENT_P95: Metric.P95,
    Metric.EVENT_GAP_P95: Metric.P95,
    Metric.MSGS_RECEIVED_RATE: Metric.RPS,
    Metric.MSGS_SENT_RATE: Metric.RPS,
}

METRICS: tuple[Metric, ...] = (
    Metric.P50,
    Metric.P95,
    Metric.P99,
    Metric.MEAN,
    Metric.RPS,
    Metric.ERROR_RATE,
)
"""What every endpoint is judged on."""
PROTOCOL_METRICS: tuple[Metric, ...] = tuple(m for m in Metric if m not in METRICS)
"""What WebSocket and SSE endpoints are judged on besides (see `metrics_for`)."""

EndpointKey = tuple[str, str]


def metric_value(metric: Metric, stats: EndpointStats, duration_s: float) -> float | None:
    """The metric of one endpoint over `duration_s`; None when it is undefined (a latency
    without any success, an error rate without any request, a rate over no time)."""
    if metric.is_latency:
        histogram = histogram_of(metric, stats)
        if histogram.total == 0:
            return None
        if metric is Metric.MEAN:
            return histogram.mean_us / 1000.0
        pct = metric.percentile
        assert pct is not None
        return histogram.value_at_percentile_us(pct) / 1000.0
    if metric.like is Metric.RPS:
        return count_of(metric, stats) / duration_s if duration_s > 0 else None
    return 100.0 * stats.failures / stats.requests if stats.requests else None


def histogram_of(metric: Metric, stats: EndpointStats) -> Histogram:
    """What a latency metric is a percentile of: the latency, or a protocol timing."""
    timing = metric.timing
    if timing is None:
        return stats.latency
    return stats.timings.get(timing.value) or Histogram.empty()


def count_of(metric: Metric, stats: EndpointStats) -> int:
    """What a rate metric counts: requests, or a protocol count."""
    count = metric.count
    return stats.requests if count is None else stats.counts.get(count.value, 0)


def _records(metric: Metric, stats: EndpointStats) -> bool:
    timing, count = metric.timing, metric.count
    if timing is not None:
        return bool(stats.timings.get(timing.value, Histogram.empty()).total)
    return count is not None and bool(stats.counts.get(count.value, 0))


def metrics_for(results: Iterable[RunResult], key: EndpointKey) -> tuple[Metric, ...]:
    """`METRICS`, and each protocol metric the endpoint recorded in any of the results."""
    found = [s for s in (endpoint_of(r, key) for r in results) if s is not None]
    extra = tuple(m for m in PROTOCOL_METRICS if any(_records(m, s) for s in found))
    return METRICS + extra


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
    if metric.timing is not None or metric.count is not None:
        return None  # benches have no protocol figures
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
        return 0.0 if metric.like is Metric.RPS else None
    return metric_value(metric, stats, result.duration_s)


def pooled_value(metric: Metric, results: Sequence[RunResult], key: EndpointKey) -> float | None:
    """The metric over several runs taken together: their stats merged, their durations added."""
    parts = [s for s in (endpoint_of(r, key) for r in results) if s is not None]
    duration_s = sum(r.duration_s for r in results)
    if not parts:
        return 0.0 if metric.like is Metric.RPS else None
    return metric_value(metric, merge_stats(key[0], key[1], parts), duration_s)
