"""The last step before any traffic: the run's redactor and its monitored target processes.

Done once per run (not per worker process: a worker rebuilds its job from a recipe and
neither monitors nor writes outputs), after the jobs are built and before anything is sent, so a
`--monitor-pid` that is not running stops the run with exit code 2.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from surge.config import RunConfig
from surge.monitor.resources import TargetError, find_targets
from surge.runner.jobs import InputError, Job
from surge.runner.redact import redactor_for


class PrepareError(InputError):
    """A monitored target that names no running process: one message, exit code 2."""


def prepare_jobs(jobs: Sequence[Job], config: RunConfig) -> list[Job]:
    """`jobs` with the run's redactor (secrets of every job) and monitored targets attached."""
    urls: list[str] = []
    headers: list[tuple[str, str]] = []
    for job in jobs:
        urls.append(job.target)
        endpoint = job.scenario.endpoint
        if endpoint is not None:
            urls.append(endpoint.url)
            headers.extend(endpoint.headers)
    redactor = redactor_for(config.as_options(), urls, headers)
    try:
        targets = find_targets(config.monitor_pid, config.monitor_process)
    except TargetError as exc:
        raise PrepareError(str(exc)) from None
    return [replace(job, redactor=redactor, monitored=targets) for job in jobs]
