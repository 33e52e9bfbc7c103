"""Offered versus achieved load: pure functions of the run's numbers."""

from __future__ import annotations

import pytest

from surge.metrics.values import Arrivals, LoadModel, TimelinePoint
from surge.monitor import (
    load_warning,
    mean_active_users,
    paced_offered_rps,
    started_arrivals,
    summarize_load,
)


def point(t_s: float, users: int) -> TimelinePoint:
    return TimelinePoint(t_s, 0, 0, 0.0, 0.0, 0.0, 0.0, users)


def test_open_model_achieved_rate_counts_started_arrivals() -> None:
    arrivals = Arrivals(
        scheduled=2000,
        completed=1900,
        failed=40,
        dropped={"max_in_flight": 50},
        in_flight_at_end=10,
    )
    assert started_arrivals(arrivals) == 1950
    summary = summarize_load(LoadModel.OPEN, 200.0, 10.0, arrivals)
    assert summary.model is LoadModel.OPEN
    assert summary.achieved_rps == pytest.approx(195.0)
    assert summary.sustained  # 97.5% of the offered rate, within 5%
    assert summary.arrivals is arrivals
    assert load_warning(summary) is None


def test_open_model_short_of_the_rate_is_not_sustained_and_says_why() -> None:
    arrivals = Arrivals(
        scheduled=2000, completed=1432, dropped={"max_in_flight": 560, "stopped": 8}
    )
    summary = summarize_load(LoadModel.OPEN, 200.0, 10.0, arrivals)
    assert summary.achieved_rps == pytest.approx(143.2)
    assert not summary.sustained
    assert load_warning(summary) == (
        "offered 200.0/s, achieved 143.2/s (72%): the system did not sustain the arrival rate "
        "(568 arrivals dropped: max_in_flight: 560; stopped: 8)"
    )


def test_open_model_without_drops_blames_the_schedule() -> None:
    summary = summarize_load(LoadModel.OPEN, 100.0, 10.0, Arrivals(scheduled=800, completed=800))
    warning = load_warning(summary)
    assert warning is not None
    assert warning.startswith("offered 100.0/s, achieved 80.0/s (80%)")
    assert "started fewer arrivals than the plan offered" in warning


def test_tolerance_is_the_boundary() -> None:
    arrivals = Arrivals(scheduled=950, completed=950)
    assert summarize_load(LoadModel.OPEN, 100.0, 10.0, arrivals).sustained
    assert not summarize_load(LoadModel.OPEN, 100.0, 10.0, arrivals, tolerance=0.01).sustained
    short = Arrivals(scheduled=949, completed=949)
    assert not summarize_load(LoadModel.OPEN, 100.0, 10.0, short).sustained


def test_closed_model_with_pacing() -> None:
    offered = paced_offered_rps(50, 0.25)
    assert offered == 200.0
    summary = summarize_load(LoadModel.CLOSED, offered, 10.0, Arrivals(), started=1432)
    assert not summary.sustained
    assert load_warning(summary) == (
        "offered 200.0/s, achieved 143.2/s (72%): the system did not sustain the pacing "
        "(the target answered too slowly for the pacing interval, or there were too few users "
        "for this rate)"
    )


def test_closed_model_without_pacing_offers_nothing_to_miss() -> None:
    summary = summarize_load(LoadModel.CLOSED, None, 4.0, Arrivals(), started=100)
    assert summary.offered_rps is None
    assert summary.achieved_rps == 25.0
    assert summary.sustained
    assert load_warning(summary) is None


def test_zero_duration_achieves_nothing() -> None:
    summary = summarize_load(LoadModel.CLOSED, 10.0, 0.0, Arrivals(), started=0)
    assert summary.achieved_rps == 0.0
    assert not summary.sustained


def test_started_belongs_to_the_closed_model_only() -> None:
    with pytest.raises(ValueError, match="closed model"):
        summarize_load(LoadModel.CLOSED, 10.0, 1.0, Arrivals())
    with pytest.raises(ValueError, match="open model"):
        summarize_load(LoadModel.OPEN, 10.0, 1.0, Arrivals(), started=3)


@pytest.mark.parametrize(("offered", "tolerance"), [(-1.0, 0.05), (10.0, 1.0), (10.0, -0.1)])
def test_nonsense_inputs_are_refused(offered: float, tolerance: float) -> None:
    with pytest.raises(ValueError):
        summarize_load(LoadModel.OPEN, offered, 1.0, Arrivals(), tolerance=tolerance)


def test_paced_rate_adds_up_over_classes_and_refuses_nonsense() -> None:
    assert paced_offered_rps(10, 2.0) + paced_offered_rps(30, 0.5) == 65.0
    with pytest.raises(ValueError, match="pacing"):
        paced_offered_rps(10, 0.0)
    with pytest.raises(ValueError, match="users"):
        paced_offered_rps(-1, 1.0)


def test_mean_active_users_weighs_by_time() -> None:
    # ramp 10, 20, then 30 users for 2 s, then a short last interval of 0.5 s at 30
    timeline = [point(1.0, 10), point(2.0, 20), point(3.0, 30), point(4.0, 30), point(4.5, 30)]
    assert mean_active_users(timeline) == pytest.approx((10 + 20 + 30 + 30 + 15) / 4.5)
    assert mean_active_users([]) == 0.0


def test_ramping_users_offer_their_mean() -> None:
    timeline = [point(1.0, 0), point(2.0, 100), point(3.0, 100), point(4.0, 100)]
    offered = paced_offered_rps(mean_active_users(timeline), 1.0)
    # 300 iterations in 4 s meet the ramped offer of 75/s; the steady 100/s would call it short
    assert summarize_load(LoadModel.CLOSED, offered, 4.0, Arrivals(), started=300).sustained
    assert not summarize_load(LoadModel.CLOSED, 100.0, 4.0, Arrivals(), started=300).sustained
