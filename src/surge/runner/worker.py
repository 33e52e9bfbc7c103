"""The worker side of a run on several workers: rebuild the job from its recipe, take this
worker's slice of the plan, and run it with exactly the code of a single-process run
(`load_run`).

`prepare_worker` is handed to the cluster backends by reference: it runs in each worker process
(or Ray actor), never in the coordinator. Nothing here imports a shell; a worker has no
observers, so the first error at a place in a script goes to its stderr.
"""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass, replace

from surge.cluster.backend import SnapshotSink
from surge.engine.limits import raise_fd_limit
from surge.engine.run import RunOutcome
from surge.metrics import Recorder
from surge.monitor import ProcessCpuSampler
from surge.runner.jobs import Job, build_jobs
from surge.runner.load import Stops, load_run, preload
from surge.runner.recipe import JobRecipe
from surge.schedule import split_plan


def _script_error_to_stderr(where: str, text: str) -> None:
    print(
        f"surge: error in {where} (later ones are counted, not printed):\n{text}", file=sys.stderr
    )


@dataclass(frozen=True, slots=True)
class WorkerJob:
    """One worker's job: the whole job with the plan replaced by this worker's slice."""

    job: Job
    worker: int

    async def run(self, emit: SnapshotSink, stop: asyncio.Event) -> tuple[RunOutcome, str | None]:
        recorder = Recorder(worker=self.worker)
        stops = Stops()
        run = load_run(
            self.job,
            recorder,
            stops,
            emit,
            on_script_error=_script_error_to_stderr,
            stop=stop,
            handle_signals=False,
            cpu=ProcessCpuSampler().sample,
        )
        return await run.run(), stops.reason


def prepare_worker(recipe: JobRecipe, worker: int, workers: int) -> WorkerJob:
    """Build worker `worker` of `workers`'s job from the recipe (in the worker process)."""
    raise_fd_limit()  # a worker's connections count against its own open-file limit
    # The worker's own job is in-process: no cluster options (nor a fork server) in here.
    config = replace(recipe.config, workers=None, engine="local", address=None)
    job = build_jobs(recipe.target, config)[recipe.index]
    plan = split_plan(job.plan, workers)[worker]
    preload()  # before READY: nothing loads once the start time is set
    return WorkerJob(replace(job, plan=plan), worker)
