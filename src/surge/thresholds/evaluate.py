"""Judging thresholds: on the final RunResult, and on running totals while the run goes on.

Both read the same values (EndpointStats and an elapsed time), so a threshold that would abort a
run mid-way is judged by exactly the arithmetic that judges it at the end. Resource thresholds
(`cpu<80%`, `target.rss<1GB`) read `RunResult.resources` through the shared peak/mean functions
of `surge.metrics.resource_stats`, and are judged at the end of the run only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import assert_never

from surge.metrics.aggregate import merge_stats
from surge.metrics.histogram import Histogram
from surge.metrics.resource_stats import Source, resource_value
from surge.metrics.resources import Resources
from surge.metrics.values import Arrivals, DropReason, EndpointStats, RunResult, ThresholdVerdict
from surge.thresholds.grammar import (
    PROTOCOL_COUNTS,
    RESOURCE_METRICS,
    RUN_METRICS,
    Metric,
    Op,
    Selector,
    ThresholdSpec,
)

_PERCENTILES: Mapping[Metric, float] = {
    Metric.P50: 50.0,
    Metric.P75: 75.0,
    Metric.P90: 90.0,
    Metric.P95: 95.0,
    Metric.P99: 99.0,
    Metric.P999: 99.9,
}


RESOURCE_SERIES: Mapping[Metric, tuple[Source, str]] = {
    Metric.CPU: (Source.HOST, "cpu_pct"),
    Metric.MEMORY: (Source.HOST, "memory_used_bytes"),
    Metric.DISK_READ: (Source.HOST, "disk_read_bps"),
    Metric.DISK_WRITE: (Source.HOST, "disk_write_bps"),
    Metric.NET_SENT: (Source.HOST, "net_sent_bps"),
    Metric.NET_RECV: (Source.HOST, "net_recv_bps"),
    Metric.GENERATOR_CPU: (Source.GENERATOR, "cpu_pct"),
    Metric.GENERATOR_RSS: (Source.GENERATOR, "rss_bytes"),
    Metric.TARGET_CPU: (Source.TARGETS, "cpu_pct"),
    Metric.TARGET_RSS: (Source.TARGETS, "rss_bytes"),
    Metric.TARGET_THREADS: (Source.TARGETS, "threads"),
    Metric.TARGET_OPEN_FILES: (Source.TARGETS, "open_files"),
    Metric.TARGET_CONNECTIONS: (Source.TARGETS, "connections"),
    Metric.TARGET_READ: (Source.TARGETS, "read_bps"),
    Metric.TARGET_WRITE: (Source.TARGETS, "write_bps"),
}
"""Which series each resource metric reads: (source, field of HostSample / ProcessSample)."""


def observe_resource(spec: ThresholdSpec, resources: Resources | None) -> float | None:
    """The peak (or mean) of a resource metric's series; None when nothing was sampled."""
    source, name = RESOURCE_SERIES[spec.metric]
    return resource_value(resources, source, name, spec.aggregate)


def dropped_rate_pct(arrivals: Arrivals | None) -> float:
    """Arrivals dropped while the run was live, in % of those scheduled while it was (drops
    with reason `stopped`, due after the run stopped, are neither). 0 when nothing was dropped,
    as in the closed model, which never drops."""
    if arrivals is None:
        return 0.0
    stopped = arrivals.dropped.get(DropReason.STOPPED.value, 0)
    live = arrivals.dropped_total - stopped
    scheduled = arrivals.scheduled - stopped
    return live / scheduled * 100.0 if live and scheduled > 0 else 0.0


def _latency_ms(metric: Metric, histogram: Histogram) -> float | None:
    if histogram.total == 0:
        return None  # no successful request: there is no latency to judge
    if metric is Metric.MEAN:
        return histogram.mean_us / 1000.0
    if metric is Metric.MAX:
        return histogram.max_us / 1000.0
    if metric is Metric.MIN:
        return histogram.min_us / 1000.0
    return histogram.value_at_percentile_us(_PERCENTILES[metric]) / 1000.0


def _checks_pct(stats: EndpointStats) -> float | None:
    """Pass rate of every check evaluation; None (a failing verdict) when nothing was checked."""
    passes = sum(count.passes for count in stats.checks.values())
    total = sum(count.total for count in stats.checks.values())
    return passes / total * 100.0 if total else None


def observe(
    metric: Metric, stats: EndpointStats, elapsed_s: float, timing: str | None = None
) -> float | None:
    """`metric` of `stats` over `elapsed_s` seconds in its canonical unit; None = unmeasurable.
    With `timing` a latency statistic is taken of that timing (`reply_p95`) instead."""
    if timing is not None:
        found = stats.timings.get(timing)
        return None if found is None else _latency_ms(metric, found)
    match metric:
        case (
            Metric.P50
            | Metric.P75
            | Metric.P90
            | Metric.P95
            | Metric.P99
            | Metric.P999
            | Metric.MEAN
            | Metric.MAX
            | Metric.MIN
        ):
            return _latency_ms(metric, stats.latency)
        case Metric.ERROR_RATE:
            return stats.failures / stats.requests * 100.0 if stats.requests else None
        case Metric.RPS | Metric.OPS:
            return stats.requests / elapsed_s if elapsed_s > 0 else None
        case Metric.FAILURES:
            return float(stats.failures)
        case Metric.REQUESTS:
            return float(stats.requests)
        case Metric.CHECKS:
            return _checks_pct(stats)
        case Metric.DROPPED_RATE:
            return None  # of the run's arrivals, not of an endpoint: see dropped_rate_pct
        case (
            Metric.SESSIONS
            | Metric.MSGS_SENT
            | Metric.MSGS_RECEIVED
            | Metric.PINGS
            | Metric.EVENTS
            | Metric.RECONNECTS
            | Metric.CONNECTIONS
            | Metric.SESSION_ERRORS
        ):
            return float(stats.counts.get(metric.value, 0))
        case (
            Metric.CPU
            | Metric.MEMORY
            | Metric.DISK_READ
            | Metric.DISK_WRITE
            | Metric.NET_SENT
            | Metric.NET_RECV
            | Metric.GENERATOR_CPU
            | Metric.GENERATOR_RSS
            | Metric.TARGET_CPU
            | Metric.TARGET_RSS
            | Metric.TARGET_THREADS
            | Metric.TARGET_OPEN_FILES
            | Metric.TARGET_CONNECTIONS
            | Metric.TARGET_READ
            | Metric.TARGET_WRITE
        ):
            return None  # a resource, not a figure of requests: see observe_resource
        case Metric.MEMORY_INCREASE | Metric.MEMORY_PEAK | Metric.QUERIES:
            return None  # measured by benches of callables only (surge.thresholds.bench)
        case _:
            assert_never(metric)


def select(selector: Selector, endpoints: Sequence[EndpointStats]) -> EndpointStats | None:
    """The endpoint a selector names (all its methods merged for a name-only selector)."""
    matched = [stats for stats in endpoints if selector.matches(stats.method, stats.name)]
    if not matched:
        return None
    if len(matched) == 1:
        return matched[0]
    return merge_stats(selector.method or "", selector.name, matched)


def judge(
    spec: ThresholdSpec,
    endpoints: Sequence[EndpointStats],
    total: EndpointStats,
    elapsed_s: float,
    resources: Resources | None = None,
    arrivals: Arrivals | None = None,
) -> ThresholdVerdict:
    """One threshold against the given counts (and resources, and the run's arrivals).
    Nothing to measure (an endpoint that never ran, a percentile without a success, a pass
    rate without a check, a resource never sampled) fails it."""
    observed: float | None
    if spec.metric in RESOURCE_METRICS:
        observed = observe_resource(spec, resources)
    elif spec.metric in RUN_METRICS:
        observed = dropped_rate_pct(arrivals)
    else:
        stats = total if spec.selector is None else select(spec.selector, endpoints)
        observed = None if stats is None else observe(spec.metric, stats, elapsed_s, spec.timing)
    return ThresholdVerdict(
        expression=spec.expression,
        endpoint=None if spec.selector is None else spec.selector.label,
        metric=spec.metric_label,
        op=spec.op.value,
        limit=spec.limit,
        unit=spec.unit,
        observed=observed,
        passed=observed is not None and spec.op.holds(observed, spec.limit),
        abort_on_fail=spec.abort_on_fail,
    )


def evaluate_stats(
    specs: Sequence[ThresholdSpec],
    endpoints: Sequence[EndpointStats],
    total: EndpointStats,
    elapsed_s: float,
    resources: Resources | None = None,
    arrivals: Arrivals | None = None,
) -> tuple[ThresholdVerdict, ...]:
    """Every threshold against running (or final) totals; `rps` is requests / `elapsed_s`."""
    return tuple(judge(spec, endpoints, total, elapsed_s, resources, arrivals) for spec in specs)


def evaluate(specs: Sequence[ThresholdSpec], result: RunResult) -> tuple[ThresholdVerdict, ...]:
    """Every threshold against a finished run, in the order given (for `RunResult.thresholds`)."""
    arrivals = None if result.load is None else result.load.arrivals
    return evaluate_stats(
        specs, result.endpoints, result.total, result.duration_s, result.resources, arrivals
    )


def _decided_only_at_the_end(spec: ThresholdSpec) -> bool:
    """A lower bound on a count that only grows (`requests>1000`) is lost at every moment
    before it is won, so it must never abort a run. Resource thresholds are judged on the whole
    series once the run is over, and the run's arrivals (`dropped_rate`) likewise."""
    if spec.metric in RESOURCE_METRICS or spec.metric in RUN_METRICS:
        return True
    growing = spec.metric in (Metric.REQUESTS, Metric.FAILURES) or spec.metric in PROTOCOL_COUNTS
    return growing and spec.op in (Op.GT, Op.GE)


class AbortWatch:
    """Watches the abort-on-fail thresholds on running totals, about once a second.

    A threshold can stop the run once `elapsed_s` reaches its `grace_s` and a measured value
    breaks it; "nothing measured yet" (an endpoint not reached, no success yet) never aborts —
    the final evaluation still fails such a threshold.
    """

    def __init__(self, specs: Sequence[ThresholdSpec]) -> None:
        self._specs = tuple(
            spec for spec in specs if spec.abort_on_fail and not _decided_only_at_the_end(spec)
        )

    @property
    def armed(self) -> bool:
        """True when some threshold can abort the run (else the caller need not call `check`)."""
        return bool(self._specs)

    def check(
        self,
        endpoints: Sequence[EndpointStats],
        total: EndpointStats,
        elapsed_s: float,
    ) -> ThresholdVerdict | None:
        """The verdict of the first abort-on-fail threshold lost now, None while all hold."""
        for spec in self._specs:
            if elapsed_s < spec.grace_s:
                continue
            verdict = judge(spec, endpoints, total, elapsed_s)
            if verdict.observed is not None and not verdict.passed:
                return verdict
        return None


def _shown(value: float, unit: str) -> str:
    """95.039 ms -> "95 ms", 1.9607% -> "1.96%": enough digits to read, not to distract."""
    if unit in ("bytes", "B/s"):
        return f"{value:,.0f} {unit}"
    digits = {"count": 0, "%": 2}.get(unit, 1)
    text = f"{value:.{digits}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{text}%" if unit == "%" else f"{text} {unit}"


def abort_reason(verdict: ThresholdVerdict, elapsed_s: float) -> str:
    """`RunMeta.abort_reason` for a run an abort-on-fail threshold stopped."""
    observed = (
        "nothing measured" if verdict.observed is None else _shown(verdict.observed, verdict.unit)
    )
    return f"threshold {verdict.expression} failed after {elapsed_s:.0f}s (observed {observed})"
