"""The event-loop lag probe: a fake clock for its arithmetic, real loops for real lag."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from typing import Any

import pytest
import uvloop

from surge.engine.probe import LoopLagProbe
from surge.metrics.histogram import Histogram

MS_NS = 1_000_000

LoopFactory = Callable[[], asyncio.AbstractEventLoop]
LOOPS = pytest.mark.parametrize(
    "loop_factory", [uvloop.new_event_loop, asyncio.new_event_loop], ids=["uvloop", "asyncio"]
)


class FakeClock:
    def __init__(self) -> None:
        self.now_ns = 1_000 * MS_NS

    def __call__(self) -> int:
        return self.now_ns


def run(loop_factory: LoopFactory, coro: Coroutine[Any, Any, Histogram]) -> Histogram:
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        return runner.run(coro)


def started_on_idle_loop(clock: FakeClock, interval_s: float = 0.02) -> LoopLagProbe:
    """A probe started on a loop that never runs: only `observe` (the timer's logic) acts."""
    loop = asyncio.new_event_loop()
    probe = LoopLagProbe(interval_s, clock_ns=clock)
    probe.start(loop)
    probe.stop()
    loop.close()
    return probe


def test_on_time_wake_records_zero_lag() -> None:
    clock = FakeClock()
    probe = started_on_idle_loop(clock)
    next_due = probe.observe(clock.now_ns + 20 * MS_NS)
    assert next_due == clock.now_ns + 40 * MS_NS
    lag = probe.take()
    assert (lag.total, lag.max_us) == (1, 0)


def test_a_blocked_loop_records_every_missed_tick_with_its_own_lag() -> None:
    clock = FakeClock()
    probe = started_on_idle_loop(clock)
    first_due = clock.now_ns + 20 * MS_NS
    next_due = probe.observe(first_due + 300 * MS_NS)
    # ticks at +0, +20 … +300 ms were all due: lags 300, 280, … 0 ms
    assert next_due == first_due + 320 * MS_NS
    lag = probe.take()
    assert lag.total == 16
    assert lag.max_us == 300_000
    assert lag.min_us == 0
    assert lag.sum_us == sum(range(0, 301, 20)) * 1000


def test_schedule_is_absolute_so_late_wakes_do_not_drift() -> None:
    clock = FakeClock()
    probe = started_on_idle_loop(clock)
    due = clock.now_ns + 20 * MS_NS
    for _ in range(10):
        due = probe.observe(due + 3 * MS_NS)  # every wake 3 ms late
    assert due == clock.now_ns + 220 * MS_NS
    lag = probe.take()
    assert (lag.total, lag.min_us, lag.max_us) == (10, 3000, 3000)


def test_early_wake_counts_as_zero_lag() -> None:
    clock = FakeClock()
    probe = started_on_idle_loop(clock)
    probe.observe(clock.now_ns + 19 * MS_NS)
    lag = probe.take()
    assert (lag.total, lag.max_us) == (1, 0)


def test_take_resets_and_empty_is_empty() -> None:
    clock = FakeClock()
    probe = started_on_idle_loop(clock)
    assert probe.take().total == 0
    probe.observe(clock.now_ns + 25 * MS_NS)
    assert probe.take().total == 1
    assert probe.take().total == 0


def test_interval_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        LoopLagProbe(0.0)


@LOOPS
def test_blocking_callback_shows_as_lag(loop_factory: LoopFactory) -> None:
    async def scenario() -> Histogram:
        probe = LoopLagProbe()
        probe.start()
        await asyncio.sleep(0.1)
        asyncio.get_running_loop().call_soon(time.sleep, 0.3)
        await asyncio.sleep(0.15)
        probe.stop()
        return probe.take()

    lag = run(loop_factory, scenario())
    assert lag.max_us >= 250_000
    # every 20 ms tick missed during the block is recorded too: about 27 ticks in 0.55 s, where
    # one sample per wake would give about 13
    assert lag.total >= 20


@LOOPS
def test_idle_loop_lag_is_small(loop_factory: LoopFactory) -> None:
    async def scenario() -> tuple[Histogram, float]:
        probe = LoopLagProbe()
        t0 = time.perf_counter()
        probe.start()
        await asyncio.sleep(0.5)
        probe.stop()
        return probe.take(), time.perf_counter() - t0

    lag, elapsed_s = run(loop_factory, scenario())
    # one sample per elapsed 20 ms tick, whatever the timer jitter
    assert 15 <= lag.total <= elapsed_s / 0.02 + 1
    assert lag.value_at_percentile_us(99) < 100_000


@LOOPS
def test_stop_stops_sampling_and_start_again_works(loop_factory: LoopFactory) -> None:
    async def scenario() -> tuple[Histogram, Histogram, Histogram]:
        probe = LoopLagProbe(0.01)
        probe.start()
        assert probe.running
        with pytest.raises(RuntimeError, match="already running"):
            probe.start()
        await asyncio.sleep(0.1)
        probe.stop()
        probe.stop()
        assert not probe.running
        first = probe.take()
        await asyncio.sleep(0.1)
        silent = probe.take()
        probe.start(asyncio.get_running_loop())
        await asyncio.sleep(0.1)
        probe.stop()
        return first, silent, probe.take()

    first, silent, again = run(loop_factory, scenario())
    assert first.total >= 5
    assert silent.total == 0
    assert again.total >= 5
