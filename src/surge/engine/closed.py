"""The closed-model driver: virtual users, each starting its next iteration when the last ended.

Users start at their ramp-up offsets (a fixed plan) or follow `users_at(elapsed_s)` (stages,
load shapes, and the control handle that changes the target mid-run; consulted every 0.1 s,
None ends the schedule). A user retired by a ramp-down finishes the iteration it is in. The run
ends when every user is done, the duration is over, the schedule ends or `stop` is set; then
every user is retired, users still inside an iteration get the graceful-stop period, and what is
still in flight after it is abandoned (counted incomplete by the workload).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from typing import Any

from surge.engine.guard import FORCED
from surge.engine.workload import NO_LIMIT, RunContext, Ticket, Workload

UsersAt = Callable[[float], int | None]
_RESIZE_S = 0.1  # how often a staged run follows its target


async def pause(ticket: Ticket, seconds: float) -> bool:
    """Sleep `seconds` unless the user is retired first; True when it was retired."""
    if ticket.limit <= 0:
        return True
    if seconds <= 0:
        return False
    loop = asyncio.get_running_loop()
    woken = loop.create_future()

    def wake() -> None:
        if not woken.done():
            woken.set_result(None)

    handle = loop.call_later(seconds, wake)
    ticket.wake = wake
    try:
        await woken
    finally:
        handle.cancel()
        ticket.wake = None
    return ticket.limit <= 0


class ClosedDriver:
    """Runs a workload's users; see the module docstring."""

    def __init__(
        self,
        *,
        users: int = 0,
        start_offsets_s: Sequence[float] | None = None,
        duration_s: float | None = None,
        iterations_per_user: int | None = None,
        users_at: UsersAt | None = None,
    ) -> None:
        offsets = tuple(start_offsets_s) if start_offsets_s is not None else (0.0,) * users
        if users_at is None and len(offsets) < users:
            raise ValueError(f"start_offsets_s has {len(offsets)} entries for {users} users")
        self.users = users
        self.start_offsets_s = offsets
        self.duration_s = duration_s
        self.limit = iterations_per_user if iterations_per_user is not None else NO_LIMIT
        self.users_at = users_at
        self._tickets: list[Ticket] = []
        self._tasks: list[asyncio.Task[None]] = []

    async def run(self, workload: Workload, ctx: RunContext) -> None:
        """Run the users to the end of the schedule (see the module docstring)."""
        ctx.heartbeat.start(asyncio.get_running_loop())
        workload.bind(ctx, None)
        ctx.on_forced(workload.abandon)
        stopper = asyncio.ensure_future(ctx.stop.wait())
        follower: asyncio.Future[Any] = stopper
        forced = False
        try:
            if self.users_at is None:
                for index in range(self.users):
                    self._start(workload, ctx, self.start_offsets_s[index])
                follower = asyncio.ensure_future(_all_done(self._tasks))
            else:
                follower = asyncio.ensure_future(self._follow(workload, ctx, self.users_at))
            await asyncio.wait(
                {follower, stopper}, timeout=self.duration_s, return_when=asyncio.FIRST_COMPLETED
            )
            follower.cancel()
            ctx.load_over()
            await self._wind_down(workload, ctx)
        except FORCED:
            forced = True  # nothing may wait on the loop now
            raise
        finally:
            stopper.cancel()
            follower.cancel()
            for task in self._tasks:
                task.cancel()
            if not forced:
                await asyncio.gather(stopper, follower, *self._tasks, return_exceptions=True)
                await workload.close()

    def _start(self, workload: Workload, ctx: RunContext, offset_s: float) -> Ticket:
        ticket = Ticket(len(self._tickets), self.limit)
        self._tickets.append(ticket)
        self._tasks.append(asyncio.ensure_future(_user(workload, ctx, ticket, offset_s)))
        return ticket

    async def _follow(self, workload: Workload, ctx: RunContext, users_at: UsersAt) -> None:
        """Start and retire users to follow `users_at(elapsed_s)` until it returns None."""
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        active: list[Ticket] = []
        while not ctx.stop.is_set():
            target = users_at(loop.time() - t0)
            if target is None:
                return
            while len(active) < target:
                active.append(self._start(workload, ctx, 0.0))
            while len(active) > target:
                active.pop().retire()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(ctx.stop.wait(), _RESIZE_S)

    async def _wind_down(self, workload: Workload, ctx: RunContext) -> None:
        """Retire everyone, give iterations in flight the grace period, abandon the rest."""
        for ticket in self._tickets:
            ticket.retire()
        running = [task for task in self._tasks if not task.done()]
        if running:
            await asyncio.wait(running, timeout=ctx.graceful_stop_s)
        if any(not task.done() for task in self._tasks):
            workload.abandon()
            for task in self._tasks:
                task.cancel()


async def _all_done(tasks: list[asyncio.Task[None]]) -> None:
    """Wait for every task (cancelling this wait leaves them running)."""
    if tasks:
        await asyncio.wait(tasks)


async def _user(workload: Workload, ctx: RunContext, ticket: Ticket, offset_s: float) -> None:
    """One user: wait for its start offset, then live (counted active meanwhile)."""
    if offset_s > 0 and await pause(ticket, offset_s):
        return
    if ticket.limit <= 0:
        return
    ctx.change_active(+1)
    try:
        await workload.run_user(ticket)
    finally:
        ctx.change_active(-1)
