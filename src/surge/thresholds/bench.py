"""Judging thresholds on a benchmark of a callable: the same grammar, read from exact stats.

A bench's percentiles and mean are exact (every sample, not histogram buckets); `ops` and `rps`
are its successful calls per second; `memory_increase`/`memory_peak` read its memory pass and
`queries` its queries per call. Host and target resources and checks are not measured by a
bench: such a threshold is refused before the bench runs.
"""

from __future__ import annotations

from collections.abc import Sequence

from surge.metrics.bench import BenchMemory, BenchStats
from surge.metrics.threshold_verdict import ThresholdVerdict
from surge.thresholds.grammar import (
    RESOURCE_METRICS,
    Metric,
    ThresholdError,
    ThresholdSpec,
)

_LATENCY_FIELDS: dict[Metric, str] = {
    Metric.P50: "median_ms",
    Metric.P75: "p75_ms",
    Metric.P90: "p90_ms",
    Metric.P95: "p95_ms",
    Metric.P99: "p99_ms",
    Metric.P999: "p999_ms",
    Metric.MEAN: "mean_ms",
    Metric.MAX: "max_ms",
    Metric.MIN: "min_ms",
}


def validate_bench(specs: Sequence[ThresholdSpec], names: Sequence[str] | None = None) -> None:
    """Refuse thresholds a bench cannot judge (resources, checks), and a selector naming no
    bench of `names` (when the names are known)."""
    for spec in specs:
        if spec.metric in RESOURCE_METRICS or spec.metric is Metric.CHECKS:
            start = spec.expression.find(spec.metric.value)
            raise ThresholdError(
                f"{spec.metric.value} is not measured by a benchmark of a callable; a bench "
                "judges p50…p999, mean, min, max, ops (or rps), error_rate, failures, requests, "
                "memory_increase, memory_peak and queries",
                spec.expression,
                (start, start + len(spec.metric.value)) if start >= 0 else None,
                spec.where,
            )
        if names is not None and spec.selector is not None and spec.selector.name not in names:
            known = ", ".join(repr(n) for n in names) or "(none)"
            raise ThresholdError(
                f"no bench named {spec.selector.name!r}; benches: {known}",
                spec.expression,
                None,
                spec.where,
            )


def applies_to(spec: ThresholdSpec, name: str) -> bool:
    """A global threshold applies to every bench; `NAME: …` to the bench called NAME (a
    `KIND NAME:` selector's method part is ignored: a bench has no HTTP method)."""
    return spec.selector is None or spec.selector.name == name


def observe_bench(
    metric: Metric,
    stats: BenchStats,
    memory: BenchMemory | None,
    queries_per_call: float | None,
) -> float | None:
    """`metric` of a bench in its canonical unit; None when it was not measured."""
    field = _LATENCY_FIELDS.get(metric)
    if field is not None:
        return float(getattr(stats, field)) if stats.calls else None
    if metric in (Metric.OPS, Metric.RPS):
        return stats.ops if stats.total_s > 0 else None
    if metric is Metric.ERROR_RATE:
        attempted = stats.calls + stats.errors
        return stats.errors / attempted * 100.0 if attempted else None
    if metric is Metric.FAILURES:
        return float(stats.errors)
    if metric is Metric.REQUESTS:
        return float(stats.calls + stats.errors)
    if metric is Metric.MEMORY_INCREASE:
        return None if memory is None else float(memory.increase_bytes)
    if metric is Metric.MEMORY_PEAK:
        return None if memory is None else float(memory.peak_bytes)
    if metric is Metric.QUERIES:
        return queries_per_call
    return None


def judge_bench(
    specs: Sequence[ThresholdSpec],
    name: str,
    stats: BenchStats,
    memory: BenchMemory | None = None,
    queries_per_call: float | None = None,
) -> tuple[ThresholdVerdict, ...]:
    """Every threshold that applies to the bench `name`, judged on its stats. A metric that was
    not measured (memory without `memory=True`, a percentile when every call raised) fails."""
    verdicts = []
    for spec in specs:
        if not applies_to(spec, name):
            continue
        observed = observe_bench(spec.metric, stats, memory, queries_per_call)
        verdicts.append(
            ThresholdVerdict(
                expression=spec.expression,
                endpoint=name,
                metric=spec.metric_label,
                op=spec.op.value,
                limit=spec.limit,
                unit=spec.unit,
                observed=observed,
                passed=observed is not None and spec.op.holds(observed, spec.limit),
            )
        )
    return tuple(verdicts)
