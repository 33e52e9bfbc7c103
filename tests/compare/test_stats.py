"""The statistics against scipy and hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps

from surge.compare.stats import (
    benjamini_hochberg,
    block_length,
    block_weights,
    bootstrap_effect,
    mann_whitney_one_sided,
    min_exact_p,
    runs_effect,
)


def test_benjamini_hochberg_hand_computed() -> None:
    # sorted: 0.005 (rank 1) -> 0.02, 0.01 (2) -> 0.02, 0.03 (3) -> 0.04, 0.04 (4) -> 0.04
    assert benjamini_hochberg([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.02, 0.04, 0.04, 0.02])
    # step-up: the larger rank's smaller scaled value carries down (0.9 * 3 / 3 < 0.6 * 3 / 2)
    assert benjamini_hochberg([0.6, 0.9, 0.01]) == pytest.approx([0.9, 0.9, 0.03])
    assert benjamini_hochberg([]) == []
    assert benjamini_hochberg([0.7]) == [0.7]


def test_benjamini_hochberg_matches_scipy() -> None:
    p = np.random.default_rng(0).uniform(0, 0.2, 40)
    assert benjamini_hochberg(p.tolist()) == pytest.approx(sps.false_discovery_control(p).tolist())


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ([1.0, 2.0, 3.0], [4.0, 5.0, 6.0]),
        ([10.1, 9.8, 10.4, 10.0, 9.9], [10.3, 10.9, 11.2, 10.2, 10.8]),
        ([1.0, 2.0, 2.0, 3.0], [2.0, 3.0, 3.0, 4.0]),  # ties
    ],
)
def test_mann_whitney_matches_scipy_exact(a: list[float], b: list[float]) -> None:
    greater, less = mann_whitney_one_sided(a, b)
    assert greater == sps.mannwhitneyu(b, a, alternative="greater", method="exact").pvalue
    assert less == sps.mannwhitneyu(b, a, alternative="less", method="exact").pvalue


def test_smallest_attainable_exact_p() -> None:
    assert min_exact_p(3, 3) == pytest.approx(0.05)  # 1 / C(6, 3): one-sided
    assert min_exact_p(5, 5) == pytest.approx(1 / 252)
    greater, _ = mann_whitney_one_sided([1, 2, 3], [4, 5, 6])
    assert greater == pytest.approx(0.05)  # fully separated 3 vs 3 reaches exactly the minimum


def test_runs_bootstrap_ci_covers_the_truth() -> None:
    """A/A with 5 runs a side: the 95% CI of the change of medians covers 0 in most trials and
    the one-sided test raises about alpha false alarms."""
    rng = np.random.default_rng(7)
    trials, covered, alarms = 200, 0, 0
    for _ in range(trials):
        a, b = np.exp(rng.normal(0, 0.05, 5)), np.exp(rng.normal(0, 0.05, 5))
        effect = runs_effect(a.tolist(), b.tolist(), relative=True, rng=rng, resamples=500)
        covered += effect.ci_low <= 0.0 <= effect.ci_high
        alarms += effect.p_greater <= 0.05
    assert covered / trials >= 0.88
    assert alarms / trials <= 0.1


def test_runs_effect_sees_a_shift() -> None:
    rng = np.random.default_rng(1)
    effect = runs_effect(
        [10.0, 10.2, 9.9, 10.1, 10.0], [13.1, 12.9, 13.0, 13.3, 12.8], relative=True, rng=rng
    )
    assert effect.change == pytest.approx(0.3, abs=0.001)
    assert 0.25 < effect.ci_low < effect.ci_high < 0.35
    assert effect.p_greater == pytest.approx(1 / 252)
    assert effect.p_less == 1.0


def test_identical_values_are_untestable() -> None:
    effect = runs_effect(
        [0.0, 0.0, 0.0], [0.0, 0.0, 0.0], relative=False, rng=np.random.default_rng(0)
    )
    assert not effect.testable and effect.change == 0.0


def test_bootstrap_effect_p_value_inverts_the_interval() -> None:
    base = np.full(999, 10.0)
    cand = np.concatenate([np.full(20, 9.0), np.full(979, 12.0)])  # 2% of replicates not higher
    effect = bootstrap_effect(0.2, base, cand, relative=True)
    assert effect.p_greater == pytest.approx(21 / 1000)
    assert effect.p_less == pytest.approx(980 / 1000)


def test_bootstrap_far_tail_is_a_normal_fit() -> None:
    """No replicate on the other side: the p-value is not capped at 1 / (resamples + 1)."""
    rng = np.random.default_rng(0)
    base = rng.normal(10.0, 0.1, 2000)
    cand = rng.normal(11.0, 0.1, 2000)  # the change is about 10 standard deviations from 0
    effect = bootstrap_effect(0.1, base, cand, relative=True)
    reps = cand / base - 1
    expected = sps.norm.sf(reps.mean() / reps.std())
    assert effect.p_greater == pytest.approx(expected) and effect.p_greater < 1e-10
    assert effect.p_less == pytest.approx(1.0)


def test_block_weights_draw_whole_blocks_within_runs() -> None:
    rng = np.random.default_rng(0)
    weights = block_weights([30, 34], rng, resamples=50)
    assert block_length(64) == 4
    # prefix sums of a per-interval 1: every resample holds 16 blocks of 4 intervals
    ones = np.arange(65, dtype=np.float64)[:, None]
    assert np.all(np.asarray(weights @ ones) == 64)
    # a per-interval run marker: no block mixes the two runs (sums are multiples of 4 per run)
    marker = np.concatenate([[0.0], np.cumsum(np.r_[np.zeros(30), np.ones(34)])])[:, None]
    assert np.all(np.asarray(weights @ marker) % 4 == 0)


def test_block_length_grows_as_the_cube_root() -> None:
    assert [block_length(n) for n in (1, 3, 27, 3600)] == [1, 1, 3, round(math.cbrt(3600))]
