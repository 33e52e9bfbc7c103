"""Calibration from A/A runs (the same load, N times): how noisy is each metric from run to run,
and what is the smallest change `surge compare` would call a regression with N runs per side?

Noise is the run-to-run coefficient of variation (standard deviation / mean, in %; for
error_rate the standard deviation in percentage points). The detectable change is the smallest
shift that (a) is beyond the metric's tolerance and the latency floor and (b) the exact one-sided
Mann-Whitney U test of N vs N runs finds significant with 80 % probability, at alpha divided by
the number of findings a comparison makes (Benjamini-Hochberg's bar for a change that shows in
one finding alone; changes that move several metrics together are found sooner). Power is
simulated: lognormal run-to-run noise of the observed size (normal for error_rate), seeded.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from surge.compare.metrics import METRICS, Metric, endpoint_keys, run_value
from surge.compare.verdict import DEFAULT_ALPHA, Tolerances
from surge.metrics import RunResult

POWER = 0.8
SIMULATIONS = 400
_GRID_PCT = np.concatenate(
    [np.arange(0.5, 20.0, 0.5), np.arange(20.0, 100.0, 2.0), np.arange(100.0, 501.0, 10.0)]
)


@dataclass(frozen=True, slots=True)
class CalibrationRow:
    """One endpoint and metric: its median over the runs, its run-to-run noise (CV in %, or the
    standard deviation in pp for error_rate) and the smallest detectable change (in % or pp;
    None when N runs per side cannot reach significance at all)."""

    method: str
    name: str
    metric: str
    unit: str
    median: float
    noise: float
    tolerance: float
    detectable: float | None

    @property
    def endpoint(self) -> str:
        return f"{self.method} {self.name}".strip()


@dataclass(frozen=True, slots=True)
class Calibration:
    """Every row, the runs it came from, and the test's bar: `alpha_per_finding` = alpha over
    the number of findings; `runs_needed` = the fewest runs per side that can reach it."""

    runs: int
    rows: tuple[CalibrationRow, ...]
    alpha: float
    findings: int
    alpha_per_finding: float
    runs_needed: int


def u_null_counts(n_a: int, n_b: int) -> npt.NDArray[np.float64]:
    """How many of the C(n_a + n_b, n_a) orderings give each Mann-Whitney U (0 … n_a·n_b)."""
    table = np.zeros((n_a + 1, n_b + 1, n_a * n_b + 1), dtype=np.float64)
    table[0, :, 0] = 1.0
    table[:, 0, 0] = 1.0
    for i in range(1, n_a + 1):
        for j in range(1, n_b + 1):
            table[i, j, j:] += table[i - 1, j, : n_a * n_b + 1 - j]
            table[i, j] += table[i, j - 1]
    counts: npt.NDArray[np.float64] = table[n_a, n_b]
    return counts


def critical_u(n: int, alpha: float) -> int | None:
    """The smallest U (candidate over baseline pairs, n vs n) whose exact one-sided p <= alpha."""
    counts = u_null_counts(n, n)
    tail = np.cumsum(counts[::-1])[::-1] / math.comb(2 * n, n)  # P(U >= u)
    ok = np.flatnonzero(tail <= alpha + 1e-12)
    return int(ok[0]) if ok.size else None


def runs_needed(alpha: float) -> int:
    """The fewest runs per side whose smallest exact one-sided p is at most alpha."""
    n = 2
    while 1.0 / math.comb(2 * n, n) > alpha:
        n += 1
    return n


def _detectable(
    noise: float, n: int, u_crit: int, relative: bool, rng: np.random.Generator
) -> float:
    """The smallest grid shift (% or pp) with simulated power >= POWER."""
    base = rng.normal(0.0, 1.0, (SIMULATIONS, n, 1))
    cand = rng.normal(0.0, 1.0, (SIMULATIONS, 1, n))
    for shift in _GRID_PCT:
        if relative:
            sigma = math.log1p(noise / 100.0)
            a, b = sigma * base, sigma * cand + math.log1p(shift / 100.0)
        else:
            a, b = noise * base, noise * cand + shift
        u = np.count_nonzero(b > a, axis=(1, 2))
        if np.mean(u >= u_crit) >= POWER:
            return float(shift)
    return float(_GRID_PCT[-1])


def calibrate(
    results: Sequence[RunResult],
    *,
    tolerances: Tolerances | None = None,
    alpha: float = DEFAULT_ALPHA,
    seed: int = 0,
) -> Calibration:
    """Noise and detectable change per endpoint and metric from A/A runs (at least 2)."""
    tolerances = tolerances or Tolerances()
    rng = np.random.default_rng(seed)
    keys = endpoint_keys(results)
    n = len(results)
    findings = max(1, len(keys) * len(METRICS))
    bar = alpha / findings
    u_crit = critical_u(n, bar) if n >= 2 else None
    rows: list[CalibrationRow] = []
    for key in keys:
        for metric in METRICS:
            values = np.array(
                [v for v in (run_value(metric, r, key) for r in results) if v is not None]
            )
            if values.size < 2:
                continue
            rows.append(_row(key, metric, values, n, u_crit, tolerances, rng))
    return Calibration(n, tuple(rows), alpha, findings, bar, runs_needed(bar))


def _row(
    key: tuple[str, str],
    metric: Metric,
    values: npt.NDArray[np.float64],
    n: int,
    u_crit: int | None,
    tolerances: Tolerances,
    rng: np.random.Generator,
) -> CalibrationRow:
    median = float(np.median(values))
    spread = float(np.std(values, ddof=1))
    noise = (
        spread
        if not metric.relative
        else (100.0 * spread / float(np.mean(values)) if np.mean(values) > 0 else 0.0)
    )
    tolerance = tolerances.of(metric)
    detectable: float | None = None
    if u_crit is not None:
        shift = _detectable(noise, n, u_crit, metric.relative, rng) if noise > 0 else 0.0
        detectable = max(shift, tolerance)
        if metric.is_latency and median > 0:
            detectable = max(detectable, 100.0 * tolerances.floor_ms / median)
    return CalibrationRow(
        key[0], key[1], metric.value, metric.unit, median, noise, tolerance, detectable
    )
