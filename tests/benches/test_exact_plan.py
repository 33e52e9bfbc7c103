"""The exact plan (pytest-benchmark's `pedantic`) and `raise_errors`, on a fake clock: exactly
the rounds asked for, no probe call, no calibration, the last call's value; errors raised."""

from __future__ import annotations

import asyncio

import pytest

from surge.benches import Call, Plan, bench_loop, run_spec, sample_serially, spec_from_options


class FakeClock:
    """A nanosecond clock that only the code under test moves."""

    def __init__(self) -> None:
        self.now = 0

    def __call__(self) -> int:
        return self.now

    def advance(self, ns: int) -> None:
        self.now += ns


def test_exact_rounds_make_exactly_the_calls_asked_for() -> None:
    clock = FakeClock()
    calls: list[int] = []

    def target(n: int) -> int:
        calls.append(n)
        clock.advance(1_000 * len(calls))
        return len(calls)

    samples = sample_serially(Call(target, (7,)), Plan(rounds=4, warmup=2, exact=True), clock=clock)
    assert len(calls) == 6  # 2 warm-up rounds + 4 timed, nothing else
    assert samples.sample_ns == (3_000, 4_000, 5_000, 6_000)
    assert samples.value == 6 and samples.iterations == 1 and samples.warmup_rounds == 2


def test_exact_rounds_of_several_iterations_add_one_call_for_the_value() -> None:
    clock = FakeClock()
    calls: list[int] = []
    samples = sample_serially(
        Call(lambda: calls.append(1) or len(calls)), Plan(rounds=3, iterations=5, exact=True),
        clock=clock,
    )  # fmt: skip
    assert len(calls) == 16 and samples.value == 16 and samples.iterations == 5


def test_setup_and_teardown_run_around_every_exact_round_only() -> None:
    events: list[str] = []
    spec = spec_from_options(
        lambda x: events.append(f"call {x}"),
        setup=lambda: (events.append("setup"), ((1,), {}))[1],
        teardown=lambda x: events.append("teardown"),
        rounds=2, exact=True,
    )  # fmt: skip
    run_spec(spec)
    assert events == ["setup", "call 1", "teardown"] * 2


def test_raise_errors_stops_the_bench_with_the_callables_exception() -> None:
    def boom() -> None:
        raise KeyError("gone")

    counted = run_spec(spec_from_options(boom, rounds=3))
    assert counted.errors == {"KeyError": 3}
    with pytest.raises(KeyError, match="gone"):
        run_spec(spec_from_options(boom, rounds=3, raise_errors=True))
    with pytest.raises(KeyError, match="gone"):
        run_spec(spec_from_options(boom, rounds=3, exact=True, raise_errors=True))


def test_an_async_callable_is_awaited_in_exact_rounds() -> None:
    seen: list[int] = []

    async def handler(n: int) -> int:
        await asyncio.sleep(0)
        seen.append(n)
        return n * 2

    result = run_spec(spec_from_options(handler, (4,), rounds=5, warmup=1, exact=True))
    assert result.value == 8 and seen == [4] * 6 and result.stats.rounds == 5
    assert not bench_loop().is_running()


def test_min_rounds_raise_the_floor() -> None:
    result = run_spec(spec_from_options(lambda: None, duration="1ms", min_rounds=50))
    assert result.stats.rounds >= 50
