"""The last step before any traffic: the run's redactor, its monitored target processes and
the open-file limit (an open-model cap on requests in flight that the process can honour).

Done once per run (not per worker process: a worker rebuilds its job from a recipe and
neither monitors nor writes outputs), after the jobs are built and before anything is sent, so a
`--monitor-pid` that is not running stops the run with exit code 2.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from surge.config import RunConfig
from surge.engine.limits import FdBudget, fd_budget, raise_fd_limit
from surge.metrics import LoadModel
from surge.monitor.resources import TargetError, find_targets
from surge.redaction import Redactor
from surge.runner.jobs import InputError, Job
from surge.runner.recipe import wants_cluster, worker_count
from surge.runner.redact import redactor_for


class PrepareError(InputError):
    """A monitored target that names no running process: one message, exit code 2."""


def run_redactor(jobs: Sequence[Job], config: RunConfig) -> Redactor:
    """The run's redactor: the secrets of the options and of every job's target and endpoint
    (each worker process builds the same one from the same jobs)."""
    urls: list[str] = []
    headers: list[tuple[str, str]] = []
    for job in jobs:
        urls.append(job.target)
        endpoint = job.scenario.endpoint
        if endpoint is not None:
            urls.append(endpoint.url)
            headers.extend(endpoint.headers)
    return redactor_for(config.as_options(), urls, headers)


def prepare_jobs(jobs: Sequence[Job], config: RunConfig) -> list[Job]:
    """`jobs` with the run's redactor (secrets of every job) and monitored targets attached,
    their in-flight caps fitted to the open-file limit (`fit_descriptors`)."""
    jobs = fit_descriptors(jobs, config)
    redactor = run_redactor(jobs, config)
    try:
        targets = find_targets(config.monitor_pid, config.monitor_process)
    except TargetError as exc:
        raise PrepareError(str(exc)) from None
    return [replace(job, redactor=redactor, monitored=targets) for job in jobs]


def fit_descriptors(jobs: Sequence[Job], config: RunConfig) -> list[Job]:
    """Raise the soft open-file limit to the hard one, then fit each open-model job's
    `max_in_flight` to the descriptors a worker process has for connections (times the local
    workers): a default above it is lowered (the plan notes it), an explicit one is refused."""
    if not any(job.plan.model is LoadModel.OPEN for job in jobs):
        return list(jobs)
    raise_fd_limit()
    budget = fd_budget()
    workers = worker_count(config) if wants_cluster(config) else 1
    allowed = budget.for_connections * workers
    return [_fitted(job, budget, allowed) for job in jobs]


def _fitted(job: Job, budget: FdBudget, allowed: int) -> Job:
    cap = job.plan.max_in_flight
    if job.plan.model is not LoadModel.OPEN or cap is None or cap <= allowed:
        return job
    if job.config.max_in_flight is not None:
        raise PrepareError(
            f"--max-in-flight {cap:,} needs a file descriptor per request in flight, but this "
            f"process may open {budget.limit:,} (RLIMIT_NOFILE; {budget.open_now} open, "
            f"{allowed:,} left for connections): {budget.advice()}, or lower --max-in-flight"
        )
    note = (
        f"max in flight lowered from {cap:,} to {allowed:,}: the open-file limit is "
        f"{budget.limit:,} (RLIMIT_NOFILE; {budget.advice()})"
    )
    plan = replace(job.plan, max_in_flight=allowed, notes=(*job.plan.notes, note))
    return replace(job, plan=plan)
