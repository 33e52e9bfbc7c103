"""The load of one job on one event loop: the engine's driver (closed or open model) and
workload (URL or scripted users), the driver fed through its callable inputs
(`users_at(elapsed_s)` in the closed model, `pace(elapsed_s, issued)` in the open one) so that a
run control can steer it. Used by a single-process run and by every worker process.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import importlib
import sys
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

from surge.config import RunConfig
from surge.engine.closed import ClosedDriver
from surge.engine.http import ClientConfig
from surge.engine.open import OpenDriver
from surge.engine.run import LoadRun
from surge.engine.scripted import ScriptWorkload
from surge.engine.url import UrlWorkload
from surge.engine.workload import RunContext, ScriptErrorSink, Workload
from surge.metrics import LoadModel, Recorder, Snapshot
from surge.metrics.naming import Naming
from surge.runner.jobs import Job
from surge.runner.steering import Steering
from surge.scenario import ScenarioKind
from surge.schedule import Plan, PlanSource, ShapeError

T = TypeVar("T")
LoadFactory = Callable[[RunContext], Awaitable[None]]


class Stops:
    """Why the run stopped early, if it did for a reason other than a signal (a lost
    abort-on-fail threshold, a load-shape error, the run control)."""

    def __init__(self, stop: asyncio.Event | None = None) -> None:
        self.stop = stop
        self.reason: str | None = None

    def request(self, reason: str) -> None:
        if self.reason is None:
            self.reason = reason
        if self.stop is not None:
            self.stop.set()

    def guard(self, func: Callable[..., T | None]) -> Callable[..., T | None]:
        """Wrap a load-shape call: a ShapeError stops the run (reported) instead of crashing."""

        def guarded(*args: Any) -> T | None:
            try:
                return func(*args)
            except ShapeError as exc:
                self.request(f"load shape error: {exc}")
                return None

        return guarded


def preload(modules: tuple[str, ...] = ("numpy",)) -> None:
    """Import what the first snapshot needs (the histograms' NumPy) before the load starts: an
    import on the event loop a second in, or on a thread beside it, would disturb the run."""
    for module in modules:
        importlib.import_module(module)


SWITCH_INTERVAL_S = 0.0005
"""The interpreter's thread switch interval while a run goes on (the default is 5 ms)."""


@contextlib.contextmanager
def steady_loop() -> Iterator[None]:
    """What keeps the run's event loop from stalling on its own process, for the run:

    - what start-up allocated (imports, the plan, the scenario) stays out of the garbage
      collector's full passes (`gc.freeze`): a full pass on the event loop walks every object,
      and the run's own objects are few;
    - a thread beside the loop (the resource sampler, the run guard) holding the interpreter
      lock gives it back within 0.5 ms when the loop wakes, not 5 ms (`sys.setswitchinterval`).

    Both are undone after, so that a process running many runs (a test suite, the dashboard)
    collects and switches as before."""
    switch_s = sys.getswitchinterval()
    gc.freeze()
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    try:
        yield
    finally:
        sys.setswitchinterval(switch_s)
        gc.unfreeze()


def client_config(config: RunConfig) -> ClientConfig:
    return ClientConfig(
        connect_timeout_s=config.timeout,
        read_timeout_s=config.timeout,
        total_timeout_s=config.timeout,
        insecure=config.insecure,
        max_body_bytes=config.max_body,
        retry=not config.no_retry,
    )


def naming_of(config: RunConfig) -> Naming:
    """The run's endpoint naming rules (`--name-template`, `--max-endpoints`)."""
    return Naming(template=config.name_template == "on", max_endpoints=config.max_endpoints)


def load_factory(job: Job, stops: Stops, steering: Steering | None = None) -> LoadFactory:
    """The job's load: its driver (closed or open model) running its workload (URL or scripted
    users), fed through `steering` when a run control is attached."""
    plan = job.plan

    def load(ctx: RunContext) -> Awaitable[None]:
        stops.stop = ctx.stop
        if steering is not None:
            steering.bind(asyncio.get_running_loop(), stops)
        workload = _workload(job, steering)
        if plan.model is LoadModel.OPEN:
            pace = stops.guard(plan.pacer().pace)
            if steering is not None:
                pace = steering.pace(pace)
            return OpenDriver(pace=pace, max_in_flight=plan.max_in_flight or 1).run(workload, ctx)
        users_at = planned_users_at(plan, stops)
        if steering is not None:
            users_at = steering.users_at(users_at)
        driver = ClosedDriver(
            users=plan.users,
            start_offsets_s=plan.start_offsets_s,
            duration_s=plan.duration_s,
            iterations_per_user=plan.requests_per_user,
            users_at=users_at,
        )
        return driver.run(workload, ctx)

    return load


def _workload(job: Job, steering: Steering | None) -> Workload:
    """What each iteration does: the endpoint's request, or a user class's task."""
    plan, config, endpoint = job.plan, client_config(job.config), job.scenario.endpoint
    if endpoint is not None and endpoint.url.startswith(("ws://", "wss://")):
        from surge.engine.ws.echo import WsEchoWorkload  # loads the WebSocket client

        return WsEchoWorkload(
            endpoint.url,
            (endpoint.body or b"surge").decode(),
            config,
            headers=endpoint.headers,
            name=endpoint.endpoint_name,
            think_time_s=plan.think_time_s,
        )
    http2, max_streams = job.config.http2, job.config.max_streams
    if endpoint is not None and http2:
        from surge.engine.http2.url import H2UrlWorkload  # loads h2

        return H2UrlWorkload(
            endpoint, config, max_streams=max_streams, think_time_s=plan.think_time_s
        )
    if endpoint is not None:
        return UrlWorkload(endpoint, config, think_time_s=plan.think_time_s)
    if job.scenario.kind is ScenarioKind.LOCUST:
        from surge.engine.greenlet_workload import locust_workload

        host_given = bool(job.config.host)
        return locust_workload(job.scenario, plan, job.target, host_given, config, job.config.seed)
    # A fixed closed plan assigns its users' classes up front; users a run control adds (and
    # stages, shapes, arrivals) take the weighted round-robin sequence.
    fixed = plan.model is LoadModel.CLOSED and plan.source is PlanSource.FIXED
    return ScriptWorkload(
        job.scenario.user_classes,
        base_url=job.target,
        config=config,
        class_of=plan.user_classes.__getitem__ if fixed and steering is None else plan.class_of,
        seed=job.config.seed,
        think_time_s=plan.think_time_s,
        http2=http2,
        max_streams=max_streams,
    )


def load_run(
    job: Job,
    recorder: Recorder,
    stops: Stops,
    on_snapshot: Callable[[Snapshot], None],
    *,
    steering: Steering | None = None,
    on_script_error: ScriptErrorSink | None = None,
    **options: Any,
) -> LoadRun:
    """The engine's run of `job` (`options`: LoadRun's keyword arguments); the secrets its
    users send are taught to the job's redactor."""
    return LoadRun(
        load_factory(job, stops, steering),
        recorder,
        on_snapshot,
        target_at=steering.target_at if steering is not None else job.plan.target_at,
        on_script_error=on_script_error,
        graceful_stop_s=job.config.graceful_stop,
        secrets=job.redactor,
        **options,
    )


def planned_users_at(plan: Plan, stops: Stops) -> Callable[[float], int | None] | None:
    """Stages and shapes: the users to run at each moment (None once the schedule is over).
    None for a fixed plan: its users start at their ramp offsets and run to the end."""
    if plan.source is PlanSource.FIXED:
        return None

    def users_at(elapsed_s: float) -> int | None:
        if plan.target_at(elapsed_s) is None:
            return None
        return plan.users_at(elapsed_s)

    return stops.guard(users_at)
