"""The statistics behind a verdict: exact Mann-Whitney U on per-run values, bootstrap confidence
intervals, moving-block bootstrap indices, and Benjamini-Hochberg false-discovery control.

Everything is vectorised with numpy and driven by an explicit `numpy.random.Generator`, so the
same inputs and seed give the same output.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from scipy import sparse

FloatArray = npt.NDArray[np.float64]

BOOTSTRAP_RESAMPLES = 2000
CI_LEVEL = 0.95
TAIL_COUNT = 10  # below this many replicates past 0, the p-value tail is a normal fit


@dataclass(frozen=True, slots=True)
class Effect:
    """A change with its confidence interval and both one-sided p-values.

    `change` is relative (candidate / baseline - 1) or absolute (candidate - baseline), as asked.
    `p_greater` tests "the candidate is higher", `p_less` "the candidate is lower".
    `testable` is False when no test was possible (every value identical on both sides).
    """

    change: float
    ci_low: float
    ci_high: float
    p_greater: float
    p_less: float
    testable: bool = True

    def p_towards(self, higher: bool) -> float:
        return self.p_greater if higher else self.p_less


def min_exact_p(n_a: int, n_b: int) -> float:
    """The smallest one-sided p-value an exact Mann-Whitney U test of n_a vs n_b can give."""
    return 1.0 / math.comb(n_a + n_b, n_a)


def mann_whitney_one_sided(
    baseline: npt.ArrayLike, candidate: npt.ArrayLike
) -> tuple[float, float]:
    """Exact one-sided Mann-Whitney U p-values (candidate greater, candidate less)."""
    from scipy.stats import mannwhitneyu  # imported on use: scipy.stats takes ~1 s to import

    a = np.asarray(baseline, dtype=np.float64)
    b = np.asarray(candidate, dtype=np.float64)
    greater = mannwhitneyu(b, a, alternative="greater", method="exact")
    less = mannwhitneyu(b, a, alternative="less", method="exact")
    return float(greater.pvalue), float(less.pvalue)


def change_of(baseline: FloatArray, candidate: FloatArray, *, relative: bool) -> FloatArray:
    """Elementwise change: relative (ratio - 1, nan where the baseline is 0) or a difference."""
    if not relative:
        return candidate - baseline
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = candidate / baseline
    return np.where(baseline > 0, ratio - 1.0, np.nan)


def _interval(replicates: FloatArray) -> tuple[float, float]:
    finite = replicates[np.isfinite(replicates)]
    if finite.size == 0:
        return math.nan, math.nan
    tail = (1.0 - CI_LEVEL) / 2.0 * 100.0
    low, high = np.percentile(finite, [tail, 100.0 - tail])
    return float(low), float(high)


def runs_effect(
    baseline: Sequence[float],
    candidate: Sequence[float],
    *,
    relative: bool,
    rng: np.random.Generator,
    resamples: int = BOOTSTRAP_RESAMPLES,
) -> Effect:
    """Run-level comparison: the change of the medians, a bootstrap CI (runs resampled within
    each side) and exact one-sided Mann-Whitney p-values on the per-run values."""
    a = np.asarray(baseline, dtype=np.float64)
    b = np.asarray(candidate, dtype=np.float64)
    point = float(
        change_of(np.array([np.median(a)]), np.array([np.median(b)]), relative=relative)[0]
    )
    med_a = np.median(a[rng.integers(a.size, size=(resamples, a.size))], axis=1)
    med_b = np.median(b[rng.integers(b.size, size=(resamples, b.size))], axis=1)
    low, high = _interval(change_of(med_a, med_b, relative=relative))
    if np.all(a == a[0]) and np.all(b == a[0]):
        return Effect(point, low, high, 1.0, 1.0, testable=False)
    p_greater, p_less = mann_whitney_one_sided(a, b)
    return Effect(point, low, high, p_greater, p_less)


def _tail_p(reps: FloatArray, above: bool) -> float:
    """One-sided bootstrap p-value that the change is above (or below) 0.

    The percentile p, (1 + #replicates not beyond 0) / (1 + #replicates), is exact to the
    resolution of the resamples. When fewer than TAIL_COUNT replicates fall on the other side,
    that resolution (1 / 2001) would cap how small a p-value can be, which Benjamini-Hochberg
    across many findings needs: the tail is then extrapolated from a normal fit to the
    replicates (their mean and standard deviation), never below what the count allows down to.
    """
    other = int(np.count_nonzero(reps <= 0.0 if above else reps >= 0.0))
    percentile_p = (1.0 + other) / (reps.size + 1.0)
    if other >= TAIL_COUNT:
        return min(percentile_p, 1.0)
    sd = float(np.std(reps))
    if sd <= 0.0:
        return min(percentile_p, 1.0)
    from scipy.stats import norm  # imported on use, like mannwhitneyu

    z = float(np.mean(reps)) / sd
    return float(norm.sf(z if above else -z))


def bootstrap_effect(
    point: float, baseline_reps: FloatArray, candidate_reps: FloatArray, *, relative: bool
) -> Effect:
    """Interval-level comparison from paired bootstrap replicates of each side: the percentile CI
    of the change and one-sided p-values by inverting it (p <= alpha when the one-sided
    (1 - alpha) interval excludes 0; see `_tail_p` for the far tail)."""
    reps = change_of(baseline_reps, candidate_reps, relative=relative)
    reps = reps[np.isfinite(reps)]
    low, high = _interval(reps)
    if reps.size == 0:
        return Effect(point, low, high, 1.0, 1.0, testable=False)
    if np.all(baseline_reps == baseline_reps[0]) and np.all(candidate_reps == baseline_reps[0]):
        return Effect(point, low, high, 1.0, 1.0, testable=False)
    return Effect(point, low, high, _tail_p(reps, above=True), _tail_p(reps, above=False))


def benjamini_hochberg(p_values: Sequence[float]) -> list[float]:
    """Benjamini-Hochberg adjusted p-values (q-values), in the input order: reject every
    hypothesis whose adjusted p is <= alpha to keep the false discovery rate at alpha."""
    p = np.asarray(p_values, dtype=np.float64)
    m = p.size
    if m == 0:
        return []
    order = np.argsort(p, kind="stable")
    scaled = p[order] * m / np.arange(1, m + 1)
    adjusted_sorted = np.minimum.accumulate(scaled[::-1])[::-1]
    out = np.empty(m, dtype=np.float64)
    out[order] = np.minimum(adjusted_sorted, 1.0)
    return [float(x) for x in out]


def block_length(n_intervals: int) -> int:
    """Moving-block length: about n^(1/3) consecutive intervals (at least 1)."""
    length: int = round(math.cbrt(n_intervals))
    return max(1, length)


def block_weights(
    run_lengths: Sequence[int], rng: np.random.Generator, resamples: int = BOOTSTRAP_RESAMPLES
) -> sparse.csr_matrix:
    """Moving-block bootstrap as a sparse (resamples x (n + 1)) matrix over prefix sums.

    The intervals of all runs lie end to end (n in total); a block is L consecutive intervals of
    one run (blocks never straddle two runs); each resample draws about n / L block starts
    uniformly with replacement. Multiplying the matrix by the prefix sums of any per-interval
    quantity (row i = sum of intervals before i) gives that quantity summed over each resample.
    """
    from scipy import sparse  # imported on use (import time of every `surge` command)

    shortest = min(run_lengths)
    total = sum(run_lengths)
    length = min(block_length(total), shortest)
    starts_list: list[npt.NDArray[np.int64]] = []
    offset = 0
    for n in run_lengths:
        starts_list.append(np.arange(offset, offset + n - length + 1, dtype=np.int64))
        offset += n
    starts = np.concatenate(starts_list)
    blocks = max(1, round(total / length))
    chosen = starts[rng.integers(starts.size, size=(resamples, blocks))]
    rows = np.repeat(np.arange(resamples, dtype=np.int64), blocks)
    flat = chosen.ravel()
    data = np.concatenate([np.ones(flat.size), -np.ones(flat.size)])
    matrix = sparse.coo_matrix(
        (data, (np.concatenate([rows, rows]), np.concatenate([flat + length, flat]))),
        shape=(resamples, total + 1),
    )
    return matrix.tocsr()
