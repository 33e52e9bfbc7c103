"""Steering one in-process job: what a `RunControl` changes, fed to the engine through the
drivers' callable inputs.

The closed model's drivers follow `users_at(elapsed_s)`; the open model's follow
`pace(elapsed_s, issued)`. A Steering wraps the plan's own functions: until a change is asked
for they answer exactly as the plan does; after `set_users(n)` the users are n, after
`set_rate(r)` arrivals come every 1/r s from that moment, both until the schedule's end. The
snapshots' `target` (`target_at`) follows the change, so every observer sees it.

Values are written by the controlling thread and read by the event loop's: each is one
attribute, replaced whole.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from typing import Protocol

from surge.metrics import LoadModel
from surge.schedule import Plan, PlanSource

UsersAt = Callable[[float], int | None]
Pace = Callable[[float, int], float | None]


class ControlError(RuntimeError):
    """A change the running job cannot take (wrong load model, no duration, several workers)."""


class StopSink(Protocol):
    def request(self, reason: str) -> None: ...


class Steering:
    """The changes asked of one running job, and the wrapped inputs its driver reads."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.users: int | None = None
        self.rate: float | None = None
        self._anchor: tuple[float, int, float] | None = None  # (elapsed, issued, rate)
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stops: StopSink | None = None
        self._pending_stop: str | None = None

    # -- what may be changed ----------------------------------------------------------------

    @property
    def users_steerable(self) -> bool:
        plan = self.plan
        if plan.model is not LoadModel.CLOSED:
            return False
        if plan.source is not PlanSource.FIXED:
            return True
        return plan.duration_s is not None and plan.requests_per_user is None

    @property
    def rate_steerable(self) -> bool:
        return self.plan.model is LoadModel.OPEN and self.plan.duration_s is not None

    def set_users(self, users: int) -> None:
        if not self.users_steerable:
            raise ControlError(_why_not_users(self.plan))
        self.users = users

    def set_rate(self, rate: float) -> None:
        if not self.rate_steerable:
            raise ControlError(_why_not_rate(self.plan))
        self.rate = rate

    # -- stopping ---------------------------------------------------------------------------

    def bind(self, loop: asyncio.AbstractEventLoop, stops: StopSink) -> None:
        """The job's loop has started: a stop asked for before now takes effect."""
        with self._lock:
            self._loop, self._stops, pending = loop, stops, self._pending_stop
        if pending is not None:
            stops.request(pending)

    def stop(self, reason: str) -> None:
        """Stop the job (from any thread): its in-flight requests get the graceful stop."""
        with self._lock:
            self._pending_stop = self._pending_stop or reason
            loop, stops = self._loop, self._stops
        if loop is not None and stops is not None:
            with contextlib.suppress(RuntimeError):  # the loop has closed: the job is over
                loop.call_soon_threadsafe(stops.request, reason)

    # -- the driver's inputs ----------------------------------------------------------------

    def users_at(self, planned: UsersAt | None) -> UsersAt | None:
        """The closed model's users at each moment: the plan's until `set_users`."""
        if not self.users_steerable:
            return planned
        plan = self.plan

        def fixed(elapsed_s: float) -> int | None:
            if plan.duration_s is not None and elapsed_s >= plan.duration_s:
                return None
            return plan.users_at(elapsed_s)

        base = planned if planned is not None else fixed

        def users_at(elapsed_s: float) -> int | None:
            scheduled = base(elapsed_s)
            if scheduled is None or self.users is None:
                return scheduled
            return self.users

        return users_at

    def pace(self, planned: Pace) -> Pace:
        """The open model's arrivals: the plan's until `set_rate`, then evenly at that rate."""
        if not self.rate_steerable:
            return planned
        end_s = self.plan.duration_s
        assert end_s is not None

        def pace(elapsed_s: float, issued: int) -> float | None:
            rate = self.rate
            if rate is None:
                return planned(elapsed_s, issued)
            anchor = self._anchor
            if anchor is None or anchor[2] != rate:
                anchor = self._anchor = (elapsed_s, issued, rate)
            due_s = anchor[0] + (issued - anchor[1]) / rate
            return None if due_s >= end_s else due_s - elapsed_s

        return pace

    def target_at(self, elapsed_s: float) -> float | None:
        """The snapshots' target: users (closed) or arrivals per second (open)."""
        planned = self.plan.target_at(elapsed_s)
        if planned is None:
            return None
        if self.plan.model is LoadModel.OPEN:
            return self.rate if self.rate is not None else planned
        return float(self.users) if self.users is not None else planned


def _why_not_users(plan: Plan) -> str:
    if plan.model is LoadModel.OPEN:
        return "this run is open-model (--rate): change its rate with set_rate, not its users"
    return (
        "this run ends after a number of requests per user, not at a time: changing users "
        "needs a duration (duration=/-d) or stages"
    )


def _why_not_rate(plan: Plan) -> str:
    if plan.model is LoadModel.CLOSED:
        return "this run is closed-model (users): change its users with set_users, not its rate"
    return "this run follows a load shape with no set duration: its rate cannot be changed"
