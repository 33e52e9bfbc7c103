"""The serial engine on a fake clock: calibration, rounds, warm-up, errors, setup and GC — exact,
because the callable itself moves the clock."""

from __future__ import annotations

import gc

import numpy as np
import pytest

from surge.benches import Call, Plan, per_call_ns, sample_serially, stats_of


class FakeClock:
    """A nanosecond clock that only the code under test moves."""

    def __init__(self) -> None:
        self.now = 0

    def __call__(self) -> int:
        return self.now

    def advance(self, ns: int) -> None:
        self.now += ns


def test_calibration_batches_fast_calls_until_a_round_reaches_the_target() -> None:
    clock = FakeClock()
    samples = sample_serially(
        Call(lambda: clock.advance(100)),
        Plan(rounds=50, warmup=0),
        clock=clock,
        timer_step_ns=1,
    )
    # 100 ns per call, target 20 µs: the smallest n with n * 100 >= 20_000 after the x10 steps
    assert samples.iterations * 100 >= 20_000
    assert samples.iterations <= 1000
    assert len(samples.sample_ns) == 50
    assert set(samples.sample_ns) == {samples.iterations * 100}


def test_slow_calls_are_timed_one_by_one_and_stats_are_exact() -> None:
    clock = FakeClock()
    times = iter(range(30_000, 10**9, 1_000))
    samples = sample_serially(
        Call(lambda: clock.advance(next(times))), Plan(rounds=101, warmup=3), clock=clock
    )
    assert samples.iterations == 1
    assert samples.warmup_rounds == 3
    per_call = per_call_ns(samples.sample_ns, samples.iterations)
    stats = stats_of(per_call, iterations=1, errors=0, total_s=sum(samples.sample_ns) / 1e9)
    assert stats.rounds == 101
    assert stats.median_ms == pytest.approx(float(np.median(per_call)) / 1e6)
    assert stats.min_ms == pytest.approx(per_call.min() / 1e6)
    assert stats.stddev_ms == pytest.approx(per_call.std(ddof=1) / 1e6)
    assert stats.ops == pytest.approx(101 / (per_call.sum() / 1e9))


def test_auto_rounds_fill_the_duration_with_at_least_min_rounds() -> None:
    clock = FakeClock()
    samples = sample_serially(
        Call(lambda: clock.advance(1_000_000)),  # 1 ms per call
        Plan(duration_s=0.05, warmup=0),
        clock=clock,
    )
    assert 49 <= len(samples.sample_ns) <= 51
    slow = sample_serially(
        Call(lambda: clock.advance(100_000_000)), Plan(duration_s=0.05, warmup=0), clock=clock
    )
    assert len(slow.sample_ns) == 5  # min_rounds, even past the duration


def test_errors_are_counted_by_type_in_place_and_never_timed() -> None:
    clock = FakeClock()
    calls = iter(range(10**6))

    def flaky() -> None:
        n = next(calls)
        clock.advance(50_000)
        if n % 4 == 3:
            raise KeyError(n)

    samples = sample_serially(Call(flaky), Plan(rounds=40, warmup=0), clock=clock)
    assert samples.iterations == 1  # an error while calibrating: every call timed alone
    assert samples.errors == 10
    assert samples.errors_by_type == {"KeyError": 10}
    assert len(samples.sample_ns) == 30
    assert set(samples.sample_ns) == {50_000}
    assert len(samples.error_at) == 10


def test_setup_feeds_each_round_and_teardown_gets_the_same_arguments() -> None:
    clock = FakeClock()
    made: list[int] = []
    torn: list[tuple[int, str]] = []
    seen: list[tuple[int, str]] = []

    def setup() -> tuple[tuple[int], dict[str, str]]:
        made.append(len(made))
        return (made[-1],), {"tag": "x"}

    def target(n: int, tag: str) -> int:
        clock.advance(25_000)
        seen.append((n, tag))
        return n * 2

    samples = sample_serially(
        Call(target, setup=setup, teardown=lambda n, tag: torn.append((n, tag))),
        Plan(rounds=5, warmup=2),
        clock=clock,
    )
    assert samples.iterations == 1
    assert samples.value == 0  # the first call's value
    assert seen == torn == [(i, "x") for i in range(len(made))]
    assert len(made) == 1 + 2 + 5  # probe, warm-up, rounds


def test_setup_with_more_than_one_iteration_is_refused() -> None:
    with pytest.raises(ValueError, match="iterations must be 1 with setup"):
        sample_serially(
            Call(lambda: None, setup=lambda: None), Plan(iterations=3), clock=FakeClock()
        )


def test_gc_is_off_while_timing_and_back_on_after() -> None:
    clock = FakeClock()
    states: list[bool] = []

    def record() -> None:
        clock.advance(30_000)
        states.append(gc.isenabled())

    assert gc.isenabled()
    sample_serially(Call(record), Plan(rounds=5, warmup=0), clock=clock)
    assert states[0] is True  # the untimed first call
    assert not any(states[1:])
    assert gc.isenabled()
    states.clear()
    sample_serially(Call(record), Plan(rounds=5, warmup=0, disable_gc=False), clock=clock)
    assert all(states)


@pytest.mark.parametrize(
    ("plan", "message"),
    [
        (dict(rounds=0), "rounds must be a whole number"),
        (dict(iterations=-1), "iterations must be a whole number"),
        (dict(warmup=-2), "warmup must be a whole number"),
        (dict(duration_s=0), "duration must be more than 0"),
    ],
)
def test_bad_plans_say_what_is_wrong(plan: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Plan(**plan)  # type: ignore[arg-type]
