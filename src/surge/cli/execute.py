"""Running one job: wire scenario, plan, engine, metrics, monitor, thresholds and the live view."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from rich.console import Console

from surge.cli.recipe import JobRecipe, wants_cluster
from surge.cli.redact import redact_options, redact_url
from surge.engine.closed import ClosedDriver
from surge.engine.http import ClientConfig
from surge.engine.open import OpenDriver
from surge.engine.run import LoadRun, RunOutcome, run_blocking
from surge.engine.scripted import ScriptWorkload
from surge.engine.url import UrlWorkload
from surge.engine.workload import RunContext, Workload
from surge.metrics import (
    Aggregator,
    LoadModel,
    Recorder,
    RunMeta,
    RunResult,
    Snapshot,
    WorkerReport,
)
from surge.metrics.resources import MonitoredProcess
from surge.monitor import (
    ProcessCpuSampler,
    judge_generator,
    mean_active_users,
    paced_offered_rps,
    summarize_load,
)
from surge.monitor.resources import ResourceSampler
from surge.redaction import NO_REDACTION, Redactor
from surge.report import LiveView
from surge.scenario import Scenario, pacing_s_of
from surge.schedule import Plan, PlanSource, ShapeError
from surge.thresholds import AbortWatch, ThresholdSpec, abort_reason, evaluate
from surge.version import __version__

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Job:
    """One scenario with its options resolved, its plan compiled and its thresholds parsed."""

    scenario: Scenario
    options: dict[str, Any]
    plan: Plan
    target: str
    name: str
    mode: str
    thresholds: tuple[ThresholdSpec, ...] = ()
    recipe: JobRecipe | None = None  # how a worker process rebuilds this job (--workers)
    monitored: tuple[MonitoredProcess, ...] = ()  # --monitor-pid/--monitor-process targets
    redactor: Redactor = NO_REDACTION  # the run's secrets, masked in every output


class _Stops:
    """Why the run stopped early, if it did for a reason other than a signal."""

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


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds")


def _config(options: dict[str, Any]) -> ClientConfig:
    timeout_s = float(options["timeout"])
    return ClientConfig(
        connect_timeout_s=timeout_s,
        read_timeout_s=timeout_s,
        total_timeout_s=timeout_s,
        insecure=bool(options["insecure"]),
    )


def _load(job: Job, recorder: Recorder, stops: _Stops) -> Callable[[RunContext], Awaitable[None]]:
    """The job's load: its driver (closed or open model) running its workload (URL or
    scripted users). `recorder` is the run's (the engine records into it through `ctx`)."""
    plan, config = job.plan, _config(job.options)

    def load(ctx: RunContext) -> Awaitable[None]:
        stops.stop = ctx.stop
        workload = _workload(job, config)
        if plan.model is LoadModel.OPEN:
            pace = stops.guard(plan.pacer().pace)
            return OpenDriver(pace=pace, max_in_flight=plan.max_in_flight or 1).run(workload, ctx)
        driver = ClosedDriver(
            users=plan.users,
            start_offsets_s=plan.start_offsets_s,
            duration_s=plan.duration_s,
            iterations_per_user=plan.requests_per_user,
            users_at=_users_at(plan, stops),
        )
        return driver.run(workload, ctx)

    return load


def _workload(job: Job, config: ClientConfig) -> Workload:
    """What each iteration does: the endpoint's request, or a user class's task."""
    plan = job.plan
    if job.scenario.endpoint is not None:
        return UrlWorkload(job.scenario.endpoint, config, think_time_s=plan.think_time_s)
    fixed_closed = plan.model is LoadModel.CLOSED and plan.source is PlanSource.FIXED
    return ScriptWorkload(
        job.scenario.user_classes,
        base_url=job.target,
        config=config,
        class_of=plan.user_classes.__getitem__ if fixed_closed else plan.class_of,
        seed=job.options.get("seed"),
        think_time_s=plan.think_time_s,
    )


def print_script_error(where: str, text: str) -> None:
    """The first error at a place in the user's script, with its traceback, on stderr."""
    heading = f"surge: error in {where} (later ones are counted, not printed):"
    print(f"{heading}\n{text}", file=sys.stderr)


def load_run(
    job: Job,
    recorder: Recorder,
    stops: _Stops,
    on_snapshot: Callable[[Snapshot], None],
    **options: Any,
) -> LoadRun:
    """The engine's run of `job` (`options`: LoadRun's keyword arguments)."""
    return LoadRun(
        _load(job, recorder, stops),
        recorder,
        on_snapshot,
        target_at=job.plan.target_at,
        on_script_error=print_script_error,
        graceful_stop_s=float(job.options["graceful_stop"]),
        **options,
    )


def _users_at(plan: Plan, stops: _Stops) -> Callable[[float], int | None] | None:
    """Stages and shapes: the users to run at each moment (None once the schedule is over)."""
    if plan.source is PlanSource.FIXED:
        return None

    def users_at(elapsed_s: float) -> int | None:
        if plan.target_at(elapsed_s) is None:
            return None
        return plan.users_at(elapsed_s)

    return stops.guard(users_at)


def _offered_rps(job: Job, result: RunResult) -> float | None:
    """Open model: the plan's mean rate. Closed scripted users with constant pacing: what the
    users running (on average) offer at their pacing interval. Otherwise no rate was offered."""
    if job.plan.model is LoadModel.OPEN:
        return job.plan.offered_rps
    classes = job.scenario.user_classes
    if not classes:
        return None
    pacings = [pacing_s_of(cls.wait_time) for cls in classes]
    if any(p is None for p in pacings):
        return None
    users = mean_active_users(result.timeline)
    weights = job.scenario.weights
    total = sum(weights)
    return sum(
        paced_offered_rps(users * w / total, p)
        for w, p in zip(weights, pacings, strict=True)
        if p is not None
    )


def _finish(job: Job, result: RunResult, aggregator: Aggregator) -> RunResult:
    """Add what is judged after the run: the load delivered, generator health, thresholds."""
    arrivals = aggregator.arrivals()
    model = job.plan.model
    started = None
    if model is LoadModel.CLOSED:
        started = arrivals.scheduled if job.scenario.endpoint is None else result.total.requests
    load = summarize_load(model, _offered_rps(job, result), result.duration_s, arrivals, started)
    generator = judge_generator(aggregator.health(), arrivals, result.total.schedule_lag)
    result = dataclasses.replace(result, load=load, generator=generator)
    return dataclasses.replace(result, thresholds=evaluate(job.thresholds, result))


def execute(job: Job, console: Console, *, quiet: bool) -> tuple[RunResult, RunOutcome]:
    """Run the job to its end (or to SIGINT/SIGTERM, or a lost abort-on-fail threshold)."""
    recorder = Recorder()
    aggregator = Aggregator()
    stops = _Stops()
    watch = AbortWatch(job.thresholds)
    started_at = _now()
    with ResourceSampler(job.monitored) as sampler, LiveView(console, quiet=quiet) as view:

        def refresh(end_s: float) -> None:
            """The live view and abort-on-fail thresholds, on the running totals."""
            view.update(
                aggregator.live(),
                label=job.name,
                duration_s=job.plan.duration_s,
                requests_per_user=job.plan.requests_per_user,
                model=job.plan.model,
            )
            if watch.armed and stops.reason is None:
                lost = watch.check(aggregator.endpoints(), aggregator.total(), end_s)
                if lost is not None:
                    stops.request(abort_reason(lost, end_s))

        def on_snapshot(snap: Snapshot) -> None:
            aggregator.add(snap)
            refresh(snap.end_s)

        workers: tuple[WorkerReport, ...] = ()
        if wants_cluster(job.options):  # --workers N / --engine ray: the coordinator runs here
            from surge.cli.cluster_run import run_cluster  # imports the worker side

            # every worker's snapshot merged; the view refreshed once per second of the run
            outcome, why, workers = run_cluster(
                job, aggregator.add, refresh, lambda: stops.reason is not None, console
            )
            if why is not None:
                stops.request(why)
        else:
            cpu = ProcessCpuSampler().sample
            outcome = run_blocking(load_run(job, recorder, stops, on_snapshot, cpu=cpu))
    aborted = outcome.aborted or stops.reason is not None
    meta = RunMeta(
        name=job.name,
        surge_version=__version__,
        started_at=started_at,
        finished_at=_now(),
        target=redact_url(job.target),
        mode=job.mode,
        options=redact_options(job.options, job.redactor),
        insecure=bool(job.options["insecure"]),
        aborted=aborted,
        abort_reason=outcome.abort_reason or stops.reason,
    )
    result = aggregator.result(meta, round(outcome.duration_s, 3))
    result = dataclasses.replace(result, resources=sampler.resources)
    if workers:
        result = dataclasses.replace(result, workers=workers)
    return job.redactor.scrub(_finish(job, result, aggregator)), outcome
