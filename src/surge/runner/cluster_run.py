"""Wiring a run on several workers: `--workers N|auto`, `--engine local|ray`, `--address`,
`--fail-on-worker-loss`. The coordinator runs in this process and feeds the same snapshot sink
(running totals, observers, abort-on-fail thresholds) as a single-process run.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from pathlib import Path

from surge.cluster import Backend, ClusterSettings, Coordinator, LocalBackend
from surge.cluster.messages import WorkerNote
from surge.config import AUTO
from surge.engine.run import RunOutcome
from surge.metrics import LoadModel, Snapshot, WorkerReport
from surge.runner.jobs import Job
from surge.runner.observer import Observers
from surge.runner.recipe import JobRecipe, local_cpus, wants_cluster
from surge.runner.target import Mode
from surge.runner.verdict import health_rules
from surge.runner.worker import prepare_worker
from surge.schedule import PlanSource, split_plan

_READY_TIMEOUT_S = {"local": 60.0, "ray": 180.0}


def _backend(job: Job, recipe: JobRecipe) -> tuple[Backend, JobRecipe, int]:
    """The backend, the recipe as workers will see it, and the worker count asked for."""
    config = job.config
    asked = config.workers
    if config.engine != "ray":
        count = local_cpus() if asked in (None, AUTO) else int(asked)
        return LocalBackend(), recipe, count
    from surge.cluster.ray_backend import RayBackend

    working_dir = None
    if job.mode is not Mode.URL and isinstance(recipe.target, str | os.PathLike):
        # The scenario file's folder becomes each actor's working directory (runtime_env).
        path = Path(recipe.target).resolve()
        working_dir = path.parent
        recipe = dataclasses.replace(recipe, target=path.name)
    num_cpus = None if asked in (None, AUTO) else int(asked)
    backend = RayBackend(config.address, working_dir, num_cpus)
    count = backend.cluster_cpus() if asked in (None, AUTO) else int(asked)
    return backend, recipe, count


def _worker_count(job: Job, asked: int, observers: Observers) -> int:
    """No more workers than users in a fixed closed-model plan (a worker with no user idles)."""
    plan = job.plan
    if plan.model is LoadModel.CLOSED and plan.source is PlanSource.FIXED and plan.users < asked:
        observers.info(f"note: {plan.users} users need only {plan.users} of {asked} workers")
        return max(1, plan.users)
    return asked


class _Notes:
    """The workers' notes: the secrets they met, taught to the run's redactor; the first error
    at each place of the script (from whichever worker saw it first), told the observers."""

    def __init__(self, job: Job, observers: Observers) -> None:
        self.job = job
        self.observers = observers
        self.told: set[str] = set()

    def note(self, worker: int, note: WorkerNote) -> None:
        for value in note.secrets:
            self.job.redactor.learn(value)
        if note.where is not None and note.where not in self.told:
            self.told.add(note.where)
            self.observers.script_error(note.where, note.text)


def run_cluster(
    job: Job,
    on_snapshot: Callable[[Snapshot], None],
    on_second: Callable[[float], None],
    should_stop: Callable[[], bool],
    observers: Observers,
) -> tuple[RunOutcome, str | None, tuple[WorkerReport, ...]]:
    """Run `job` through the coordinator: (outcome, why it stopped early, per-worker reports).
    `on_snapshot` gets every worker's snapshots, `on_second` the end of each merged second."""
    recipe = job.recipe
    if recipe is None:
        raise ValueError("a job for several workers needs its recipe (see build_jobs)")
    backend, recipe, asked = _backend(job, recipe)
    workers = _worker_count(job, asked, observers)
    where = "Ray cluster" if backend.name == "ray" else "local processes"
    observers.info(f"{workers} workers ({where}); the coordinator merges their results")
    settings = ClusterSettings(
        workers=workers,
        fail_on_loss=job.config.fail_on_worker_loss,
        graceful_s=job.config.graceful_stop,
        ready_timeout_s=_READY_TIMEOUT_S[backend.name],
        health_rules=health_rules(job.config),
    )
    slices = split_plan(job.plan, workers)
    notes = _Notes(job, observers)
    coordinator = Coordinator(
        backend,
        settings,
        on_snapshot,
        should_stop,
        on_second,
        planned_arrivals=lambda worker, until_s: slices[worker].arrivals_due(until_s),
        on_note=notes.note,
    )
    outcome = coordinator.run(prepare_worker, recipe)
    if outcome.ready_s is not None:
        observers.info(f"{workers} workers were ready {outcome.ready_s:.2f} s after launch")
    run_outcome = RunOutcome(
        duration_s=outcome.duration_s,
        aborted=outcome.signal_name is not None or outcome.error is not None,
        abort_reason=outcome.signal_name or outcome.error,
        error=outcome.error,
        classes=outcome.classes,
        load_s=outcome.load_s,
    )
    return run_outcome, outcome.stop_reason, outcome.workers


def worker_split_lines(job: Job) -> list[str]:
    """--dry-run: how the plan splits over the workers (nothing when it runs in-process)."""
    if not wants_cluster(job.config):
        return []
    asked = job.config.workers
    if job.config.engine == "ray" and asked in (None, AUTO):
        return ["split over one Ray actor per CPU of the cluster, each an exact slice"]
    count = local_cpus() if asked in (None, AUTO) else int(asked)
    plan = job.plan
    if plan.model is LoadModel.CLOSED and plan.source is PlanSource.FIXED:
        count = max(1, min(count, plan.users))
    lines = [f"split over {count} workers (--workers):"]
    return lines + [f"  {part.describe()}" for part in split_plan(plan, count)]
