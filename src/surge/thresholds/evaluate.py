"""Judging thresholds: on the final RunResult, and on running totals while the run goes on.

Both read the same values (EndpointStats and an elapsed time), so a threshold that would abort a
run mid-way is judged by exactly the arithmetic that judges it at the end.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import assert_never

from surge.metrics.aggregate import merge_stats
from surge.metrics.values import EndpointStats, RunResult, ThresholdVerdict
from surge.thresholds.grammar import Metric, Op, Selector, ThresholdSpec

_PERCENTILES: Mapping[Metric, float] = {
    Metric.P50: 50.0,
    Metric.P75: 75.0,
    Metric.P90: 90.0,
    Metric.P95: 95.0,
    Metric.P99: 99.0,
    Metric.P999: 99.9,
}


def _latency_ms(metric: Metric, stats: EndpointStats) -> float | None:
    histogram = stats.latency
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


def observe(metric: Metric, stats: EndpointStats, elapsed_s: float) -> float | None:
    """`metric` of `stats` over `elapsed_s` seconds in its canonical unit; None = unmeasurable."""
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
            return _latency_ms(metric, stats)
        case Metric.ERROR_RATE:
            return stats.failures / stats.requests * 100.0 if stats.requests else None
        case Metric.RPS:
            return stats.requests / elapsed_s if elapsed_s > 0 else None
        case Metric.FAILURES:
            return float(stats.failures)
        case Metric.REQUESTS:
            return float(stats.requests)
        case Metric.CHECKS:
            return _checks_pct(stats)
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
) -> ThresholdVerdict:
    """One threshold against the given counts. Nothing to measure (an endpoint that never ran,
    a percentile without a success, a pass rate without a check) fails it."""
    stats = total if spec.selector is None else select(spec.selector, endpoints)
    observed = None if stats is None else observe(spec.metric, stats, elapsed_s)
    return ThresholdVerdict(
        expression=spec.expression,
        endpoint=None if spec.selector is None else spec.selector.label,
        metric=spec.metric.value,
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
) -> tuple[ThresholdVerdict, ...]:
    """Every threshold against running (or final) totals; `rps` is requests / `elapsed_s`."""
    return tuple(judge(spec, endpoints, total, elapsed_s) for spec in specs)


def evaluate(specs: Sequence[ThresholdSpec], result: RunResult) -> tuple[ThresholdVerdict, ...]:
    """Every threshold against a finished run, in the order given (for `RunResult.thresholds`)."""
    return evaluate_stats(specs, result.endpoints, result.total, result.duration_s)


def _decided_only_at_the_end(spec: ThresholdSpec) -> bool:
    """A lower bound on a count that only grows (`requests>1000`) is lost at every moment
    before it is won, so it must never abort a run."""
    return spec.metric in (Metric.REQUESTS, Metric.FAILURES) and spec.op in (Op.GT, Op.GE)


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
