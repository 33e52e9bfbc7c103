"""The worker side of a run on several workers: rebuild the job from its recipe, take this
worker's slice of the plan, and run it with exactly the code of a single-process run
(`load_run`).

`prepare_worker` is handed to the cluster backends by reference: it runs in each worker process
(or Ray actor), never in the coordinator. Nothing here imports a shell and a worker prints
nothing: the first error at a place in a script goes to the coordinator as a note (masked by the
worker's redactor, the run's own rebuilt from the same jobs), and so do the secrets its users
start to send, so that the coordinator masks them too.
"""

from __future__ import annotations

import asyncio
import gc
import sys
from dataclasses import dataclass, replace

from surge.cluster.backend import SnapshotSink
from surge.cluster.messages import WorkerNote
from surge.engine.limits import raise_fd_limit
from surge.engine.run import RunOutcome
from surge.metrics import Recorder
from surge.monitor import ProcessCpuSampler
from surge.runner.jobs import Job, build_jobs
from surge.runner.load import SWITCH_INTERVAL_S, Stops, load_run, naming_of, preload
from surge.runner.prepare import run_redactor
from surge.runner.recipe import JobRecipe
from surge.schedule import split_plan


@dataclass(frozen=True, slots=True)
class WorkerJob:
    """One worker's job: the whole job with the plan replaced by this worker's slice."""

    job: Job
    worker: int

    async def run(self, emit: SnapshotSink, stop: asyncio.Event) -> tuple[RunOutcome, str | None]:
        recorder = Recorder(worker=self.worker, naming=naming_of(self.job.config))
        stops = Stops()
        redactor = self.job.redactor
        if redactor.learned is not None:
            redactor.learned.subscribe(lambda value: emit(WorkerNote(secrets=(value,))))

        def script_error(where: str, text: str) -> None:
            emit(WorkerNote(where=redactor.text(where), text=redactor.text(text)))

        run = load_run(
            self.job,
            recorder,
            stops,
            emit,
            on_script_error=script_error,
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
    jobs = build_jobs(recipe.target, config)
    job = jobs[recipe.index]
    plan = split_plan(job.plan, workers)[worker]
    redactor = run_redactor(jobs, recipe.config)
    preload()  # before READY: nothing loads once the start time is set
    gc.freeze()  # start-up's objects stay out of the run's full collections (see steady_loop)
    sys.setswitchinterval(SWITCH_INTERVAL_S)  # a worker process runs this one job
    return WorkerJob(replace(job, plan=plan, redactor=redactor), worker)
