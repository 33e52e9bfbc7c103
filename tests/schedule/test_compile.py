"""Compiling load profiles: which model, which duration, which errors — and users_at over stages."""

from __future__ import annotations

import pytest

from surge.metrics.values import LoadModel
from surge.scenario.shape import LoadShape
from surge.schedule import (
    ArrivalProcess,
    LoadProfile,
    PlanError,
    PlanSource,
    assign_classes,
    compile_plan,
)


class _Rate(LoadShape):
    kind = "rate"

    def tick(self, elapsed_s: float) -> float | None:
        return 10.0


def test_rate_alone_is_open_constant_for_the_default_duration() -> None:
    plan = compile_plan(LoadProfile(rate=50.0))
    assert plan.model is LoadModel.OPEN
    assert plan.duration_s == 10.0
    assert plan.offered_rps == 50.0
    assert plan.planned_arrivals == 500.0
    assert plan.peak_rate == 50.0
    assert plan.peak_users is None
    assert plan.target_at(3.0) == 50.0
    assert plan.target_at(10.0) is None
    assert plan.users_at(3.0) == 0


@pytest.mark.parametrize(("rate", "cap"), [(10.0, 100), (50.0, 100), (250.0, 500), (333.3, 667)])
def test_max_in_flight_default_covers_two_seconds_at_peak(rate: float, cap: int) -> None:
    assert compile_plan(LoadProfile(rate=rate)).max_in_flight == cap
    assert compile_plan(LoadProfile(stages=f"5s:{rate}/s,5s:1/s")).max_in_flight == cap


def test_explicit_max_in_flight_wins() -> None:
    assert compile_plan(LoadProfile(rate=1000.0, max_in_flight=7)).max_in_flight == 7


def test_rate_stages_are_open_and_last_as_long_as_the_stages() -> None:
    plan = compile_plan(LoadProfile(stages="30s:100/s,1m:100/s,10s:500/s,30s:0/s"))
    assert plan.model is LoadModel.OPEN
    assert plan.source is PlanSource.STAGES
    assert plan.duration_s == 130.0
    assert plan.planned_arrivals == 1500 + 6000 + 3000 + 7500
    assert plan.offered_rps == pytest.approx(18000 / 130)
    assert plan.target_at(15.0) == 50.0
    assert plan.target_at(95.0) == 300.0


def test_duration_cuts_stages_and_says_so() -> None:
    plan = compile_plan(LoadProfile(stages="10s:100/s,10s:100/s", duration_s=15.0))
    assert plan.duration_s == 15.0
    assert plan.planned_arrivals == 500 + 500
    assert "--duration 15s cuts the stages (20s)" in plan.describe()


def test_duration_longer_than_the_stages_does_not_extend_them() -> None:
    plan = compile_plan(LoadProfile(stages="10s:5", duration_s=60.0))
    assert plan.duration_s == 10.0
    assert "longer than the stages" in plan.describe()


def test_user_stages_are_closed_and_users_at_follows_them_rounded_down() -> None:
    plan = compile_plan(LoadProfile(stages="10s:10,10s:10,0s:20,10s:0,5s:3", think_time_s=0.5))
    assert plan.model is LoadModel.CLOSED
    assert plan.duration_s == 35.0
    assert plan.users == plan.peak_users == 20
    assert plan.think_time_s == 0.5
    expected = {
        0.0: 0,
        0.99: 0,
        1.0: 1,
        5.5: 5,
        10.0: 10,
        15.0: 10,
        20.0: 20,  # a 0s stage is a jump
        25.0: 10,
        29.9: 0,
        30.0: 0,
        32.5: 1,
        34.0: 2,
        35.0: 0,  # over
    }
    assert {t: plan.users_at(t) for t in expected} == expected
    assert plan.target_at(25.0) == 10.0
    assert plan.target_at(35.0) is None


def test_user_stages_assign_classes_up_to_the_peak() -> None:
    plan = compile_plan(LoadProfile(stages="10s:8,10s:0"), (3, 1))
    assert plan.user_classes == assign_classes(8, (3, 1))
    assert [plan.class_of(i) for i in range(8)] == list(plan.user_classes)


def test_class_of_is_the_weighted_round_robin_for_arrivals() -> None:
    plan = compile_plan(LoadProfile(rate=100.0), (3, 1))
    classes = [plan.class_of(k) for k in range(400)]
    assert classes == list(assign_classes(400, (3, 1)))
    for start in range(0, 400, 4):
        assert classes[start : start + 4].count(0) == 3


def test_fixed_closed_plans_keep_their_description_and_users_at_follows_the_ramp() -> None:
    plan = compile_plan(LoadProfile(users=4, ramp_up_s=2.0, duration_s=5.0))
    assert plan.describe() == "4 users, ramp-up 2s, for 5s"
    assert [plan.users_at(t) for t in (0.0, 0.4, 0.5, 1.6, 4.9, 5.0)] == [1, 1, 2, 4, 4, 0]
    assert plan.peak_users == 4
    assert plan.offered_rps is None


def test_users_is_ignored_in_the_open_model_and_the_plan_says_so() -> None:
    plan = compile_plan(LoadProfile(users=10, rate=5.0))
    assert plan.users == 0
    assert plan.describe() == (
        "open model: 5/s, uniform arrivals for 10s (50 arrivals), up to 100 in flight;"
        " --users 10 ignored: the open model starts virtual users on demand"
    )
    assert "ignored" not in compile_plan(LoadProfile(rate=5.0)).describe()


def test_poisson_description_and_seed() -> None:
    plan = compile_plan(LoadProfile(rate=5.0, arrivals=ArrivalProcess.POISSON, seed=42))
    assert plan.seed == 42
    assert "poisson arrivals for 10s (≈50 arrivals)" in plan.describe()


def test_an_unseeded_poisson_plan_gets_a_seed_of_its_own() -> None:
    seeds = {
        compile_plan(LoadProfile(rate=5.0, arrivals=ArrivalProcess.POISSON)).seed for _ in range(3)
    }
    assert len(seeds) > 1


@pytest.mark.parametrize(
    ("profile", "fragment"),
    [
        (LoadProfile(rate=0.0), "--rate must be a positive"),
        (LoadProfile(rate=-5.0), "--rate must be a positive"),
        (LoadProfile(rate=float("inf")), "--rate must be a positive"),
        (LoadProfile(rate=5.0, max_in_flight=0), "--max-in-flight must be at least 1"),
        (
            LoadProfile(rate=5.0, requests_per_user=3),
            "--requests-per-user cannot be combined with --rate",
        ),
        (LoadProfile(stages="5s:5/s", requests_per_user=3), "combined with an arrival rate"),
        (LoadProfile(rate=5.0, ramp_up_s=3.0), "--ramp-up does not apply to an arrival rate"),
        (LoadProfile(rate=5.0, think_time_s=1.0), "--think-time does not apply"),
        (LoadProfile(rate=5.0, stages="10s:10"), "--rate cannot be combined with user stages"),
        (LoadProfile(rate=5.0, stages="10s:10/s"), "--rate and rate --stages"),
        (LoadProfile(max_in_flight=5), "--max-in-flight applies to the open model"),
        (LoadProfile(arrivals=ArrivalProcess.POISSON), "--arrivals poisson applies to the open"),
        (LoadProfile(stages="10s:10", requests_per_user=2), "cannot be combined with --stages"),
        (LoadProfile(stages="10s:10", ramp_up_s=2.0), "--ramp-up cannot be combined with"),
        (LoadProfile(stages="10s:0,5s:0"), "--stages never start a user"),
        (LoadProfile(stages="10s:0/s"), "--stages schedule no arrivals"),
        (LoadProfile(stages="10s:10,5s:5/s"), "--stages: stage 2 '5s:5/s'"),
        (LoadProfile(stages="10s:5", shape=_Rate()), "--stages and a load shape"),
        (LoadProfile(rate=5.0, shape=_Rate()), "--rate and a load shape"),
        (LoadProfile(shape=_Rate(), think_time_s=1.0), "--think-time does not apply"),
    ],
)
def test_impossible_profiles_name_the_option(profile: LoadProfile, fragment: str) -> None:
    with pytest.raises(PlanError) as info:
        compile_plan(profile)
    assert fragment in str(info.value)
