"""Load shapes: tick sampled once a second, in order, not far ahead; None ends; bad values fail."""

from __future__ import annotations

import math

import pytest

from surge.metrics.values import LoadModel
from surge.scenario.shape import LoadShape
from surge.schedule import (
    LoadProfile,
    Plan,
    PlanError,
    PlanSource,
    ShapeError,
    compile_plan,
    dry_run_lines,
)


class Steps(LoadShape):
    """Users: 2 for 3 s, then 5, then stop at 6 s. Records every call."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def tick(self, elapsed_s: float) -> float | None:
        self.calls.append(elapsed_s)
        if elapsed_s >= 6:
            return None
        return 2.0 if elapsed_s < 3 else 5.5


class Pause(LoadShape):
    """A rate: nothing for 10 s, then 10/s until 20 s. Records every call."""

    kind = "rate"

    def __init__(self) -> None:
        self.calls: list[float] = []

    def tick(self, elapsed_s: float) -> float | None:
        self.calls.append(elapsed_s)
        if elapsed_s >= 20:
            return None
        return 0.0 if elapsed_s < 10 else 10.0


class Returns(LoadShape):
    """Returns `value` from second 2 on (a fine target before)."""

    kind = "rate"

    def __init__(self, value: object) -> None:
        self.value = value

    def tick(self, elapsed_s: float) -> float | None:
        return 1.0 if elapsed_s < 2 else self.value  # type: ignore[return-value]


def _plan(shape: LoadShape, duration_s: float | None = None) -> Plan:
    return compile_plan(LoadProfile(shape=shape, duration_s=duration_s))


def test_a_users_shape_is_closed_and_sampled_once_per_second_in_order() -> None:
    shape = Steps()
    plan = _plan(shape)
    assert plan.model is LoadModel.CLOSED and plan.source is PlanSource.SHAPE
    assert plan.duration_s is None and plan.peak_users is None
    assert plan.users_at(0.0) == 2
    assert plan.users_at(2.99) == 2
    assert plan.target_at(2.5) == 2.0
    assert shape.calls == [0.0, 1.0, 2.0]  # nothing ahead of the clock
    assert plan.users_at(3.0) == 5  # 5.5 rounds down
    assert plan.users_at(1.0) == 2  # remembered, not asked again
    assert shape.calls == [0.0, 1.0, 2.0, 3.0]
    assert plan.users_at(6.0) == 0
    assert plan.target_at(6.5) is None
    assert plan.users_at(100.0) == 0
    assert shape.calls == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0]  # None ended it: no more calls


def test_a_shape_class_is_instantiated() -> None:
    plan = compile_plan(LoadProfile(shape=Steps))
    assert plan.users_at(0.0) == 2


def test_duration_also_ends_a_shape_run() -> None:
    shape = Steps()
    plan = _plan(shape, duration_s=2.0)
    assert plan.users_at(1.5) == 2
    assert plan.users_at(2.0) == 0
    assert plan.target_at(2.0) is None
    assert max(shape.calls) == 1.0


def test_a_rate_shape_paces_against_its_samples() -> None:
    shape = Pause()
    plan = _plan(shape)
    assert plan.model is LoadModel.OPEN
    assert plan.max_in_flight == 10_000
    times = []
    pacer = plan.pacer()
    while (due := pacer.due_s(len(times))) is not None:
        times.append(due)
    assert len(times) == 100
    assert times[0] == 10.0 and times[-1] == pytest.approx(19.9)
    assert plan.planned_arrivals == 100.0
    assert plan.offered_rps == pytest.approx(5.0)  # 100 arrivals over 20 s


def test_pace_never_samples_more_than_the_lookahead_ahead() -> None:
    shape = Pause()
    pacer = _plan(shape).pacer()
    wait = pacer.pace(0.0, 0)
    assert shape.calls == [0.0, 1.0]
    assert wait is not None and wait > 1.0  # not due yet: ask again later
    for elapsed in (0.5, 3.2, 8.7):
        wait = pacer.pace(elapsed, 0)
        assert max(shape.calls) <= elapsed + 1.0
        assert wait is not None and wait > 0
    assert pacer.pace(9.25, 0) == pytest.approx(0.75)  # second 10 is in reach: exact now
    assert max(shape.calls) == 10.0
    assert pacer.pace(10.5, 5) == pytest.approx(0.0)


def test_a_rate_shape_cut_by_duration_counts_only_to_the_cut() -> None:
    class Flat(LoadShape):
        kind = "rate"

        def tick(self, elapsed_s: float) -> float | None:
            assert elapsed_s < 3, "sampled past the end"
            return 10.0

    pacer = _plan(Flat(), duration_s=2.5).pacer()
    times = []
    while (due := pacer.due_s(len(times))) is not None:
        times.append(due)
    assert len(times) == 25
    assert pacer.pace(1.0, 25) is None


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        (-1, "returned -1: arrivals per second must be a finite number ≥ 0"),
        (math.nan, "returned nan"),
        (math.inf, "returned inf"),
        ("fast", "returned 'fast' (str)"),
        (True, "returned True (bool)"),
    ],
)
def test_bad_tick_values_raise_a_shape_error_naming_class_and_second(
    value: object, fragment: str
) -> None:
    pacer = _plan(Returns(value)).pacer()
    with pytest.raises(ShapeError) as info:
        for k in range(10):
            pacer.due_s(k)
    message = str(info.value)
    assert "load shape Returns.tick(2) at 2s" in message
    assert fragment in message
    assert not isinstance(info.value, PlanError)  # a run-time error, not a bad option


def test_exception_in_tick_is_wrapped() -> None:
    class Boom(LoadShape):
        def tick(self, elapsed_s: float) -> float | None:
            raise ZeroDivisionError("division by zero")

    with pytest.raises(ShapeError, match=r"Boom\.tick\(0\) at 0s raised ZeroDivisionError") as info:
        _plan(Boom()).users_at(0.0)
    assert isinstance(info.value.__cause__, ZeroDivisionError)


class Odd(LoadShape):
    kind = "speed"  # type: ignore[assignment]

    def tick(self, elapsed_s: float) -> float | None:
        return 1.0


class NeedsArgs(LoadShape):
    def __init__(self, peak: float) -> None:
        self.peak = peak

    def tick(self, elapsed_s: float) -> float | None:
        return self.peak


def test_bad_shapes_are_plan_errors() -> None:
    with pytest.raises(PlanError, match="load shape Odd: kind must be 'users' or 'rate'"):
        compile_plan(LoadProfile(shape=Odd()))
    with pytest.raises(PlanError, match="load shape NeedsArgs: cannot create it without"):
        compile_plan(LoadProfile(shape=NeedsArgs))
    assert compile_plan(LoadProfile(shape=NeedsArgs(3.0))).users_at(0.5) == 3


def test_dry_run_samples_a_shape_for_the_seconds_shown() -> None:
    lines = dry_run_lines(_plan(Steps()), seconds=10)
    assert "stops: when Steps.tick returns None" in lines
    assert "  0s\u20132s: 2 users" in lines
    assert "  3s\u20135s: 5 users" in lines
