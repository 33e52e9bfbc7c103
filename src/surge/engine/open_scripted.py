"""Open-model scripted load: each arrival runs one task iteration on a pooled virtual user.

The scheduler walks the plan's arrival times like URL mode's open model does. Arrival k runs
one iteration of user class `class_of(k)` on an idle virtual user of that class, or on a new one
while fewer than `max_in_flight` iterations are running; otherwise it is dropped and counted. A
new virtual user runs its `on_start` inside its first iteration (that time shows up as schedule
lag, honestly). Wait times do not apply: the arrival rate paces the load.

The first request of an iteration is timed from the arrival's intended time (`Session.
begin_iteration`), so a late start shows up in latency; service time and schedule lag are kept
beside it. Every scheduled arrival ends once as completed (the task returned), failed (it
raised), dropped, or in flight at the end.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Sequence
from time import perf_counter_ns

from surge.engine.http import ClientConfig, Session
from surge.engine.openmodel import Pace, follow_schedule
from surge.engine.scripted import SCRIPT_METHOD, Crew, call_hook, choose_task
from surge.metrics.errors import ErrorKind
from surge.metrics.recorder import ArrivalRecorder, Recorder
from surge.metrics.values import DropReason
from surge.scenario.user import TaskSpec, User, tasks_of


class _VirtualUser:
    """A pooled user: its instance, session and task chooser; `started` after on_start ran."""

    __slots__ = ("choose", "name", "rng", "session", "started", "user")

    def __init__(
        self,
        cls: type[User],
        index: int,
        base_url: str,
        rec: Recorder,
        config: ClientConfig,
        seed: int | None,
    ) -> None:
        self.session = Session(base_url, rec, config, open_model=True)
        self.user = cls(self.session, user_id=index)
        self.rng = random.Random(None if seed is None else seed + index)
        tasks: Sequence[TaskSpec] = tasks_of(cls)
        self.choose = choose_task(tasks)
        self.name = cls.__name__
        self.started = False


class _OpenCrew:
    """Everything the arrivals of one run share."""

    def __init__(
        self,
        classes: Sequence[type[User]],
        base_url: str,
        recorder: Recorder,
        config: ClientConfig,
        crew: Crew,
        seed: int | None,
    ) -> None:
        self.classes = classes
        self.base_url = base_url
        self.recorder = recorder
        self.arrivals: ArrivalRecorder = recorder.arrivals
        self.config = config
        self.crew = crew
        self.seed = seed
        self.idle: list[list[_VirtualUser]] = [[] for _ in classes]
        self.everyone: list[_VirtualUser] = []
        self.running: set[asyncio.Task[None]] = set()

    def take(self, class_index: int) -> _VirtualUser:
        idle = self.idle[class_index]
        if idle:
            return idle.pop()
        vu = _VirtualUser(
            self.classes[class_index],
            len(self.everyone),
            self.base_url,
            self.recorder,
            self.config,
            self.seed,
        )
        self.everyone.append(vu)
        return vu


async def _iteration(oc: _OpenCrew, vu: _VirtualUser, class_index: int, intended_ns: int) -> None:
    oc.arrivals.lag.record((perf_counter_ns() - intended_ns) // 1000)
    rec = oc.recorder
    try:
        if not vu.started:
            vu.started = True
            await call_hook(vu.user, f"{vu.name}.on_start", vu.user.on_start, rec, oc.crew)
        vu.session.begin_iteration(intended_ns)
        task = vu.choose(vu.rng)
        t0 = perf_counter_ns()
        try:
            await task.func(vu.user)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug in the user's script must not end the run
            where = f"{vu.name}.{task.name}"
            elapsed_us = (perf_counter_ns() - t0) // 1000
            message = f"{type(exc).__name__}: {exc}"
            rec.endpoint(SCRIPT_METHOD, where).fail(elapsed_us, ErrorKind.SCRIPT, 0, 0, message)
            oc.crew.report_once(where, exc)
            oc.arrivals.failed += 1
        else:
            oc.arrivals.completed += 1
    except asyncio.CancelledError:
        oc.arrivals.in_flight_at_end += 1
        raise
    oc.idle[class_index].append(vu)


def _issue(
    oc: _OpenCrew, k: int, intended_ns: int, class_of: Callable[[int], int], cap: int
) -> None:
    oc.arrivals.scheduled += 1
    if len(oc.running) >= cap:
        oc.arrivals.drop(DropReason.MAX_IN_FLIGHT)
        return
    class_index = class_of(k)
    vu = oc.take(class_index)
    task = asyncio.ensure_future(_iteration(oc, vu, class_index, intended_ns))
    oc.running.add(task)
    oc.crew.change_active(+1)

    def done(t: asyncio.Task[None]) -> None:
        oc.running.discard(t)
        oc.crew.change_active(-1)

    task.add_done_callback(done)


async def _finish(oc: _OpenCrew, graceful_stop_s: float) -> None:
    """Give running iterations the grace period, cancel the rest, then stop every user."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + graceful_stop_s
    if oc.running:
        await asyncio.wait(set(oc.running), timeout=graceful_stop_s)
    for task in list(oc.running):
        task.cancel()
    await asyncio.gather(*oc.running, return_exceptions=True)
    for vu in oc.everyone:
        if vu.started and loop.time() < deadline:
            hook = f"{vu.name}.on_stop"
            try:
                async with asyncio.timeout(max(deadline - loop.time(), 0.0)):
                    await call_hook(vu.user, hook, vu.user.on_stop, oc.recorder, oc.crew)
            except TimeoutError:
                break
    await asyncio.gather(*(vu.session.close() for vu in oc.everyone), return_exceptions=True)


async def run_open_script_users(
    classes: Sequence[type[User]],
    *,
    pace: Pace,
    class_of: Callable[[int], int],
    max_in_flight: int,
    base_url: str,
    recorder: Recorder,
    config: ClientConfig,
    stop: asyncio.Event,
    graceful_stop_s: float = 5.0,
    on_active_change: Callable[[int], None] | None = None,
    seed: int | None = None,
) -> None:
    """Run one task iteration per scheduled arrival until the schedule ends or `stop` is set.

    `active` (reported through `on_active_change`) is the number of iterations running.
    """
    if max_in_flight < 1:
        raise ValueError(f"max_in_flight must be at least 1 (got {max_in_flight})")
    crew = Crew(stop, on_active_change)
    oc = _OpenCrew(classes, base_url, recorder, config, crew, seed)
    try:
        await follow_schedule(
            pace,
            lambda k, intended_ns: _issue(oc, k, intended_ns, class_of, max_in_flight),
            oc.arrivals,
            stop,
        )
        await _finish(oc, graceful_stop_s)
    finally:
        for task in list(oc.running):
            task.cancel()
        await asyncio.gather(*oc.running, return_exceptions=True)
        await asyncio.sleep(0)
