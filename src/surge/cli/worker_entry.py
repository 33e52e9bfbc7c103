"""The worker side of a run on several workers: rebuild the job, take this worker's slice of
the plan, and run it with exactly the code of a single-process run (`load_run`).

`prepare_worker` is handed to the cluster backends by reference: it runs in each worker process
(or Ray actor), never in the coordinator.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace

from surge.cli.execute import Job, _Stops, load_run
from surge.cli.jobs import build_jobs
from surge.cli.recipe import JobRecipe
from surge.cluster.backend import SnapshotSink
from surge.engine.run import RunOutcome
from surge.metrics import Recorder
from surge.monitor import ProcessCpuSampler
from surge.schedule import split_plan


@dataclass(frozen=True, slots=True)
class WorkerJob:
    """One worker's job: the whole job with the plan replaced by this worker's slice."""

    job: Job
    worker: int

    async def run(self, emit: SnapshotSink, stop: asyncio.Event) -> tuple[RunOutcome, str | None]:
        recorder = Recorder(worker=self.worker)
        stops = _Stops()
        run = load_run(
            self.job,
            recorder,
            stops,
            emit,
            stop=stop,
            handle_signals=False,
            cpu=ProcessCpuSampler().sample,
        )
        return await run.run(), stops.reason


def prepare_worker(recipe: JobRecipe, worker: int, workers: int) -> WorkerJob:
    """Build worker `worker` of `workers`'s job from the recipe (in the worker process)."""
    # The worker's own job is in-process: no cluster options (nor a fork server) in here.
    options = dict(recipe.options) | {"workers": None, "engine": "local", "address": None}
    jobs = build_jobs(recipe.target, options, set(recipe.explicit))
    job = jobs[recipe.index]
    plan = split_plan(job.plan, workers)[worker]
    return WorkerJob(replace(job, plan=plan), worker)
