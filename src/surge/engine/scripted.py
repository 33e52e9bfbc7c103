"""The scripted workload: an iteration is one task of a `User` class, chosen by weight.

A virtual user is an instance of its class with its own `UserSession` (keep-alive connections,
cookies, default headers) and its own seeded random generator. It runs `on_start` once before
its first task and `on_stop` once at its end. A failed `on_start` (a login that raised) stops
that user: its error is recorded under `Class.on_start` with its message, none of its tasks run,
and the run's per-class tally says how many users of each class failed to start.

Closed model (`run_user`): the user's loop starts the next task when the last one ended and its
`wait_time` (or the plan's think time) is over, while its ticket allows. Open model (`start`):
each arrival runs one task on an idle virtual user of the arrival's class, or on a new one (whose
`on_start` then runs inside that first iteration: its time shows up as schedule lag, honestly);
wait times do not apply, the arrival rate paces the load. The idle users wait in an `IdlePool`
(pool.py): the most recently idle is reused first, and one idle for longer than its release time
is stopped (`on_stop`, its session closed), so the pool follows the concurrency the load needs
rather than the highest a burst ever reached.

A task that raises is recorded as a `script` error under `Class.task` (the first traceback at each
place goes to the run's observer) and the user carries on. A task that never yields to the event
loop (one that returns, or raises, before its first `await`, in a class without a wait) would
freeze the run: a user that has kept iterating for `RunContext.hang_s` without the loop turning
once (its heartbeat did not move) ends the run with a message naming the task.
"""

from __future__ import annotations

import asyncio
import random
from bisect import bisect_right
from collections.abc import Awaitable, Callable, Sequence
from itertools import accumulate
from time import perf_counter_ns

from surge.engine.closed import pause
from surge.engine.guard import FORCED
from surge.engine.http import ClientConfig
from surge.engine.pool import IDLE_RELEASE_S, IdlePool
from surge.engine.user_session import UserSession
from surge.engine.workload import IterationSink, RunContext, Ticket
from surge.metrics.errors import ErrorKind
from surge.metrics.naming import SCRIPT_METHOD
from surge.metrics.recorder import UserClassRecorder
from surge.scenario.tracebacks import describe_error, raised_at
from surge.scenario.user import TaskSpec, User, tasks_of
from surge.scenario.wait import ConstantWait, WaitTime


def choose_task(tasks: Sequence[TaskSpec]) -> Callable[[random.Random], TaskSpec]:
    """A weighted chooser of `tasks` (no randomness consumed when there is only one)."""
    if len(tasks) == 1:
        only = tasks[0]
        return lambda rng: only
    cumulative = list(accumulate(t.weight for t in tasks))
    total = cumulative[-1]
    return lambda rng: tasks[bisect_right(cumulative, rng.random() * total)]


_ClassTasks = tuple[Callable[[random.Random], TaskSpec], TaskSpec | None]
"""A class's task chooser and its only task (None: several), the same for all its users."""


def _class_tasks(cls: type[User]) -> _ClassTasks:
    tasks = tasks_of(cls)
    return choose_task(tasks), tasks[0] if len(tasks) == 1 else None


class _VirtualUser:
    """One user: its instance, session, task chooser and random generator."""

    __slots__ = (
        "choose",
        "counts",
        "in_iteration",
        "name",
        "only",
        "rng",
        "session",
        "started",
        "user",
        "wait",
    )

    def __init__(
        self,
        cls: type[User],
        index: int,
        session: UserSession,
        rng: random.Random,
        counts: UserClassRecorder,
        tasks: _ClassTasks,
    ) -> None:
        self.session = session
        self.counts = counts  # per-class counts hook: its class's users, iterations, requests
        self.user = cls(session, user_id=index)
        self.rng = rng
        self.choose, self.only = tasks
        self.name = cls.__name__
        self.wait: WaitTime | None = cls.wait_time
        self.started = False  # on_start ran (and succeeded)
        self.in_iteration = False


class ScriptWorkload:
    """User classes' tasks; implements `Workload` (see workload.py and the module docstring)."""

    def __init__(
        self,
        classes: Sequence[type[User]],
        *,
        base_url: str,
        config: ClientConfig,
        class_of: Callable[[int], int],
        seed: int | None = None,
        think_time_s: float = 0.0,
        http2: bool = False,
        max_streams: int = 100,
        idle_release_s: float = IDLE_RELEASE_S,
    ) -> None:
        self.classes = classes
        self.http2 = http2  # every class over HTTP/2 (--http2); else classes with `http2 = True`
        self.max_streams = max_streams
        self.base_url = base_url
        self.config = config
        self.class_of = class_of
        self.seed = seed
        self.think_time_s = think_time_s
        self.users: set[_VirtualUser] = set()  # closed model: every living user
        # open model: idle users per class; users whose on_start succeeded and not stopped yet;
        # every session not yet closed; iterations in flight; released users being stopped
        self.idle: list[IdlePool[_VirtualUser]] = [IdlePool(idle_release_s) for _ in classes]
        # each class's tasks, made once: a burst of pooled users does not copy them per user;
        # in the open model a class's users share its random generator too (2.5 KiB each), so
        # that task choice follows the arrivals (repeatable with a seed) rather than the users
        self.tasks: list[_ClassTasks] = [_class_tasks(cls) for cls in classes]
        self.open_rngs = [
            random.Random(None if seed is None else f"open:{seed}:{k}") for k in range(len(classes))
        ]
        self.started: set[_VirtualUser] = set()
        self.sessions: set[UserSession] = set()
        self.running: set[asyncio.Task[None]] = set()
        self.releasing: set[asyncio.Task[None]] = set()
        self.released = 0  # idle users stopped during the run
        self._created = 0
        self._ctx: RunContext | None = None
        self._sink: IterationSink | None = None

    def bind(self, ctx: RunContext, sink: IterationSink | None) -> None:
        self._ctx, self._sink = ctx, sink

    @property
    def ctx(self) -> RunContext:
        assert self._ctx is not None, "bind() first"
        return self._ctx

    def _new_user(self, index: int, class_index: int, open_model: bool) -> _VirtualUser:
        cls = self.classes[class_index]
        counts = self.ctx.recorder.user_class(cls.__name__)  # per-class counts hook
        counts.users += 1
        session = UserSession(
            self.base_url,
            self.ctx.recorder,
            self.config,
            open_model=open_model,
            user_class=counts,
            http2=self.http2 or cls.http2,
            max_streams=self.max_streams,
            secrets=self.ctx.secrets,
        )
        self.ctx.tally(cls.__name__).started += 1
        if open_model:
            rng = self.open_rngs[class_index]
        else:  # a user's own: its wait times and choices (repeatable per user with a seed)
            rng = random.Random(None if self.seed is None else self.seed + index)
        return _VirtualUser(cls, index, session, rng, counts, self.tasks[class_index])

    async def _hook(
        self, vu: _VirtualUser, hook: str, func: Callable[[], Awaitable[object]]
    ) -> BaseException | None:
        """Run a user hook; a script exception is recorded as a SCRIPT error and returned."""
        t0 = perf_counter_ns()
        try:
            await func()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug in the user's script must not end the run
            self._script_failed(vu, hook, exc, t0)
            return exc
        return None

    async def _start_user(self, vu: _VirtualUser) -> bool:
        """on_start; False (tallied) when it failed: the user must not run its tasks."""
        failed = await self._hook(vu, "on_start", vu.user.on_start)
        if failed is None:
            vu.started = True
            return True
        tally = self.ctx.tally(vu.name)
        tally.on_start_failed += 1
        if not tally.first_error:
            tally.first_error = describe_error(failed)
        return False

    def _script_failed(self, vu: _VirtualUser, name: str, exc: BaseException, t0: int) -> None:
        """Record a script error under `Class.name` and report the first one at that place; the
        secrets the user holds are told first, so its message is masked wherever it goes."""
        vu.session.learn_secrets()
        where = f"{vu.name}.{name}"
        elapsed_us = (perf_counter_ns() - t0) // 1000
        message = f"{type(exc).__name__}: {exc}"
        self.ctx.recorder.endpoint(SCRIPT_METHOD, where).fail(
            elapsed_us, ErrorKind.SCRIPT, 0, 0, message
        )
        self.ctx.script_error(where, exc)

    # -- closed model ----------------------------------------------------------------------

    async def run_user(self, ticket: Ticket) -> None:
        index = ticket.index
        vu = self._new_user(index, self.class_of(index), open_model=False)
        self.users.add(vu)
        try:
            if await self._start_user(vu):
                await self._iterate(vu, ticket)
                await self._hook(vu, "on_stop", vu.user.on_stop)
        except FORCED:
            vu.session.abandon()  # nothing may wait on the loop now
            raise
        except BaseException:
            await vu.session.close()
            raise
        else:
            await vu.session.close()
        finally:
            self.users.discard(vu)

    async def _iterate(self, vu: _VirtualUser, ticket: Ticket) -> None:
        """The user's task loop: the hot path of scripted mode, so it inlines what it can."""
        ctx = self.ctx
        user, choose, rng = vu.user, vu.choose, vu.rng
        wait: WaitTime = vu.wait or ConstantWait(self.think_time_s)
        no_wait = isinstance(wait, ConstantWait) and wait.wait_s == 0
        only = vu.only  # the class's one task (no choice to make), or None
        clock = perf_counter_ns
        iterations = ctx.recorder.arrivals  # closed model: an iteration "arrives" at its start
        heartbeat, hang_ns = ctx.heartbeat, ctx.hang_ns
        counts = vu.counts
        seen_beat, since_ns = heartbeat.last_ns, clock()  # the loop's last beat, as of when
        done = 0
        last_error: BaseException | None = None
        while done < ticket.limit:
            task = only or choose(rng)
            t0 = clock()
            beat = heartbeat.last_ns
            if beat != seen_beat:  # the loop turned since: this user is not stuck
                seen_beat, since_ns = beat, t0
            elif t0 - since_ns > hang_ns:  # iterating all along, and the loop never turned
                ctx.fail(_never_yields(vu.name, task.name, last_error, ctx.hang_ns))
                return
            iterations.scheduled += 1
            vu.in_iteration = True
            try:
                await task.func(user)
            except asyncio.CancelledError:
                if vu.in_iteration:  # else abandon() counted it
                    iterations.in_flight_at_end += 1
                raise
            except Exception as exc:  # a bug in the user's script must not end the run
                self._script_failed(vu, task.name, exc, t0)
                iterations.failed += 1
                last_error = exc
            else:
                iterations.completed += 1
                last_error = None
            vu.in_iteration = False
            counts.iterations += 1
            done += 1
            if not no_wait and await pause(ticket, wait.next_wait_s((clock() - t0) / 1e9, rng)):
                return

    # -- open model ------------------------------------------------------------------------

    def start(self, k: int, intended_ns: int) -> None:
        class_index = self.class_of(k)
        idle = self.idle[class_index]
        if idle.stale(intended_ns):
            self._release(idle.expired(intended_ns))
        vu = idle.take()
        if vu is None:
            vu = self._new_user(self._created, class_index, open_model=True)
            self._created += 1
            self.sessions.add(vu.session)
        task = asyncio.ensure_future(self._arrival(vu, class_index, intended_ns))
        self.running.add(task)
        task.add_done_callback(self.running.discard)

    def _release(self, users: list[_VirtualUser]) -> None:
        """Stop users the pool no longer needs: on_stop (within the graceful-stop period), then
        close the session; in the background, awaited by `close`."""
        for vu in users:
            self.released += 1
            self.started.discard(vu)
            task = asyncio.ensure_future(self._stop_user(vu))
            self.releasing.add(task)
            task.add_done_callback(self.releasing.discard)

    async def _stop_user(self, vu: _VirtualUser) -> None:
        try:
            if vu.started:
                async with asyncio.timeout(self.ctx.graceful_stop_s):
                    await self._hook(vu, "on_stop", vu.user.on_stop)
        except TimeoutError:
            pass
        finally:
            await vu.session.close()
            self.sessions.discard(vu.session)  # until now `close` would close it

    async def _arrival(self, vu: _VirtualUser, class_index: int, intended_ns: int) -> None:
        assert self._sink is not None, "the open model binds a sink"
        if not vu.started:
            if not await self._start_user(vu):
                # The user is dropped: the next arrival of its class makes another.
                self.sessions.discard(vu.session)
                await vu.session.close()
                self._sink.finished(True)
                return
            self.started.add(vu)
        vu.session.begin_iteration(intended_ns)
        task = vu.choose(vu.rng)
        t0 = perf_counter_ns()
        failed = False
        try:
            await task.func(vu.user)
        except asyncio.CancelledError:
            raise  # abandoned: the driver counts it
        except Exception as exc:  # a bug in the user's script must not end the run
            self._script_failed(vu, task.name, exc, t0)
            failed = True
        vu.counts.iterations += 1
        self.idle[class_index].put(vu, perf_counter_ns())
        self._sink.finished(failed)

    # -- the end -----------------------------------------------------------------------------

    def abandon(self) -> int:
        """Count the iterations in flight (closed: as iterations in flight at the end) and
        cancel them; their requests in flight are counted incomplete as they unwind."""
        arrivals = self.ctx.recorder.arrivals
        abandoned = 0
        for vu in self.users:
            if vu.in_iteration:
                vu.in_iteration = False
                arrivals.in_flight_at_end += 1
                abandoned += 1
        running = list(self.running)
        for task in running:
            task.cancel()
        return abandoned + len(running)

    async def close(self) -> None:
        """Open model: stop every user that started (on_stop, within the graceful-stop period;
        those released lately finish stopping in it too); then close every session."""
        if self.running:
            await asyncio.gather(*self.running, return_exceptions=True)
        stops = [self._hook(vu, "on_stop", vu.user.on_stop) for vu in self.started]
        if stops or self.releasing:  # users released lately may still be stopping
            try:
                async with asyncio.timeout(self.ctx.graceful_stop_s):
                    await asyncio.gather(*stops, *self.releasing, return_exceptions=True)
            except TimeoutError:
                pass
        sessions, self.sessions = self.sessions, set()
        await asyncio.gather(*(s.close() for s in sessions), return_exceptions=True)


def _at(error: BaseException) -> str:
    """` at scenario.py:16`: the user's line that raised `error` (empty when none is)."""
    where = raised_at(error)
    return f" at {where}" if where is not None else ""


def _never_yields(cls_name: str, task: str, error: BaseException | None, hang_ns: int) -> str:
    how = (
        f"it raised before awaiting anything ({type(error).__name__}: {error}){_at(error)}"
        if error is not None
        else "it returns without awaiting anything"
    )
    return (
        f"task {cls_name}.{task} never yields to the event loop: {how}, so the run stood still "
        f"for {hang_ns / 1e9:.3g} s. A task must await something (a request, asyncio.sleep) on "
        "every path, or the class needs a wait_time"
    )
