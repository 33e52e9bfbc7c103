"""Running one job: the engine (or the cluster's coordinator) with the monitor beside it, the
running totals and abort-on-fail thresholds on every second, the observers told as it goes, and
the RunResult judged (load delivered, generator health, thresholds) and redacted at the end."""

from __future__ import annotations

import dataclasses
import datetime
import functools
import os
import time

from surge.engine.run import RunOutcome, crash_text, run_blocking
from surge.metrics import (
    TOTAL_NAME,
    Aggregator,
    EndpointStats,
    LoadModel,
    Recorder,
    RunMeta,
    RunResult,
    Snapshot,
    WorkerReport,
    merge_stats,
)
from surge.monitor import (
    ProcessCpuSampler,
    generator_cpus_busy_pct,
    judge_generator,
    mean_active_users,
    paced_offered_rps,
    summarize_load,
)
from surge.monitor.resources import ResourceSampler
from surge.runner.control import RunControl
from surge.runner.jobs import Job
from surge.runner.load import Stops, load_run, naming_of, preload, steady_loop
from surge.runner.observer import Observers, Progress
from surge.runner.recipe import wants_cluster
from surge.runner.redact import redact_options, redact_url
from surge.runner.steering import Steering
from surge.runner.verdict import health_rules
from surge.scenario import ScenarioKind, pacing_s_of
from surge.thresholds import AbortWatch, abort_reason, evaluate
from surge.version import __version__


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds")


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


def _finish(job: Job, result: RunResult, aggregator: Aggregator, outcome: RunOutcome) -> RunResult:
    """Add what is judged after the run: the load delivered, generator health, thresholds."""
    arrivals = aggregator.arrivals()
    model = job.plan.model
    started = None
    if model is LoadModel.CLOSED:
        # iterations: tasks, WebSocket round trips (counted by their workloads), or requests
        counted = job.scenario.endpoint is None or arrivals.scheduled
        started = arrivals.scheduled if counted else result.total.requests
    offered = _offered_rps(job, result)
    load = summarize_load(
        model, offered, result.duration_s, arrivals, started, load_s=outcome.load_s
    )
    generator = judge_generator(
        aggregator.health(),
        arrivals,
        result.total.schedule_lag,
        health_rules(job.config),
        outcome.stalls,
        host_cpu_pct=generator_cpus_busy_pct(result.resources, _affinity()),
        user_code=job.scenario.kind is not ScenarioKind.ENDPOINT,
    )
    result = dataclasses.replace(result, load=load, generator=generator)
    return dataclasses.replace(result, thresholds=evaluate(job.thresholds, result))


def _affinity() -> frozenset[int] | None:
    """The CPUs this process (and the workers it starts) may run on; None when unknown."""
    getter = getattr(os, "sched_getaffinity", None)
    try:
        return None if getter is None else frozenset(getter(0))
    except OSError:
        return None


@functools.cache
def _empty_total() -> EndpointStats:
    """The `Progress.total` of a second whose totals no observer wants (made once, on first
    use: it needs NumPy)."""
    return merge_stats("", TOTAL_NAME, ())


class _Seconds:
    """The sink of every Snapshot: the running totals, the observers told once per merged
    second, and the abort-on-fail thresholds checked on the totals."""

    def __init__(self, job: Job, observers: Observers, stops: Stops) -> None:
        self.job = job
        self.observers = observers
        self.stops = stops
        self.aggregator = Aggregator(max_endpoints=job.config.max_endpoints)
        self.watch = AbortWatch(job.thresholds)
        self.pending: list[Snapshot] = []

    def add(self, snap: Snapshot) -> None:
        """One worker's snapshot (it waits for the rest of its second in the cluster)."""
        self.aggregator.add(snap)
        self.pending.append(snap)

    def snapshot(self, snap: Snapshot) -> None:
        """In-process: each snapshot is a whole second."""
        self.add(snap)
        self.second(snap.end_s)

    def second(self, end_s: float) -> None:
        """A merged second ended at `end_s`: tell the observers, check the thresholds."""
        aggregator = self.aggregator
        snapshots, self.pending = tuple(self.pending), []
        # the totals' values are built only when read: 4 histograms an endpoint, each a copy of
        # the buckets its run used so far (a soak's memory grew with its latencies' spread)
        if self.observers.want_totals or self.watch.armed:
            endpoints, total = aggregator.endpoints(), aggregator.total()
        else:
            endpoints, total = (), _empty_total()
        self.observers.progress(Progress(end_s, aggregator.live(), total, endpoints, snapshots))
        if self.watch.armed and self.stops.reason is None:
            lost = self.watch.check(endpoints, total, end_s)
            if lost is not None:
                self.stops.request(abort_reason(lost, end_s))


def _in_process(job: Job, seconds: _Seconds, control: RunControl | None) -> RunOutcome:
    steering = Steering(job.plan) if control is not None else None
    run = load_run(
        job,
        Recorder(naming=naming_of(job.config)),
        seconds.stops,
        seconds.snapshot,
        steering=steering,
        on_script_error=seconds.observers.script_error,
        cpu=ProcessCpuSampler().sample,
    )
    if control is not None:
        control.attach(steering)
    preload()
    seconds.aggregator.prepare()
    try:
        with steady_loop():
            return run_blocking(run)
    finally:
        if control is not None:
            control.detach()


def _on_workers(
    job: Job, seconds: _Seconds, control: RunControl | None
) -> tuple[RunOutcome, tuple[WorkerReport, ...]]:
    from surge.runner.cluster_run import run_cluster  # imports the cluster stage

    stops = seconds.stops

    def should_stop() -> bool:
        if control is not None and control.stopped and stops.reason is None:
            stops.request(control.stop_reason or "stopped")
        return stops.reason is not None

    if control is not None:
        control.attach(None)
    try:
        outcome, why, workers = run_cluster(
            job, seconds.add, seconds.second, should_stop, seconds.observers
        )
    finally:
        if control is not None:
            control.detach()
    if why is not None:
        stops.request(why)
    return outcome, workers


def cap_warning(names_seen: int, max_endpoints: int) -> str | None:
    """What to tell the user when a run saw more endpoint names than it keeps (else None)."""
    if names_seen <= max_endpoints:
        return None
    return (
        f"{names_seen:,} distinct endpoint names, more than the cap of {max_endpoints:,} "
        f"(--max-endpoints): the requests of names after the first {max_endpoints:,} are "
        "counted under '(other)', one per method. Give requests that differ only by an id one "
        'name with name= (e.g. self.http.get(f"/orders/{order_id}", name="/orders/{id}")), '
        "or raise --max-endpoints"
    )


def execute(
    job: Job, observers: Observers, control: RunControl | None = None
) -> tuple[RunResult, RunOutcome]:
    """Run the job to its end (or to SIGINT/SIGTERM, a lost abort-on-fail threshold, or a stop
    through `control`); the result is judged and redacted."""
    stops = Stops()
    seconds = _Seconds(job, observers, stops)
    started_at = _now()
    workers: tuple[WorkerReport, ...] = ()
    with ResourceSampler(job.monitored) as sampler:
        t0 = time.perf_counter()
        try:
            if wants_cluster(job.config):  # several workers: the coordinator runs here
                outcome, workers = _on_workers(job, seconds, control)
            else:
                outcome = _in_process(job, seconds, control)
        except Exception as exc:  # what was recorded is kept: the run crashed, said in a line
            why = crash_text(exc)
            outcome = RunOutcome(time.perf_counter() - t0, True, why, crash=why)
    warning = cap_warning(seconds.aggregator.names_seen, job.config.max_endpoints)
    if warning is not None:
        observers.warning(warning)
    meta = RunMeta(
        name=job.name,
        surge_version=__version__,
        started_at=started_at,
        finished_at=_now(),
        target=redact_url(job.target),
        mode=job.mode.value,
        options=redact_options(job.config.as_options(), job.redactor),
        insecure=job.config.insecure,
        aborted=outcome.aborted or stops.reason is not None,
        abort_reason=outcome.abort_reason or stops.reason,
    )
    result = seconds.aggregator.result(meta, round(outcome.duration_s, 3))
    result = dataclasses.replace(result, resources=sampler.resources)
    if workers:
        result = dataclasses.replace(result, workers=workers)
    finished = _finish(job, result, seconds.aggregator, outcome)
    return job.redactor.scrub(finished), outcome
