"""Calibration: the exact U distribution, the runs needed, and detectable changes that grow with
the noise."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import stats as sps

from compare.synthetic import make_run
from surge.compare.calibrate import calibrate, critical_u, runs_needed, u_null_counts


def test_u_null_distribution_by_enumeration() -> None:
    n_a, n_b = 3, 4
    counts = np.zeros(n_a * n_b + 1)
    for chosen in itertools.combinations(range(n_a + n_b), n_a):
        # U of the b sample over the a sample: pairs where b ranks above a
        b = [i for i in range(n_a + n_b) if i not in chosen]
        counts[sum(1 for x in b for y in chosen if x > y)] += 1
    assert u_null_counts(n_a, n_b).tolist() == counts.tolist()
    assert u_null_counts(n_a, n_b).sum() == math.comb(7, 3)


@pytest.mark.parametrize(("n", "alpha"), [(3, 0.05), (5, 0.05), (5, 0.05 / 12), (6, 0.01)])
def test_critical_u_matches_scipy(n: int, alpha: float) -> None:
    u = critical_u(n, alpha)
    assert u is not None
    a = list(range(n))

    # a candidate sample with exactly u pairs above the baseline reaches p <= alpha, u - 1 not
    def p_of(target_u: int) -> float:
        for combo in itertools.combinations(range(2 * n), n):
            rest = [i for i in range(2 * n) if i not in combo]
            if sum(1 for x in combo for y in rest if x > y) == target_u:
                res = sps.mannwhitneyu(list(combo), rest, alternative="greater", method="exact")
                return float(res.pvalue)
        raise AssertionError

    assert a and p_of(u) <= alpha < p_of(u - 1)


def test_runs_needed() -> None:
    assert runs_needed(0.05) == 3
    assert runs_needed(0.05 / 12) == 5
    assert critical_u(3, 0.05 / 12) is None


def test_detectable_change_grows_with_noise() -> None:
    rng = np.random.default_rng(0)
    quiet = [make_run(rng, seconds=2, run_drift=0.02) for _ in range(6)]
    noisy = [make_run(rng, seconds=2, run_drift=0.2) for _ in range(6)]
    q = {r.metric: r for r in calibrate(quiet).rows}
    n = {r.metric: r for r in calibrate(noisy).rows}
    assert q["p50"].noise < n["p50"].noise
    assert q["p50"].detectable is not None and n["p50"].detectable is not None
    assert q["p50"].detectable < n["p50"].detectable
    assert q["p50"].detectable >= q["p50"].tolerance  # never below the tolerance
    assert n["error_rate"].detectable == 0.5  # no noise at all: the tolerance decides


def test_too_few_runs_cannot_detect() -> None:
    rng = np.random.default_rng(1)
    result = calibrate([make_run(rng, seconds=2, median_ms={"/a": 10, "/b": 5}) for _ in range(3)])
    assert result.findings == 12 and result.runs_needed == 5
    assert all(row.detectable is None for row in result.rows)
