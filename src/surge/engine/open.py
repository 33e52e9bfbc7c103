"""The open-model driver: iterations start at scheduled arrival times, whether or not earlier
ones have finished.

`pace(elapsed_s, issued)` (vegeta-style, see `Pace`) says when arrival number `issued` is due;
it is consulted continuously, so a control handle can change the rate mid-run through it.
Arrival k starts the workload's iteration (`Workload.start`) unless `max_in_flight` iterations
are already running, in which case it is dropped and counted (`DropReason.MAX_IN_FLIGHT`).
Nothing waits in a queue, so a stalled server cannot slow the schedule down (no coordinated
omission); the schedule lag (intended to actual start) is recorded for every arrival.

The schedule sleeps until the next arrival on a timer that wakes at the deadline, not before
(a timerfd on Linux; the loop's millisecond timer elsewhere, see `surge.engine.wake`), and an
arrival never starts before its time. So that it never busy-waits for sub-millisecond gaps, the
timer wakes it at most once a millisecond; due arrivals are started both from that wake-up, in a
batch, and from the completion of earlier iterations (`finished`), which at high rates come far
more often.

Every scheduled arrival ends exactly once as completed, failed, dropped (at the cap, or due but
not started when the run stopped) or in flight at the end (abandoned after the grace period).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import Callable
from time import perf_counter_ns

from surge.engine.guard import FORCED
from surge.engine.wake import Waker, WakeTimer, new_waker
from surge.engine.workload import RunContext, Workload
from surge.metrics.values import DropReason

Pace = Callable[[float, int], float | None]
"""`pace(elapsed_s, issued)`: seconds until arrival number `issued` is due (<= 0: due already;
None: no more arrivals). A positive wait may only mean "ask again then" (load shapes)."""

_MIN_SLEEP_NS = 1_000_000  # at most one wake-up a millisecond: shorter sleeps would spin
_MAX_SLEEP_NS = 50_000_000  # the schedule re-reads `pace` (and the stop flag) at least this often
_WAKE_SLACK_NS = 1_000  # past the deadline, so `pace`'s float rounding never finds it not yet due
_NEVER = 1 << 62


class OpenDriver:
    """Starts a workload's iterations at the arrival times `pace` gives; see the module
    docstring. Implements the workload's `IterationSink`."""

    def __init__(self, *, pace: Pace, max_in_flight: int) -> None:
        if max_in_flight < 1:
            raise ValueError(f"max_in_flight must be at least 1 (got {max_in_flight})")
        self.pace = pace
        self.max_in_flight = max_in_flight
        self.in_flight = 0
        self.wakeups = 0  # how often the schedule's timer woke it (never more than once a ms)
        self.wake_timer: WakeTimer | None = None  # which timer wakes it (set when it runs)
        self._t0_ns = 0
        self._k = 0
        self._due_ns = _NEVER  # when arrival k falls due (as far as `pace` said last)
        self._over = False  # the schedule ended (or the run stopped): issue nothing more
        self._drained: asyncio.Future[None] | None = None
        self._after: list[Callable[[], object]] = []  # see `after_next_arrivals`
        self._workload: Workload | None = None
        self._ctx: RunContext | None = None

    async def run(self, workload: Workload, ctx: RunContext) -> None:
        """Follow the schedule to its end (or `ctx.stop`), then drain; see the module docstring."""
        self._workload, self._ctx = workload, ctx
        ctx.heartbeat.start(asyncio.get_running_loop())
        workload.bind(ctx, self)
        ctx.on_forced(self._forced)
        forced = False
        try:
            await self._follow(ctx)
            await self._drain(ctx.graceful_stop_s)
        except FORCED:
            forced = True  # nothing may wait on the loop now
            raise
        finally:
            self._over = True
            if self.in_flight and not forced:
                self._abandon()
            if not forced:
                await workload.close()

    async def _follow(self, ctx: RunContext) -> None:
        waker = new_waker(asyncio.get_running_loop())
        self.wake_timer = waker.timer
        ctx.schedule = self
        try:
            await self._follow_with(ctx, waker)
        finally:
            waker.close()
            ctx.schedule = None
            self._due_ns = _NEVER
            self._run_after()
        self._over = True
        ctx.load_over()

    async def _follow_with(self, ctx: RunContext, waker: Waker) -> None:
        self._t0_ns = perf_counter_ns()
        stop = ctx.stop
        while True:
            now_ns = perf_counter_ns()
            if self._issue_due(now_ns) is None:
                return
            if self._after:
                self._run_after()
            if stop.is_set():
                self._drop_due()
                return
            wake_ns = max(self._due_ns + _WAKE_SLACK_NS, now_ns + _MIN_SLEEP_NS)
            await waker.sleep_until(min(wake_ns, now_ns + _MAX_SLEEP_NS))
            self.wakeups += 1

    def next_due_ns(self) -> int:
        return self._due_ns

    def after_next_arrivals(self, callback: Callable[[], object]) -> None:
        self._after.append(callback)

    def _run_after(self) -> None:
        callbacks, self._after = self._after, []
        for callback in callbacks:
            callback()

    def _issue_due(self, now_ns: int) -> float | None:
        """Start every arrival due by `now_ns`; the seconds until the next one (None: none)."""
        pace, t0_ns, k = self.pace, self._t0_ns, self._k
        try:
            while True:
                wait_s = pace((now_ns - t0_ns) / 1e9, k)
                if wait_s is None:
                    self._due_ns = _NEVER
                    return None
                if wait_s > 0:
                    self._due_ns = now_ns + math.ceil(wait_s * 1e9)
                    return wait_s
                self._issue(k, now_ns + int(wait_s * 1e9), now_ns)
                k += 1
        finally:
            self._k = k

    def _issue(self, k: int, intended_ns: int, now_ns: int) -> None:
        ctx = self._ctx
        assert ctx is not None and self._workload is not None
        arrivals = ctx.recorder.arrivals
        arrivals.scheduled += 1
        if self.in_flight >= self.max_in_flight:
            arrivals.drop(DropReason.MAX_IN_FLIGHT)
            return
        arrivals.lag.record((now_ns - intended_ns) // 1000)
        self.in_flight += 1
        ctx.change_active(+1)
        self._workload.start(k, intended_ns)

    def finished(self, failed: bool) -> None:
        """An iteration ended (the `IterationSink` side): count it, and start what fell due."""
        ctx = self._ctx
        assert ctx is not None
        arrivals = ctx.recorder.arrivals
        if failed:
            arrivals.failed += 1
        else:
            arrivals.completed += 1
        self.in_flight -= 1
        ctx.change_active(-1)
        if not self._over:
            now_ns = perf_counter_ns()
            if now_ns >= self._due_ns and not ctx.stop.is_set():
                self._issue_due(now_ns)
        elif not self.in_flight and self._drained is not None and not self._drained.done():
            self._drained.set_result(None)

    def _drop_due(self) -> None:
        """The run stopped: count the arrivals already due, not yet started, as dropped."""
        assert self._ctx is not None
        arrivals = self._ctx.recorder.arrivals
        elapsed_s = (perf_counter_ns() - self._t0_ns) / 1e9
        k = self._k
        while (wait_s := self.pace(elapsed_s, k)) is not None and wait_s <= 0:
            arrivals.scheduled += 1
            arrivals.drop(DropReason.STOPPED)
            k += 1
        self._k = k

    async def _drain(self, graceful_stop_s: float) -> None:
        """Wait up to the grace period for the iterations in flight; abandon the rest."""
        if self.in_flight:
            self._drained = asyncio.get_running_loop().create_future()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._drained), graceful_stop_s)
        if self.in_flight:
            self._abandon()

    def _abandon(self) -> None:
        assert self._ctx is not None and self._workload is not None
        self._workload.abandon()  # it reports nothing more for these
        self._ctx.recorder.arrivals.in_flight_at_end += self.in_flight
        self._ctx.change_active(-self.in_flight)
        self.in_flight = 0

    def _forced(self) -> None:
        self._over = True
        if self.in_flight:
            self._abandon()
