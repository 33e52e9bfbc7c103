"""Comparing baseline runs with candidate runs: every endpoint and metric, one verdict.

The run is the unit. With at least `MIN_RUNS` runs on each side, each run gives one value per
metric and the sides are compared by an exact Mann-Whitney U test with a bootstrap CI of the
change of the medians. With fewer, the per-second intervals of the runs (equal intervals of a few
seconds for runs longer than the history keeps at one second) are resampled in blocks of
consecutive intervals (a moving-block bootstrap; never individual requests) and each metric is
recomputed from the merged histograms of every resample. P-values are one-sided in the direction
of the observed change and Benjamini-Hochberg adjusted across all findings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from surge.compare.fingerprints import fingerprint_warnings
from surge.compare.intervals import (
    FloatArray,
    IntervalSeries,
    interval_series,
    interval_width_label,
    resampled_metrics,
)
from surge.compare.metrics import (
    METRICS,
    EndpointKey,
    Metric,
    endpoint_keys,
    metrics_for,
    pooled_value,
    run_value,
)
from surge.compare.samples import is_bench_key, sample_series
from surge.compare.stats import (
    Effect,
    benjamini_hochberg,
    block_length,
    block_weights,
    bootstrap_effect,
    min_exact_p,
    runs_effect,
)
from surge.compare.values import Comparison, Finding, Method, RunSample
from surge.compare.verdict import DEFAULT_ALPHA, Tolerances, decide, overall
from surge.metrics import RunResult

if TYPE_CHECKING:
    from scipy import sparse

MIN_RUNS = 3
MIN_INTERVALS = 5
DEFAULT_SEED = 20240601


class CompareError(ValueError):
    """A comparison that cannot be made (no runs on a side)."""


@dataclass(frozen=True, slots=True)
class _Measured:
    key: EndpointKey
    metric: Metric
    baseline: float | None
    candidate: float | None
    effect: Effect | None
    test: str
    min_p: float = 0.0
    untested: str | None = None
    bench: bool = False


def _scaled(metric: Metric, value: float) -> float:
    return value * 100.0 if metric.relative else value


def _runs_measure(
    key: EndpointKey, base: Sequence[RunResult], cand: Sequence[RunResult], rng: np.random.Generator
) -> list[_Measured]:
    bench = any(is_bench_key(r, key) for r in (*base, *cand))
    return [replace(m, bench=bench) for m in _runs_measured(key, base, cand, rng)]


def _runs_measured(
    key: EndpointKey, base: Sequence[RunResult], cand: Sequence[RunResult], rng: np.random.Generator
) -> list[_Measured]:
    out: list[_Measured] = []
    for metric in metrics_for([*base, *cand], key):
        a = [v for v in (run_value(metric, r, key) for r in base) if v is not None]
        b = [v for v in (run_value(metric, r, key) for r in cand) if v is not None]
        if len(a) < 2 or len(b) < 2:
            value_a = float(np.median(a)) if a else None
            value_b = float(np.median(b)) if b else None
            why = "fewer than 2 runs with data on a side"
            effect = _point(metric, value_a, value_b)
            out.append(_Measured(key, metric, value_a, value_b, effect, why, untested=why))
            continue
        effect = runs_effect(a, b, relative=metric.relative, rng=rng)
        test = (
            f"exact Mann-Whitney U, one-sided, {len(a)} vs {len(b)} runs; "
            "95% CI: bootstrap of the runs' medians"
        )
        out.append(
            _Measured(
                key,
                metric,
                float(np.median(a)),
                float(np.median(b)),
                effect,
                test,
                min_exact_p(len(a), len(b)),
            )
        )
    return out


def _point(metric: Metric, a: float | None, b: float | None) -> Effect | None:
    """The observed change alone, for a finding no test could be run on."""
    if a is None or b is None:
        return None
    change = float(b - a) if not metric.relative else (b / a - 1.0 if a > 0 else np.nan)
    return Effect(change, np.nan, np.nan, 1.0, 1.0, testable=False)


def _intervals_measure(
    key: EndpointKey, base: Sequence[RunResult], cand: Sequence[RunResult], rng: np.random.Generator
) -> list[_Measured]:
    series_a, series_b = interval_series(base, key), interval_series(cand, key)
    metrics = metrics_for([*base, *cand], key)
    values = [(m, pooled_value(m, base, key), pooled_value(m, cand, key)) for m in metrics]
    if series_a is None or series_b is None:
        why = "no per-second intervals kept, so no bootstrap is possible"
        return [_Measured(key, m, a, b, _point(m, a, b), why, untested=why) for m, a, b in values]
    n_a, n_b = sum(series_a.run_lengths), sum(series_b.run_lengths)
    if min(n_a, n_b) < MIN_INTERVALS:
        why = (
            f"only {min(n_a, n_b)} intervals on a side, too few to bootstrap "
            f"(need {MIN_INTERVALS}): run longer or use {MIN_RUNS}+ runs per side"
        )
        return [_Measured(key, m, a, b, _point(m, a, b), why, untested=why) for m, a, b in values]
    weights_a = block_weights(series_a.run_lengths, rng)
    weights_b = block_weights(series_b.run_lengths, rng)
    reps_a = _resampled(base, key, series_a, weights_a, metrics)
    reps_b = _resampled(cand, key, series_b, weights_b, metrics)
    width_a, width_b = interval_width_label(base), interval_width_label(cand)
    width = width_a if width_a == width_b else f"{width_a} / {width_b}"
    test = (
        f"moving-block bootstrap over {width} intervals, {n_a} vs {n_b} intervals "
        f"(blocks of {block_length(n_a)} and {block_length(n_b)}); p and 95% CI from it"
    )
    out: list[_Measured] = []
    for metric, a, b in values:
        effect = _point(metric, a, b)
        if effect is not None:
            effect = bootstrap_effect(
                effect.change, reps_a[metric], reps_b[metric], relative=metric.relative
            )
        out.append(_Measured(key, metric, a, b, effect, test))
    return out


def _resampled(
    runs: Sequence[RunResult],
    key: EndpointKey,
    series: IntervalSeries,
    weights: sparse.csr_matrix,
    metrics: Sequence[Metric],
) -> dict[Metric, FloatArray]:
    """Each metric of each resample: `METRICS` from the latency series, a protocol metric from
    the series of its timing or count, all with the same resampled intervals (`weights`)."""
    reps = resampled_metrics(series, weights, [m for m in metrics if m in METRICS])
    sources: dict[tuple[object, object], IntervalSeries | None] = {}
    for metric in metrics:
        if metric in METRICS:
            continue
        source = (metric.timing, metric.count)
        if source not in sources:
            sources[source] = interval_series(runs, key, of=metric)
        found = sources[source]
        if found is not None:
            reps.update(resampled_metrics(found, weights, [metric]))
    return reps


def _samples_measure(
    key: EndpointKey, base: Sequence[RunResult], cand: Sequence[RunResult], rng: np.random.Generator
) -> list[_Measured]:
    """Benches with fewer than MIN_RUNS runs a side: a moving-block bootstrap over their
    samples (serial rounds, or a sweep level's slices), metrics from merged histograms."""
    series_a, series_b = sample_series(base, key), sample_series(cand, key)
    if series_a is None or series_b is None:
        why = "the bench is missing from a side (or measured nothing there)"
        values = [(m, pooled_value(m, base, key), pooled_value(m, cand, key)) for m in METRICS]
        return [
            _Measured(key, m, a, b, _point(m, a, b), why, untested=why, bench=True)
            for m, a, b in values
        ]
    n_a, n_b = sum(series_a.run_lengths), sum(series_b.run_lengths)
    whole_a = _whole(series_a)
    whole_b = _whole(series_b)
    if min(n_a, n_b) < MIN_INTERVALS:
        why = (
            f"only {min(n_a, n_b)} samples on a side, too few to bootstrap (need "
            f"{MIN_INTERVALS}): give the bench more rounds or use {MIN_RUNS}+ runs per side"
        )
        return [
            _Measured(key, m, whole_a[m], whole_b[m], _point(m, whole_a[m], whole_b[m]), why,
                      untested=why, bench=True)
            for m in METRICS
        ]  # fmt: skip
    reps_a = resampled_metrics(series_a, block_weights(series_a.run_lengths, rng), METRICS)
    reps_b = resampled_metrics(series_b, block_weights(series_b.run_lengths, rng), METRICS)
    test = (
        f"moving-block bootstrap over samples, {n_a} vs {n_b} sample groups "
        f"(blocks of {block_length(n_a)} and {block_length(n_b)}); p and 95% CI from it"
    )
    out: list[_Measured] = []
    for metric in METRICS:
        a, b = whole_a[metric], whole_b[metric]
        effect = _point(metric, a, b)
        if effect is not None:
            effect = bootstrap_effect(
                effect.change, reps_a[metric], reps_b[metric], relative=metric.relative
            )
        out.append(_Measured(key, metric, a, b, effect, test, bench=True))
    return out


def _whole(series: IntervalSeries) -> dict[Metric, float | None]:
    """Each metric over every unit of the series (the point estimate of a samples test)."""
    from scipy import sparse

    n = series.prefix.shape[0] - 1
    everything = sparse.csr_matrix(([-1.0, 1.0], ([0, 0], [0, n])), shape=(1, n + 1))
    values = resampled_metrics(series, everything, METRICS)
    return {m: (None if not np.isfinite(v[0]) else float(v[0])) for m, v in values.items()}


def _finding(
    item: _Measured, p_adjusted: float | None, tolerances: Tolerances, alpha: float
) -> Finding:
    if item.bench:
        tolerances = replace(tolerances, floor_ms=tolerances.bench_floor_ms)
    effect = item.effect
    change = None if effect is None else _scaled(item.metric, effect.change)
    judged = decide(
        item.metric,
        item.baseline,
        item.candidate,
        change,
        p_adjusted,
        tolerances=tolerances,
        alpha=alpha,
        min_p=item.min_p,
        untested=item.untested,
    )
    finite = effect is not None and np.isfinite(effect.ci_low) and np.isfinite(effect.ci_high)
    return Finding(
        method=item.key[0],
        name=item.key[1],
        metric=item.metric.value,
        unit=item.metric.unit,
        baseline=item.baseline,
        candidate=item.candidate,
        change_pct=None if change is None or not np.isfinite(change) else change,
        ci_low_pct=_scaled(item.metric, effect.ci_low) if finite and effect else None,
        ci_high_pct=_scaled(item.metric, effect.ci_high) if finite and effect else None,
        p_value=p_adjusted,
        tolerance=tolerances.of(item.metric),
        verdict=judged.verdict,
        reason=judged.reason,
        test=item.test,
    )


def _quality_warnings(
    baseline: Sequence[RunSample], candidate: Sequence[RunSample], method: Method
) -> list[str]:
    warnings: list[str] = []
    if method is Method.SAMPLES:
        warnings.append(
            f"fewer than {MIN_RUNS} runs on a side: the bootstrap over samples sees the noise "
            "within a run, not between runs (another machine load, a cold cache); "
            f"use {MIN_RUNS}+ runs per side for a run-level test"
        )
    if method is Method.INTERVALS:
        warnings.append(
            f"fewer than {MIN_RUNS} runs on a side: the bootstrap over intervals sees the noise "
            "within a run, not between runs (another machine load, a cold cache); "
            f"use {MIN_RUNS}+ runs per side (--repeat) for a run-level test"
        )
    for side, samples in (("baseline", baseline), ("candidate", candidate)):
        for s in samples:
            label = f"run {s.run_id}" if s.run_id is not None else s.result.meta.name
            if s.result.meta.aborted:
                warnings.append(f"{side} {label} was aborted ({s.result.meta.abort_reason})")
            if s.result.generator is not None and s.result.generator.saturated:
                warnings.append(f"{side} {label}: the load generator was saturated")
    return warnings


def compare_runs(
    baseline: Sequence[RunSample],
    candidate: Sequence[RunSample],
    *,
    tolerances: Tolerances | None = None,
    alpha: float = DEFAULT_ALPHA,
    seed: int = DEFAULT_SEED,
    baseline_version: str | None = None,
) -> Comparison:
    """Compare candidate runs against baseline runs (see the module docstring for the method)."""
    if not baseline or not candidate:
        raise CompareError("a comparison needs at least one baseline and one candidate run")
    tolerances = tolerances or Tolerances()
    rng = np.random.default_rng(seed)
    base = [s.result for s in baseline]
    cand = [s.result for s in candidate]
    benches = all(r.is_bench for r in (*base, *cand))
    method = Method.RUNS if min(len(base), len(cand)) >= MIN_RUNS else Method.INTERVALS
    measure = _runs_measure if method is Method.RUNS else _intervals_measure
    if benches and method is Method.INTERVALS:
        method, measure = Method.SAMPLES, _samples_measure
    measured = [m for key in endpoint_keys([*base, *cand]) for m in measure(key, base, cand, rng)]
    tested = [i for i, m in enumerate(measured) if m.effect is not None and m.effect.testable]
    raw = [_directional_p(measured[i]) for i in tested]
    adjusted: dict[int, float] = dict(zip(tested, benjamini_hochberg(raw), strict=True))
    findings = tuple(
        _finding(m, adjusted.get(i), tolerances, alpha) for i, m in enumerate(measured)
    )
    warnings = fingerprint_warnings(baseline, candidate) + _quality_warnings(
        baseline, candidate, method
    )
    return Comparison(
        baseline_name=base[0].meta.name,
        candidate_name=cand[0].meta.name,
        baseline_runs=tuple(s.run_id for s in baseline if s.run_id is not None),
        candidate_runs=tuple(s.run_id for s in candidate if s.run_id is not None),
        method=method,
        alpha=alpha,
        findings=findings,
        warnings=tuple(warnings),
        verdict=overall([f.verdict for f in findings], [_worse(f) for f in findings]),
        seed=seed,
        baseline_version=baseline_version,
    )


def _directional_p(item: _Measured) -> float:
    """The one-sided p-value in the direction of the observed change."""
    assert item.effect is not None
    return item.effect.p_towards(higher=not item.effect.change < 0)


def _worse(finding: Finding) -> bool:
    """Did the finding's change go the bad way (a missing value counts as bad)?"""
    if finding.change_pct is None:
        return True
    return (finding.change_pct > 0) == Metric(finding.metric).higher_is_worse
