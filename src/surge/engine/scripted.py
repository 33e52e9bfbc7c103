"""Scripted mode: each virtual user is a coroutine running its class's weighted tasks in a loop."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
import sys
import time
import traceback
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from surge.engine.http import ClientConfig, Session
from surge.metrics.errors import ErrorKind
from surge.metrics.recorder import Recorder
from surge.scenario.user import TaskSpec, User, tasks_of
from surge.scenario.wait import ConstantWait, WaitTime
from surge.schedule.plan import Plan

SCRIPT_METHOD = "SCRIPT"
_RESIZE_S = 0.1  # how often a staged crew follows its target


class Crew:
    """Shared state of the users of one run: the stop signal and the active-user count."""

    def __init__(self, stop: asyncio.Event, on_active_change: Callable[[int], None] | None) -> None:
        self.stop = stop
        self.active = 0
        self._notify = on_active_change
        self._reported: set[str] = set()

    def change_active(self, delta: int) -> None:
        self.active += delta
        if self._notify is not None:
            self._notify(self.active)

    def report_once(self, where: str, exc: BaseException) -> None:
        """Print a script error's traceback the first time it happens at `where`."""
        if where in self._reported:
            return
        self._reported.add(where)
        text = "".join(traceback.format_exception(exc))
        print(
            f"surge: error in {where} (later ones are counted, not printed):\n{text}",
            file=sys.stderr,
        )


async def _pause(stop: asyncio.Event, seconds: float) -> bool:
    """Sleep `seconds` unless the run stops first; True when the run stopped."""
    if seconds <= 0:
        return stop.is_set()
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
    return stop.is_set()


def choose_task(tasks: Sequence[TaskSpec]) -> Callable[[random.Random], TaskSpec]:
    cumulative = list(itertools.accumulate(t.weight for t in tasks))
    total = cumulative[-1]
    if len(tasks) == 1:
        only = tasks[0]
        return lambda rng: only
    from bisect import bisect_right

    return lambda rng: tasks[bisect_right(cumulative, rng.random() * total)]


async def call_hook(
    user: User, where: str, func: Callable[[], Awaitable[object]], rec: Recorder, crew: Crew
) -> None:
    """Run a user hook or task; a script exception is recorded as a SCRIPT error, not raised."""
    t0 = time.perf_counter_ns()
    try:
        await func()
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # a bug in the user's script must not end the run
        elapsed_us = (time.perf_counter_ns() - t0) // 1000
        message = f"{type(exc).__name__}: {exc}"
        rec.endpoint(SCRIPT_METHOD, where).fail(elapsed_us, ErrorKind.SCRIPT, 0, 0, message)
        crew.report_once(where, exc)


async def _iterate(
    user: User,
    tasks: Sequence[TaskSpec],
    wait: WaitTime,
    limit: int | None,
    rng: random.Random,
    rec: Recorder,
    crew: Crew,
    stop: asyncio.Event,
) -> None:
    """The user's task loop: the hot path of scripted mode, so it inlines what it can.
    `stop` is the run's stop event, or this user's own when stages retire users one by one."""
    choose = choose_task(tasks)
    no_wait = isinstance(wait, ConstantWait) and wait.wait_s == 0
    clock = time.perf_counter_ns
    cls_name = type(user).__name__
    iterations = rec.arrivals  # closed model: an iteration "arrives" when its user starts it
    done = 0
    while not stop.is_set():
        task = choose(rng)
        t0 = clock()
        iterations.scheduled += 1
        try:
            await task.func(user)
        except asyncio.CancelledError:
            iterations.in_flight_at_end += 1
            raise
        except Exception as exc:  # a bug in the user's script must not end the run
            where = f"{cls_name}.{task.name}"
            message = f"{type(exc).__name__}: {exc}"
            elapsed_us = (clock() - t0) // 1000
            rec.endpoint(SCRIPT_METHOD, where).fail(elapsed_us, ErrorKind.SCRIPT, 0, 0, message)
            crew.report_once(where, exc)
            iterations.failed += 1
        else:
            iterations.completed += 1
        done += 1
        if limit is not None and done >= limit:
            return
        if not no_wait:
            pause_s = wait.next_wait_s((clock() - t0) / 1e9, rng)
            if await _pause(stop, pause_s):
                return


async def _run_user(
    index: int,
    cls: type[User],
    plan: Plan,
    base_url: str,
    rec: Recorder,
    config: ClientConfig,
    crew: Crew,
    seed: int | None,
    stop: asyncio.Event,
    start_offset_s: float,
) -> None:
    if await _pause(stop, start_offset_s):
        return
    session = Session(base_url, rec, config)
    user = cls(session, user_id=index)
    rng = random.Random(None if seed is None else seed + index)
    tasks = tasks_of(cls)
    wait: WaitTime = cls.wait_time or ConstantWait(plan.think_time_s)
    name = cls.__name__
    crew.change_active(+1)
    try:
        await call_hook(user, f"{name}.on_start", user.on_start, rec, crew)
        await _iterate(user, tasks, wait, plan.requests_per_user, rng, rec, crew, stop)
        await call_hook(user, f"{name}.on_stop", user.on_stop, rec, crew)
    finally:
        crew.change_active(-1)
        await session.close()


class _StagedCrew:
    """Closed model with stages or a shape: users start and retire to follow `users_at(t)`.

    A retired user finishes the task iteration it is in (graceful ramp-down) and runs on_stop.
    """

    def __init__(
        self,
        classes: Sequence[type[User]],
        plan: Plan,
        run: tuple[str, Recorder, ClientConfig, Crew, int | None],
        class_of: Callable[[int], int],
    ) -> None:
        self.classes = classes
        self.plan = plan
        self.run = run
        self.class_of = class_of
        self.slots: list[tuple[asyncio.Task[None], asyncio.Event]] = []
        self.retired: list[tuple[asyncio.Task[None], asyncio.Event]] = []
        self.started = 0

    def resize(self, target: int) -> None:
        base_url, rec, config, crew, seed = self.run
        while len(self.slots) < target:
            index = self.started
            self.started += 1
            stop = asyncio.Event()
            cls = self.classes[self.class_of(index)]
            task = asyncio.ensure_future(
                _run_user(index, cls, self.plan, base_url, rec, config, crew, seed, stop, 0.0)
            )
            self.slots.append((task, stop))
        while len(self.slots) > target:
            task, stop = self.slots.pop()
            stop.set()
            self.retired.append((task, stop))

    def tasks(self) -> list[asyncio.Task[None]]:
        return [t for t, _ in self.slots + self.retired]

    def stop_all(self) -> None:
        for _, stop in self.slots + self.retired:
            stop.set()


async def _follow_target(
    staged: _StagedCrew, users_at: Callable[[float], int | None], stop: asyncio.Event
) -> None:
    """Resize the crew to the target every `_RESIZE_S` until the schedule ends or `stop`."""
    t0 = time.perf_counter()
    while not stop.is_set():
        target = users_at(time.perf_counter() - t0)
        if target is None:
            return
        staged.resize(target)
        if await _pause(stop, _RESIZE_S):
            return


async def run_script_users(
    classes: Sequence[type[User]],
    plan: Plan,
    *,
    base_url: str,
    recorder: Recorder,
    config: ClientConfig,
    stop: asyncio.Event,
    graceful_stop_s: float = 5.0,
    on_active_change: Callable[[int], None] | None = None,
    seed: int | None = None,
    users_at: Callable[[float], int | None] | None = None,
    class_of: Callable[[int], int] | None = None,
) -> None:
    """Run the plan's users until the duration ends, every user is done, or `stop` is set.

    With `users_at` (stages or a load shape) the number of users follows `users_at(elapsed_s)`
    (None ends the run) and user i runs class `class_of(i)`.

    In scripted mode `requests_per_user` counts task iterations: a task that makes three requests
    is one iteration. Users still inside a task when the run stops get `graceful_stop_s` to finish
    it; then they are cancelled and their in-flight request is counted as incomplete.
    """
    crew = Crew(stop, on_active_change)
    if users_at is not None:
        await _run_staged(
            classes,
            plan,
            users_at,
            class_of,
            (base_url, recorder, config, crew, seed),
            graceful_stop_s,
        )
        return
    users = [
        asyncio.ensure_future(
            _run_user(
                i,
                classes[plan.user_classes[i]],
                plan,
                base_url,
                recorder,
                config,
                crew,
                seed,
                stop,
                plan.start_offsets_s[i],
            )
        )
        for i in range(plan.users)
    ]
    await _await_users(users, stop, plan.duration_s, graceful_stop_s)


async def _await_users(
    users: list[asyncio.Task[None]],
    stop: asyncio.Event,
    duration_s: float | None,
    graceful_stop_s: float,
) -> None:
    """Wait for every user until the duration ends or `stop`; then grace, then cancel."""
    everyone: asyncio.Future[Any] = asyncio.gather(*users)
    stopper: asyncio.Future[Any] = asyncio.ensure_future(stop.wait())
    try:
        done, _ = await asyncio.wait(
            {everyone, stopper}, timeout=duration_s, return_when=asyncio.FIRST_COMPLETED
        )
        if everyone not in done:
            stop.set()
            finished, _ = await asyncio.wait({everyone}, timeout=graceful_stop_s)
            if everyone not in finished:
                for user_task in users:
                    user_task.cancel()
                await asyncio.gather(*users, return_exceptions=True)
        with contextlib.suppress(asyncio.CancelledError):
            await everyone
    finally:
        stopper.cancel()
        for user_task in users:
            user_task.cancel()
        await asyncio.gather(*users, return_exceptions=True)


async def _run_staged(
    classes: Sequence[type[User]],
    plan: Plan,
    users_at: Callable[[float], int | None],
    class_of: Callable[[int], int] | None,
    run: tuple[str, Recorder, ClientConfig, Crew, int | None],
    graceful_stop_s: float,
) -> None:
    crew = run[3]
    staged = _StagedCrew(
        classes, plan, run, class_of or (lambda i: plan.user_classes[i % len(plan.user_classes)])
    )
    follower = asyncio.ensure_future(_follow_target(staged, users_at, crew.stop))
    stopper = asyncio.ensure_future(crew.stop.wait())
    try:
        await asyncio.wait(
            {follower, stopper}, timeout=plan.duration_s, return_when=asyncio.FIRST_COMPLETED
        )
        crew.stop.set()
        staged.stop_all()
        tasks = staged.tasks()
        if tasks:
            await asyncio.wait(tasks, timeout=graceful_stop_s)
    finally:
        follower.cancel()
        stopper.cancel()
        staged.stop_all()
        tasks = staged.tasks()
        for task in tasks:
            task.cancel()
        await asyncio.gather(follower, stopper, *tasks, return_exceptions=True)
