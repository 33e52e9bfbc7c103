"""Running one job: wire scenario, plan, engine, metrics and the live view together."""

from __future__ import annotations

import asyncio
import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rich.console import Console

from surge.cli.redact import redact_options, redact_url
from surge.engine.http import ClientConfig
from surge.engine.run import RunOutcome, drive, run_blocking
from surge.engine.scripted import run_script_users
from surge.engine.urlmode import run_url_users
from surge.metrics import Aggregator, Recorder, RunMeta, RunResult, Snapshot
from surge.report import LiveView
from surge.scenario import Scenario
from surge.schedule import Plan
from surge.version import __version__


@dataclass(frozen=True, slots=True)
class Job:
    """One scenario with its options resolved and its plan compiled: ready to run."""

    scenario: Scenario
    options: dict[str, Any]
    plan: Plan
    target: str
    name: str
    mode: str


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


def _load(job: Job, recorder: Recorder) -> Callable[[asyncio.Event, Callable[[int], None]], Any]:
    plan, options, config = job.plan, job.options, _config(job.options)
    graceful_s = float(options["graceful_stop"])
    endpoint = job.scenario.endpoint

    def load(stop: asyncio.Event, on_active: Callable[[int], None]) -> Any:
        if endpoint is not None:
            return run_url_users(
                endpoint,
                users=plan.users,
                start_offsets_s=plan.start_offsets_s,
                duration_s=plan.duration_s,
                requests_per_user=plan.requests_per_user,
                think_time_s=plan.think_time_s,
                recorder=recorder,
                config=config,
                stop=stop,
                graceful_stop_s=graceful_s,
                on_active_change=on_active,
            )
        return run_script_users(
            job.scenario.user_classes,
            plan,
            base_url=job.target,
            recorder=recorder,
            config=config,
            stop=stop,
            graceful_stop_s=graceful_s,
            on_active_change=on_active,
        )

    return load


def execute(job: Job, console: Console, *, quiet: bool) -> tuple[RunResult, RunOutcome]:
    """Run the job to its end (or to SIGINT/SIGTERM) and return its result."""
    recorder = Recorder()
    aggregator = Aggregator()
    started_at = _now()
    with LiveView(console, quiet=quiet) as view:

        def on_snapshot(snap: Snapshot) -> None:
            aggregator.add(snap)
            view.update(
                aggregator.live(),
                label=job.name,
                duration_s=job.plan.duration_s,
                requests_per_user=job.plan.requests_per_user,
            )

        load = _load(job, recorder)
        outcome = run_blocking(lambda: drive(load, recorder, on_snapshot))
    meta = RunMeta(
        name=job.name,
        surge_version=__version__,
        started_at=started_at,
        finished_at=_now(),
        target=redact_url(job.target),
        mode=job.mode,
        options=redact_options(job.options),
        insecure=bool(job.options["insecure"]),
        aborted=outcome.aborted,
        abort_reason=outcome.abort_reason,
    )
    return aggregator.result(meta, round(outcome.duration_s, 3)), outcome
