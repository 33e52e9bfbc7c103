"""Arrival times of the open model: exact for uniform spacing, statistically right for Poisson."""

from __future__ import annotations

import itertools
import math

import pytest

from surge.schedule import ArrivalProcess, LoadProfile, Pacer, Timeline, compile_plan


def _times(pacer: Pacer, limit: int = 1_000_000) -> list[float]:
    out: list[float] = []
    for k in range(limit):
        due = pacer.due_s(k)
        if due is None:
            return out
        out.append(due)
    raise AssertionError("the schedule did not end")


def _pacer(profile: LoadProfile) -> Pacer:
    return compile_plan(profile).pacer()


def _timeline(profile: LoadProfile) -> Timeline:
    timeline = compile_plan(profile).timeline
    assert timeline is not None
    return timeline


def test_constant_rate_is_evenly_spaced_from_zero() -> None:
    times = _times(_pacer(LoadProfile(rate=4.0, duration_s=2.0)))
    assert times == [0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75]


def test_a_ten_second_ramp_to_100_per_second_has_500_arrivals() -> None:
    times = _times(_pacer(LoadProfile(stages="10s:100/s")))
    assert len(times) == 500
    assert times == sorted(times)
    # N(t) = 5 t², so arrival k is due at sqrt(k / 5)
    for k in (0, 1, 20, 125, 499):
        assert times[k] == pytest.approx(math.sqrt(k / 5))
    per_second = [sum(1 for t in times if s <= t < s + 1) for s in range(10)]
    assert per_second == [5, 15, 25, 35, 45, 55, 65, 75, 85, 95]


def test_stages_with_steps_and_a_pause_count_exactly() -> None:
    times = _times(_pacer(LoadProfile(stages="0s:10/s,5s:10/s,0s:0/s,5s:0/s,0s:20/s,5s:20/s")))
    assert len(times) == 50 + 100
    assert not [t for t in times if 5.0 < t < 10.0]
    assert times[50] == 10.0  # the first arrival after the pause comes as the rate resumes
    assert times[51] == pytest.approx(10.05)


def test_poisson_counts_and_gaps_are_within_statistical_bounds() -> None:
    times = _times(
        _pacer(LoadProfile(rate=100.0, duration_s=100.0, arrivals=ArrivalProcess.POISSON, seed=7))
    )
    n = len(times)
    assert abs(n - 10_000) < 5 * math.sqrt(10_000)  # 5 sigma
    gaps = [b - a for a, b in itertools.pairwise(times)]
    mean_gap = sum(gaps) / len(gaps)
    assert mean_gap == pytest.approx(0.01, rel=0.05)
    # exponential gaps: the coefficient of variation is 1 (uniform spacing would give 0)
    sd = math.sqrt(sum((g - mean_gap) ** 2 for g in gaps) / len(gaps))
    assert sd / mean_gap == pytest.approx(1.0, rel=0.1)


def test_poisson_follows_a_ramped_rate() -> None:
    times = _times(_pacer(LoadProfile(stages="10s:100/s", arrivals=ArrivalProcess.POISSON, seed=3)))
    assert abs(len(times) - 500) < 5 * math.sqrt(500)
    first_half = sum(1 for t in times if t < 5.0)  # N(5) = 125
    assert abs(first_half - 125) < 5 * math.sqrt(125)


def test_poisson_is_reproducible_and_seed_dependent() -> None:
    a = _pacer(LoadProfile(rate=50.0, arrivals=ArrivalProcess.POISSON, seed=1))
    b = _pacer(LoadProfile(rate=50.0, arrivals=ArrivalProcess.POISSON, seed=1))
    c = _pacer(LoadProfile(rate=50.0, arrivals=ArrivalProcess.POISSON, seed=2))
    assert _times(a) == _times(b)
    assert _times(a) != _times(c)


def test_poisson_random_access_redraws_from_the_seed() -> None:
    pacer = _pacer(LoadProfile(rate=50.0, arrivals=ArrivalProcess.POISSON, seed=1))
    forward = [pacer.due_s(k) for k in range(20)]
    assert pacer.due_s(5) == forward[5]
    assert pacer.due_s(19) == forward[19]


def test_pace_is_the_wait_until_the_next_arrival() -> None:
    pacer = _pacer(LoadProfile(rate=10.0, duration_s=1.0))
    assert pacer.pace(0.0, 0) == 0.0
    assert pacer.pace(0.0, 1) == pytest.approx(0.1)
    assert pacer.pace(0.05, 1) == pytest.approx(0.05)
    assert pacer.pace(0.35, 1) == pytest.approx(-0.25)  # overdue: due 0.25 s ago
    assert pacer.pace(0.35, 9) == pytest.approx(0.55)
    assert pacer.pace(0.95, 10) is None
    assert pacer.pace(5.0, 10) is None


def test_pace_agrees_with_due_times() -> None:
    pacer = _pacer(LoadProfile(stages="3s:30/s,2s:0/s"))  # 45 arrivals up, 30 down
    for issued in range(75):
        due = pacer.due_s(issued)
        assert due is not None
        assert pacer.pace(1.5, issued) == pytest.approx(due - 1.5)
    assert pacer.pace(1.5, 75) is None


def test_a_worker_slice_is_a_stride_of_the_global_sequence() -> None:
    whole = _pacer(LoadProfile(rate=10.0, duration_s=1.0))
    odd = Pacer(_timeline(LoadProfile(rate=10.0, duration_s=1.0)), stride=2, offset=1)
    assert odd.global_index(3) == 7
    assert _times(odd) == [whole.due_s(k) for k in (1, 3, 5, 7, 9)]


def test_bad_slices_and_indexes_are_refused() -> None:
    curve = _timeline(LoadProfile(rate=10.0))
    with pytest.raises(ValueError):
        Pacer(curve, stride=2, offset=2)
    with pytest.raises(ValueError):
        Pacer(curve).due_s(-1)
