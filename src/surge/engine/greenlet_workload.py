"""The locustfile workload: Locust user classes whose sync tasks run in greenlets.

Each virtual user is a greenlet running `surge.locust.users.live` (on_start, Locust's task
loop, on_stop) with a `_UserRuntime`: when the user's code blocks (a request, a sleep, the
wait between tasks) the runtime switches to the loop's greenlet with an awaitable; `_drive`
awaits it in the user's coroutine and switches back with the result, or throws the exception
in. Only the user that blocks waits; the loop goes on with everyone else.

Every task that is not a task set is one iteration. Closed model (`run_user`): the user runs
until its ticket is spent or retired (the wait between tasks ends at once with StopUser, and
on_stop runs). Open model (`start`): an arrival resumes an idle user of its class (or starts a
new one: its on_start runs inside that first arrival), which runs exactly one task and parks
in `end_task` until its next arrival; wait times do not apply. Parked users wait in an
`IdlePool` (pool.py): the most recently parked is resumed first, and one parked for longer than
the release time is stopped (on_stop, its session closed), as scripted users are. A task that
raises is a `script` error under `Class.task`; a user that keeps iterating without ever yielding
while the loop stands still ends the run with a message naming the task, as scripted users do.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Sequence
from time import perf_counter_ns
from typing import Any

from greenlet import GreenletExit, getcurrent

from surge.engine.closed import pause
from surge.engine.http import ClientConfig, Session
from surge.engine.pool import IDLE_RELEASE_S, IdlePool
from surge.engine.workload import IterationSink, RunContext, Ticket
from surge.locust.bridge import UserGreenlet
from surge.locust.exceptions import StopUser
from surge.locust.loader import Locustfile, fire_init
from surge.locust.users import live
from surge.metrics.errors import ErrorKind
from surge.metrics.naming import SCRIPT_METHOD

_PARK = object()  # a user's open-model iteration is over: it waits for its next arrival


class _UserRuntime:
    """One user's side of the bridge (implements surge.locust.bridge.Runtime)."""

    def __init__(
        self, workload: LocustWorkload, session: Session, cls: type, ticket: Ticket | None
    ) -> None:
        self.workload = workload
        self.ctx = workload.ctx
        self.session = session
        self.name = cls.__name__
        self.ticket = ticket  # None in the open model
        self.to_loop = getcurrent().switch  # the loop's greenlet
        self.user: Any = None
        self.done = 0
        self.switches = 0
        self.switches_then = -1
        self.in_iteration = False
        self.failed = False  # the current (open: arrival's) task raised
        self.start_error: BaseException | None = None
        self.abandoned = False
        self.stopping = False
        self.where = ""
        self.t0 = 0
        self.counted: BaseException | None = None
        self.counts: Any = None  # the class's per-class counts (users, iterations, requests)

    # -- the bridge --------------------------------------------------------------------------
    def await_(self, awaitable: Awaitable[Any]) -> Any:
        if self.abandoned:
            close = getattr(awaitable, "close", None)
            if close is not None:
                close()
            raise GreenletExit()
        self.switches += 1
        return self.to_loop(awaitable)

    def sleep(self, seconds: float) -> None:
        self.await_(asyncio.sleep(max(0.0, seconds)))

    def wait(self, seconds: float) -> None:
        ticket = self.ticket
        if ticket is None:
            return
        if seconds > 0:
            if self.await_(pause(ticket, seconds)):
                raise StopUser()
        elif ticket.limit <= 0:
            raise StopUser()

    def http_session(self) -> Session:
        return self.session

    def user_created(self, user: Any) -> None:
        self.user = user

    # -- counting ----------------------------------------------------------------------------
    def begin_task(self, owner: str, name: str) -> float:
        now = perf_counter_ns()
        ticket, ctx = self.ticket, self.ctx
        if self.stopping:
            raise StopUser()
        if ticket is not None:
            if self.done >= ticket.limit:
                raise StopUser()
            if self.switches == self.switches_then and now - ctx.heartbeat.last_ns > ctx.hang_ns:
                ctx.fail(_never_yields(owner, name, ctx.hang_ns))
                raise StopUser()
            self.switches_then = self.switches
            ctx.recorder.arrivals.scheduled += 1
        self.where = f"{owner}.{name}"
        self.t0 = now
        self.in_iteration = True
        return now / 1e9

    def end_task(self, error: BaseException | None, stopping: bool) -> None:
        if not self.in_iteration:
            return  # abandoned: already counted
        self.in_iteration = False
        if error is not None:
            self.counted = error
            self._script_failed(self.where, error, self.t0)
            self._user_error(error)
        if self.counts is not None:
            self.counts.iterations += 1
        if self.ticket is not None:
            self.done += 1
            arrivals = self.ctx.recorder.arrivals
            if error is not None:
                arrivals.failed += 1
            else:
                arrivals.completed += 1
        else:
            self.failed = error is not None
            if not stopping and not self.abandoned and not self.stopping:
                self.to_loop(_PARK)  # returns at this user's next arrival
                if self.stopping:
                    raise StopUser()

    def script_error(self, where: str, exc: BaseException) -> None:
        if exc is not self.counted:  # a task's error is counted once, by end_task
            self._script_failed(where, exc, perf_counter_ns())

    def start_failed(self, exc: BaseException) -> None:
        self.start_error = exc
        self._script_failed(f"{self.name}.on_start", exc, perf_counter_ns())
        tally = self.ctx.tally(self.name)
        tally.on_start_failed += 1
        if not tally.first_error:
            tally.first_error = f"{type(exc).__name__}: {exc}"

    def stop_run(self, reason: str) -> None:
        self.ctx.stop.set()

    def _script_failed(self, where: str, exc: BaseException, t0: int) -> None:
        self.session.learn_secrets()  # what the user holds is masked before its error is told
        elapsed_us = (perf_counter_ns() - t0) // 1000
        message = f"{type(exc).__name__}: {exc}"
        self.ctx.recorder.endpoint(SCRIPT_METHOD, where).fail(
            elapsed_us, ErrorKind.SCRIPT, 0, 0, message
        )
        self.ctx.script_error(where, exc)

    def _user_error(self, exc: BaseException) -> None:
        hook = self.workload.locustfile.events.user_error
        if hook.has_listeners:
            hook.fire(user_instance=self.user, exception=exc, tb=exc.__traceback__)


class _OpenUser:
    __slots__ = ("class_index", "greenlet", "runtime")

    def __init__(self, class_index: int, greenlet: UserGreenlet, runtime: _UserRuntime) -> None:
        self.class_index = class_index
        self.greenlet = greenlet
        self.runtime = runtime


class LocustWorkload:
    """A locustfile's users; implements `Workload` (see workload.py and the module docstring)."""

    def __init__(
        self,
        locustfile: Locustfile,
        *,
        base_url: str,
        host_given: bool,
        config: ClientConfig,
        class_of: Callable[[int], int],
        seed: int | None = None,
        idle_release_s: float = IDLE_RELEASE_S,
    ) -> None:
        self.locustfile = locustfile
        self.classes: Sequence[type] = locustfile.classes
        self.base_url = base_url
        self.host_given = host_given
        self.config = config
        self.class_of = class_of
        self.seed = seed
        self.runtimes: set[_UserRuntime] = set()  # closed model: every living user
        # open model: parked users per class, arrivals in flight, released users stopping
        self.idle: list[IdlePool[_OpenUser]] = [IdlePool(idle_release_s) for _ in self.classes]
        self.running: set[asyncio.Task[None]] = set()
        self.releasing: set[asyncio.Task[None]] = set()
        self.released = 0  # parked users stopped during the run
        self._created = 0
        self._ctx: RunContext | None = None
        self._sink: IterationSink | None = None

    @property
    def ctx(self) -> RunContext:
        assert self._ctx is not None, "bind() first"
        return self._ctx

    def bind(self, ctx: RunContext, sink: IterationSink | None) -> None:
        self._ctx, self._sink = ctx, sink
        environment = self.locustfile.environment
        environment.host = self.base_url
        environment.parsed_options.host = self.base_url
        environment.runner._quit = ctx.stop.set
        hooks: tuple[tuple[str, Callable[[], None]], ...] = (
            ("init", self._fire_init),
            ("test_start", self._fire_start),
        )
        for name, fire in hooks:
            try:
                fire()
            except Exception as exc:  # the user's listener: reported, the run goes on
                ctx.script_error(f"events.{name}", exc)

    def _fire_init(self) -> None:
        fire_init(self.locustfile)

    def _fire_start(self) -> None:
        environment = self.locustfile.environment
        environment.events.test_start.fire(environment=environment)

    def _host(self, cls: type) -> str:
        own = getattr(cls, "host", None)
        return self.base_url if self.host_given or not own else str(own).rstrip("/")

    def _new(
        self, index: int, class_index: int, ticket: Ticket | None
    ) -> tuple[UserGreenlet, _UserRuntime, tuple[Any, ...]]:
        cls = self.classes[class_index]
        counts = self.ctx.recorder.user_class(cls.__name__)  # per-class counts
        counts.users += 1
        session = Session(
            self._host(cls),
            self.ctx.recorder,
            self.config,
            open_model=ticket is None,
            user_class=counts,
            secrets=self.ctx.secrets,
        )
        runtime = _UserRuntime(self, session, cls, ticket)
        runtime.counts = counts
        self.ctx.tally(cls.__name__).started += 1
        rng = random.Random(None if self.seed is None else self.seed + index)
        greenlet = UserGreenlet(live, runtime)
        return greenlet, runtime, (cls, self.locustfile.environment, rng, runtime)

    async def _drive(self, greenlet: UserGreenlet, value: Any, runtime: _UserRuntime) -> bool:
        """Serve the user's awaitables until it parks (True) or its life ends (False)."""
        while not greenlet.dead:
            if value is _PARK:
                return True
            try:
                result = await value
            except asyncio.CancelledError:
                runtime.abandoned = True
                greenlet.throw(GreenletExit())
                raise
            except Exception as exc:
                value = greenlet.throw(exc)
            else:
                value = greenlet.switch(result)
        return False

    # -- closed model --------------------------------------------------------------------------
    async def run_user(self, ticket: Ticket) -> None:
        greenlet, runtime, args = self._new(ticket.index, self.class_of(ticket.index), ticket)
        self.runtimes.add(runtime)
        runner = self.locustfile.environment.runner
        runner.user_count += 1
        try:
            await self._drive(greenlet, greenlet.switch(*args), runtime)
        finally:
            runner.user_count -= 1
            self.runtimes.discard(runtime)
            await runtime.session.close()

    # -- open model ----------------------------------------------------------------------------
    def start(self, k: int, intended_ns: int) -> None:
        class_index = self.class_of(k)
        idle = self.idle[class_index]
        if idle.stale(intended_ns):
            for user in idle.expired(intended_ns):
                self.released += 1
                stopping = asyncio.ensure_future(self._release(user))
                self.releasing.add(stopping)
                stopping.add_done_callback(self.releasing.discard)
        task = asyncio.ensure_future(self._arrival(idle.take(), class_index, intended_ns))
        self.running.add(task)
        task.add_done_callback(self.running.discard)

    async def _release(self, user: _OpenUser) -> None:
        """A user parked too long: on_stop (within the graceful-stop period), then its session
        closed; `close` waits for it."""
        try:
            async with asyncio.timeout(self.ctx.graceful_stop_s):
                await self._stop(user)
        except TimeoutError:
            pass
        finally:
            await user.runtime.session.close()

    async def _arrival(self, user: _OpenUser | None, class_index: int, intended_ns: int) -> None:
        assert self._sink is not None, "the open model binds a sink"
        if user is None:
            greenlet, runtime, args = self._new(self._created, class_index, None)
            self._created += 1
            user = _OpenUser(class_index, greenlet, runtime)
            runtime.session.begin_iteration(intended_ns)
            value = greenlet.switch(*args)
        else:
            runtime = user.runtime
            runtime.failed = False
            runtime.session.begin_iteration(intended_ns)
            value = user.greenlet.switch(None)
        parked = await self._drive(user.greenlet, value, runtime)
        if parked:
            self.idle[class_index].put(user, perf_counter_ns())
        else:
            await runtime.session.close()
        self._sink.finished(runtime.failed or runtime.start_error is not None)

    # -- the end -------------------------------------------------------------------------------
    def abandon(self) -> int:
        arrivals = self.ctx.recorder.arrivals
        abandoned = 0
        for runtime in self.runtimes:
            if runtime.in_iteration:
                runtime.in_iteration = False
                arrivals.in_flight_at_end += 1
                abandoned += 1
        running = list(self.running)
        for task in running:
            task.cancel()
        return abandoned + len(running)

    async def close(self) -> None:
        """Open model: stop every parked user (on_stop, within the graceful-stop period; those
        released lately finish stopping in it too) and close its session. Then test_stop and
        quitting."""
        if self.running:
            await asyncio.gather(*self.running, return_exceptions=True)
        parked = [user for pool in self.idle for user in pool.drain()]
        if parked or self.releasing:  # users released lately may still be stopping
            stops = [self._stop(user) for user in parked]
            try:
                async with asyncio.timeout(self.ctx.graceful_stop_s):
                    await asyncio.gather(*stops, *self.releasing, return_exceptions=True)
            except TimeoutError:
                pass
            await asyncio.gather(
                *(u.runtime.session.close() for u in parked), return_exceptions=True
            )
        environment = self.locustfile.environment
        for name in ("test_stop", "quitting"):
            try:
                getattr(environment.events, name).fire(environment=environment)
            except Exception as exc:  # the user's listener: reported
                self.ctx.script_error(f"events.{name}", exc)

    async def _stop(self, user: _OpenUser) -> None:
        user.runtime.stopping = True
        await self._drive(user.greenlet, user.greenlet.switch(None), user.runtime)


def _never_yields(owner: str, task: str, hang_ns: int) -> str:
    return (
        f"task {owner}.{task} never yields: the user runs task after task without a request, "
        f"a sleep or a wait, so the run stood still for {hang_ns / 1e9:.3g} s. Give the class "
        "a wait_time, or make the task do I/O"
    )


def locust_workload(
    scenario: Any,
    plan: Any,
    base_url: str,
    host_given: bool,
    config: ClientConfig,
    seed: int | None,
) -> LocustWorkload:
    """The workload of a LOCUST scenario under `plan` (users of fixed_count classes first)."""
    from surge.locust.classes import class_chooser

    locustfile = scenario.locustfile
    assert isinstance(locustfile, Locustfile)
    weights = scenario.weights
    return LocustWorkload(
        locustfile,
        base_url=base_url,
        host_given=host_given,
        config=config,
        class_of=class_chooser(locustfile.fixed_counts, weights, plan),
        seed=seed,
    )
