"""Tolerances and the decision rule: what makes a change a regression.

A finding is REGRESSED (or IMPROVED) only when all three hold:

1. the change is beyond the metric's tolerance (relative for latency and rps; for error_rate an
   absolute rise in percentage points),
2. for latency metrics, the absolute difference is at least the floor (1 ms by default),
3. it is significant: its one-sided p-value, Benjamini-Hochberg adjusted across every finding of
   the comparison, is at most alpha (0.05).

A change within the tolerance (or under the floor) is UNCHANGED. A change beyond them that is not
significant is INCONCLUSIVE: the data cannot tell it from noise.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from surge.compare.metrics import METRICS, Metric
from surge.compare.values import Verdict

DEFAULT_ALPHA = 0.05


class ToleranceError(ValueError):
    """A malformed --tolerance value (the message says which and what is accepted)."""


@dataclass(frozen=True, slots=True)
class Tolerances:
    """How much change is accepted per metric (in %; error_rate in percentage points) and the
    absolute floor a latency change must reach (ms): `floor_ms` for load runs, `bench_floor_ms`
    for benches of callables (0 by default: their calls are often microseconds, and a 10 %
    slowdown of a 50 µs query is a regression worth reporting)."""

    p50: float = 5.0
    p95: float = 10.0
    p99: float = 15.0
    mean: float = 5.0
    rps: float = 5.0
    error_rate: float = 0.5
    floor_ms: float = 1.0
    bench_floor_ms: float = 0.0

    def of(self, metric: Metric) -> float:
        """The metric's tolerance: a protocol metric follows its HTTP counterpart's
        (`reply_p95` that of p95, `msgs_received_rate` that of rps)."""
        value: float = getattr(self, metric.like.value)
        return value


_ITEM = re.compile(
    r"^\s*(?:(?P<key>[a-z_\-0-9]+)\s*=\s*)?(?P<num>[0-9]*\.?[0-9]+)\s*(?P<unit>%|ms)?\s*$"
)
_KEYS = {m.value for m in METRICS} | {"floor", "bench_floor"}


def parse_tolerances(items: Sequence[str], base: Tolerances | None = None) -> Tolerances:
    """`20%` (every latency and rps metric), `p95=15%`, `error_rate=1%` (percentage points),
    `floor=2ms`, `bench_floor=0.01ms`; later items win. Raises ToleranceError naming the bad
    item."""
    tolerances = base or Tolerances()
    for item in items:
        match = _ITEM.match(item.lower())
        if match is None:
            raise ToleranceError(
                f"--tolerance {item!r}: expected PERCENT (e.g. 20%), METRIC=PERCENT "
                "(e.g. p95=15%) or floor=MS (e.g. floor=2ms; bench_floor=0.01ms for benches)"
            )
        key = (match["key"] or "").replace("-", "_")
        value = float(match["num"])
        if key and key not in _KEYS:
            known = ", ".join(sorted(_KEYS))
            raise ToleranceError(f"--tolerance {item!r}: unknown metric {key!r} (known: {known})")
        if key in ("floor", "bench_floor"):
            if match["unit"] == "%":
                raise ToleranceError(f"--tolerance {item!r}: the floor is in ms (e.g. {key}=2ms)")
            field = "floor_ms" if key == "floor" else "bench_floor_ms"
            tolerances = replace(tolerances, **{field: value})
        elif match["unit"] == "ms":
            raise ToleranceError(f"--tolerance {item!r}: tolerances are in % (e.g. p95=15%)")
        elif key:
            tolerances = replace(tolerances, **{key: value})
        else:
            tolerances = replace(tolerances, p50=value, p95=value, p99=value, mean=value, rps=value)
    return tolerances


@dataclass(frozen=True, slots=True)
class Judged:
    verdict: Verdict
    reason: str


def _fmt_change(metric: Metric, change: float) -> str:
    return f"{change:+.1f} pp" if not metric.relative else f"{change:+.1f}%"


def decide(
    metric: Metric,
    baseline: float | None,
    candidate: float | None,
    change: float | None,
    p_adjusted: float | None,
    *,
    tolerances: Tolerances,
    alpha: float = DEFAULT_ALPHA,
    min_p: float = 0.0,
    untested: str | None = None,
) -> Judged:
    """The verdict and its reason for one finding (`change` in % or pp, as Finding has it)."""
    if baseline is None or candidate is None:
        side = "baseline" if baseline is None else "candidate"
        return Judged(Verdict.INCONCLUSIVE, f"no data in the {side} (no successful request)")
    if change is None or math.isnan(change):
        return Judged(Verdict.INCONCLUSIVE, f"baseline is {baseline:g}: no relative change")
    tolerance = tolerances.of(metric)
    unit = "pp" if not metric.relative else "%"
    if abs(change) <= tolerance:
        return Judged(
            Verdict.UNCHANGED, f"{_fmt_change(metric, change)} within ±{tolerance:g}{unit}"
        )
    if metric.is_latency and abs(candidate - baseline) < tolerances.floor_ms:
        return Judged(
            Verdict.UNCHANGED,
            f"{_fmt_change(metric, change)} is only {abs(candidate - baseline):.2f} ms, "
            f"under the {tolerances.floor_ms:g} ms floor",
        )
    worse = (change > 0) == metric.higher_is_worse
    if p_adjusted is not None and p_adjusted <= alpha:
        verdict = Verdict.REGRESSED if worse else Verdict.IMPROVED
        return Judged(
            verdict,
            f"{_fmt_change(metric, change)} beyond ±{tolerance:g}{unit}, "
            f"p={p_adjusted:.3g} ≤ {alpha:g}",
        )
    if p_adjusted is None:
        why = untested or "no test was possible"
    elif min_p > alpha:
        why = f"these run counts cannot reach p ≤ {alpha:g} (smallest p {min_p:.3g}): add runs"
    else:
        why = f"not significant (p={p_adjusted:.3g} > {alpha:g}): noise as large as the change"
    return Judged(
        Verdict.INCONCLUSIVE, f"{_fmt_change(metric, change)} beyond ±{tolerance:g}{unit} but {why}"
    )


def overall(verdicts: Sequence[Verdict], worse: Sequence[bool] | None = None) -> Verdict:
    """Regressed beats inconclusive beats improved beats unchanged. With `worse` (per verdict:
    did the change go the bad way?), only an inconclusive change for the worse makes the whole
    comparison inconclusive: an unconfirmed improvement is no possible regression."""
    flags = list(worse) if worse is not None else [True] * len(verdicts)
    if Verdict.REGRESSED in verdicts:
        return Verdict.REGRESSED
    if any(v is Verdict.INCONCLUSIVE and w for v, w in zip(verdicts, flags, strict=True)):
        return Verdict.INCONCLUSIVE
    if Verdict.IMPROVED in verdicts:
        return Verdict.IMPROVED
    return Verdict.UNCHANGED
