"""Worker slices are exact: they add up to the single-process plan, arrival for arrival."""

from __future__ import annotations

import pytest

from surge.scenario.shape import LoadShape
from surge.schedule import (
    ArrivalProcess,
    LoadProfile,
    Plan,
    PlanError,
    compile_plan,
    share,
    split_plan,
)


def _times(plan: Plan) -> list[float]:
    pacer = plan.pacer()
    out: list[float] = []
    while (due := pacer.due_s(len(out))) is not None:
        out.append(due)
    return out


def _merged(plans: tuple[Plan, ...]) -> list[float]:
    return sorted(t for plan in plans for t in _times(plan))


def test_seven_users_over_two_workers_are_four_and_three_with_the_same_offsets() -> None:
    whole = compile_plan(LoadProfile(users=7, ramp_up_s=7.0, duration_s=30.0), (3, 1))
    a, b = split_plan(whole, 2)
    assert (a.users, b.users) == (4, 3)
    assert a.start_offsets_s == (0.0, 2.0, 4.0, 6.0)
    assert b.start_offsets_s == (1.0, 3.0, 5.0)
    assert sorted(a.start_offsets_s + b.start_offsets_s) == list(whole.start_offsets_s)
    assert sorted(a.user_classes + b.user_classes) == sorted(whole.user_classes)
    assert [a.class_of(i) for i in range(4)] == list(a.user_classes)
    assert [b.class_of(i) for i in range(3)] == list(b.user_classes)
    assert a.requests_per_user == b.requests_per_user == whole.requests_per_user
    for t in (0.0, 1.5, 3.0, 6.5, 29.0):
        assert a.users_at(t) + b.users_at(t) == whole.users_at(t)
    assert a.describe() == "worker 0/2: 4 users, ramp-up 7s, for 30s"


def test_a_rate_of_250_splits_into_125_and_125() -> None:
    whole = compile_plan(LoadProfile(rate=250.0, duration_s=4.0))
    a, b = split_plan(whole, 2)
    assert a.offered_rps == b.offered_rps == 125.0
    assert a.planned_arrivals == b.planned_arrivals == 500.0
    assert a.target_at(1.0) == b.target_at(1.0) == 125.0
    assert a.max_in_flight == b.max_in_flight == 250
    assert _merged((a, b)) == _times(whole)


@pytest.mark.parametrize("workers", [1, 2, 3, 7])
@pytest.mark.parametrize(
    "profile",
    [
        LoadProfile(rate=33.0, duration_s=3.0),
        LoadProfile(stages="2s:50/s,1s:50/s,0s:5/s,2s:0/s"),
        LoadProfile(stages="3s:40/s,1s:0/s", arrivals=ArrivalProcess.POISSON, seed=11),
    ],
    ids=["constant", "stages", "poisson"],
)
def test_the_union_of_worker_schedules_is_the_single_schedule(
    profile: LoadProfile, workers: int
) -> None:
    whole = compile_plan(profile)
    parts = split_plan(whole, workers)
    assert _merged(parts) == _times(whole)  # exactly: same floats, nothing lost or doubled
    assert sum(p.planned_arrivals or 0.0 for p in parts) == pytest.approx(
        whole.planned_arrivals or 0.0
    )


def test_shape_rates_split_exactly_too() -> None:
    class Wave(LoadShape):
        kind = "rate"

        def tick(self, elapsed_s: float) -> float | None:
            return None if elapsed_s >= 4 else [3.0, 0.0, 7.5, 12.0][int(elapsed_s)]

    whole = compile_plan(LoadProfile(shape=Wave()))
    parts = split_plan(compile_plan(LoadProfile(shape=Wave())), 3)
    assert _merged(parts) == _times(whole)
    assert len(_times(whole)) == 23


def test_user_stage_targets_divide_exactly_with_the_remainder_to_the_first_workers() -> None:
    whole = compile_plan(LoadProfile(stages="10s:11,5s:11,5s:0"), (2, 1))
    parts = split_plan(whole, 3)
    assert [p.users for p in parts] == [4, 4, 3]
    assert [p.peak_users for p in parts] == [4, 4, 3]
    for tenth in range(0, 210):
        t = tenth / 10
        counts = [p.users_at(t) for p in parts]
        assert sum(counts) == whole.users_at(t)
        assert counts == sorted(counts, reverse=True)
        assert max(counts) - min(counts) <= 1
    classes = sorted(c for p in parts for c in p.user_classes)
    assert classes == sorted(whole.user_classes)


def test_max_in_flight_is_shared_but_at_least_one() -> None:
    whole = compile_plan(LoadProfile(rate=5.0, max_in_flight=5))
    assert [p.max_in_flight for p in split_plan(whole, 3)] == [2, 2, 1]
    assert [p.max_in_flight for p in split_plan(whole, 7)] == [1] * 7


def test_share_adds_up() -> None:
    for total in range(20):
        for workers in range(1, 6):
            parts = [share(total, w, workers) for w in range(workers)]
            assert sum(parts) == total
            assert max(parts) - min(parts) <= 1


def test_bad_splits_are_refused() -> None:
    whole = compile_plan(LoadProfile(rate=5.0))
    with pytest.raises(PlanError, match="--workers must be at least 1"):
        split_plan(whole, 0)
    with pytest.raises(PlanError, match="split the whole plan"):
        split_plan(split_plan(whole, 2)[0], 2)


def test_one_worker_is_the_plan_itself() -> None:
    whole = compile_plan(LoadProfile(users=3, duration_s=5.0))
    assert split_plan(whole, 1) == (whole,)


@pytest.mark.parametrize(
    "profile",
    [
        LoadProfile(rate=33.0, duration_s=3.0),
        LoadProfile(stages="2s:50/s,1s:50/s,0s:5/s,2s:0/s"),
        LoadProfile(stages="3s:40/s,1s:0/s", arrivals=ArrivalProcess.POISSON, seed=11),
    ],
)
def test_arrivals_due_counts_a_slices_arrivals_up_to_a_moment(profile: LoadProfile) -> None:
    """What a lost worker's slice scheduled by the end of the load phase: its arrivals due by
    then, exactly (the same times the pacer gives the worker)."""
    parts = split_plan(compile_plan(profile), 3)
    for part in parts:
        times = _times(part)
        for until_s in (0.0, 0.5, 1.7, 2.0, 2.9, 100.0):
            assert part.arrivals_due(until_s) == sum(1 for t in times if t <= until_s)


def test_arrivals_due_is_unknown_for_users_and_for_a_shape() -> None:
    class Flat(LoadShape):
        kind = "rate"

        def tick(self, elapsed_s: float) -> float | None:
            return 10.0 if elapsed_s < 2 else None

    assert compile_plan(LoadProfile(users=3, duration_s=5.0)).arrivals_due(1.0) is None
    assert compile_plan(LoadProfile(shape=Flat())).arrivals_due(1.0) is None
