"""The open-model schedule's timer: a Linux timerfd that never wakes before the deadline, the
loop's timer elsewhere; and the schedule never starts an arrival before its time."""

from __future__ import annotations

import asyncio
import os
import sys
import time

import pytest
import uvloop

from engine import loads
from surge.engine.open import OpenDriver
from surge.engine.run import LoadRun
from surge.engine.wake import LoopWaker, TimerfdWaker, WakeTimer, new_waker
from surge.engine.workload import IterationSink, RunContext, Ticket
from surge.metrics.recorder import Recorder
from surge.metrics.values import Snapshot

linux_only = pytest.mark.skipif(sys.platform != "linux", reason="timerfd is Linux's")


class _Stamps:
    """A workload that notes how long after its intended time each arrival started."""

    def __init__(self) -> None:
        self.early_ns: list[int] = []
        self.sink: IterationSink | None = None

    def bind(self, ctx: RunContext, sink: IterationSink | None) -> None:
        self.sink = sink

    async def run_user(self, ticket: Ticket) -> None:
        raise AssertionError("open model only")

    def start(self, k: int, intended_ns: int) -> None:
        self.early_ns.append(intended_ns - time.perf_counter_ns())
        assert self.sink is not None
        asyncio.get_running_loop().call_soon(self.sink.finished, False)

    def abandon(self) -> int:
        return 0

    async def close(self) -> None:
        pass


def _uvloop_run(coro: object) -> None:
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(coro)  # type: ignore[arg-type]


@linux_only
def test_the_schedule_runs_on_a_timerfd_and_never_starts_an_arrival_early() -> None:
    # 300/s: arrivals 3.33 ms apart, between the loop timer's milliseconds, each one woken for.
    rate, duration_s = 300, 0.5
    driver = OpenDriver(pace=loads.constant_rate(rate, duration_s), max_in_flight=100)
    work, recorder = _Stamps(), Recorder()
    fds: list[int] = []

    async def main() -> None:
        fds.append(len(os.listdir("/proc/self/fd")))
        await driver.run(work, loads.context(recorder))
        fds.append(len(os.listdir("/proc/self/fd")))

    _uvloop_run(main())
    assert driver.wake_timer is WakeTimer.TIMERFD
    assert len(work.early_ns) == rate * duration_s
    assert max(work.early_ns) <= 0, max(work.early_ns)  # never before its intended time
    assert driver.wakeups >= rate * duration_s * 0.5  # woken for arrivals, not by completions
    assert fds[0] == fds[1]  # the timerfd was closed


@linux_only
def test_a_timerfd_never_wakes_before_its_deadline() -> None:
    woke_early_ns: list[int] = []

    async def main() -> None:
        waker = TimerfdWaker(asyncio.get_running_loop())
        try:
            for gap_us in (-500, 0, 150, 730, 1_310, 2_970, 150, 4_020):  # a past one too
                deadline_ns = time.perf_counter_ns() + gap_us * 1000
                await waker.sleep_until(deadline_ns)
                woke_early_ns.append(deadline_ns - time.perf_counter_ns())
        finally:
            waker.close()
        waker.close()  # twice is harmless

    _uvloop_run(main())
    assert len(woke_early_ns) == 8 and max(woke_early_ns) <= 0, woke_early_ns


@linux_only
def test_a_cancelled_wait_leaves_the_timerfd_usable() -> None:
    async def main() -> int:
        waker = TimerfdWaker(asyncio.get_running_loop())
        try:
            wait = asyncio.ensure_future(waker.sleep_until(time.perf_counter_ns() + 10**9))
            await asyncio.sleep(0.01)
            wait.cancel()
            await asyncio.gather(wait, return_exceptions=True)
            deadline_ns = time.perf_counter_ns() + 2_000_000
            await asyncio.wait_for(waker.sleep_until(deadline_ns), 5)
            return time.perf_counter_ns() - deadline_ns
        finally:
            waker.close()

    assert asyncio.run(main()) >= 0


def test_the_loop_timer_is_the_fallback_off_linux(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "darwin")

    async def main() -> None:
        waker = new_waker(asyncio.get_running_loop())
        assert isinstance(waker, LoopWaker) and waker.timer is WakeTimer.LOOP
        deadline_ns = time.perf_counter_ns() + 3_000_000
        await waker.sleep_until(deadline_ns)
        waker.close()

    asyncio.run(main())


def test_the_snapshot_waits_for_the_arrival_due_at_its_time() -> None:
    # 100/s from t0: an arrival falls due at every whole interval, exactly when the snapshot
    # does. A snapshot costing 3 ms of the loop must go after that arrival, never before it.
    rate, interval_s, duration_s = 100, 0.1, 1.0
    driver = OpenDriver(pace=loads.constant_rate(rate, duration_s), max_in_flight=100)
    work, recorder = _Stamps(), Recorder()
    overdue_ns: list[int] = []  # per snapshot: how long the next arrival waited for it

    def slow_snapshot(snap: Snapshot) -> None:
        due_ns = driver.next_due_ns()
        end_ns = time.perf_counter_ns() + 3_000_000
        while time.perf_counter_ns() < end_ns:  # the loop is held, as by a costly second
            pass
        overdue_ns.append(end_ns - due_ns)

    async def load(ctx: RunContext) -> None:
        await driver.run(work, ctx)

    run = LoadRun(load, recorder, slow_snapshot, interval_s=interval_s, handle_signals=False)
    _uvloop_run(run.run())
    assert len(work.early_ns) == rate * duration_s
    assert len(overdue_ns) >= 8
    # Each snapshot ended before the next arrival fell due: none waited for it.
    assert max(overdue_ns) < 0, overdue_ns
