"""Wait-time functions."""

from __future__ import annotations

import math
import random
from typing import Any

import pytest

from surge.scenario.wait import (
    BetweenWait,
    ConstantPacing,
    ConstantWait,
    WaitTime,
    between,
    constant,
    constant_pacing,
    pacing_s_of,
)


def test_constant_always_returns_its_value() -> None:
    wait = constant(1)
    rng = random.Random(1)
    assert isinstance(wait, WaitTime)
    assert wait == ConstantWait(1.0)
    assert [wait.next_wait_s(i, rng) for i in (0.0, 0.5, 3.0)] == [1.0, 1.0, 1.0]
    assert isinstance(wait.wait_s, float)
    assert wait.pacing_s is None
    assert wait.mean_wait_s == 1.0


def test_between_is_uniform_within_bounds_and_seeded() -> None:
    wait = between(0.5, 2)
    waits = [wait.next_wait_s(0.1, random.Random(42)) for _ in range(3)]
    assert waits[0] == waits[1] == waits[2]  # same seed, same draw
    rng = random.Random(7)
    draws = [wait.next_wait_s(0.1, rng) for _ in range(2000)]
    assert all(0.5 <= d <= 2.0 for d in draws)
    assert min(draws) < 0.6 and max(draws) > 1.9
    assert math.isclose(sum(draws) / len(draws), 1.25, abs_tol=0.05)
    assert wait.mean_wait_s == 1.25
    assert wait.pacing_s is None


def test_between_with_equal_bounds_is_constant() -> None:
    assert between(1, 1).next_wait_s(0.0, random.Random(0)) == 1.0


def test_constant_pacing_subtracts_the_iteration_time() -> None:
    wait = constant_pacing(2)
    rng = random.Random(0)
    assert wait.next_wait_s(0.0, rng) == 2.0
    assert math.isclose(wait.next_wait_s(0.5, rng), 1.5)
    assert wait.next_wait_s(2.0, rng) == 0.0
    assert wait.next_wait_s(5.0, rng) == 0.0  # never negative
    assert wait.pacing_s == 2.0
    assert wait.mean_wait_s is None
    assert isinstance(wait, ConstantPacing)


def test_pacing_s_of() -> None:
    assert pacing_s_of(constant_pacing(0.25)) == 0.25
    assert pacing_s_of(constant(1)) is None
    assert pacing_s_of(between(0, 1)) is None
    assert pacing_s_of(None) is None


def test_values_are_frozen_and_hashable() -> None:
    wait = between(1, 2)
    with pytest.raises(AttributeError):
        wait.min_s = 0  # type: ignore[misc]
    assert hash(wait) == hash(BetweenWait(1.0, 2.0))


@pytest.mark.parametrize(
    ("factory", "args", "error", "match"),
    [
        (constant, (-1,), ValueError, r"constant\(seconds\) must be 0 or more"),
        (constant, (math.inf,), ValueError, "finite"),
        (constant, ("1",), TypeError, "must be a number"),
        (constant, (True,), TypeError, "must be a number"),
        (between, (-0.5, 1), ValueError, "min_s must be 0 or more"),
        (between, (0, -1), ValueError, "max_s must be 0 or more"),
        (between, (2, 1), ValueError, "must not exceed max_s"),
        (between, (0, math.nan), ValueError, "finite"),
        (constant_pacing, (0,), ValueError, "greater than 0"),
        (constant_pacing, (-2,), ValueError, "greater than 0"),
    ],
)
def test_invalid_arguments_are_rejected(
    factory: Any, args: tuple[Any, ...], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        factory(*args)
