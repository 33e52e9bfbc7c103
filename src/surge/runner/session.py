"""A whole run, from a target and a RunConfig to its results and exit verdict: every job of the
target `repeat` times back to back, each result stored as soon as it ends, then the report files,
the exit code and the comparison with a baseline.

    runs = run_all("http://127.0.0.1:8000/health", RunConfig(users=5, duration=10.0))
    runs.exit_code, runs.results[0].p95_ms

Bad input (options, files, an unreachable store, a missing baseline) raises InputError before
any traffic. Nothing here prints: observers hear about every step.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TextIO

from surge.config import RunConfig
from surge.metrics import SIGNALS, ExitCode, RunResult
from surge.redaction import NO_REDACTION
from surge.runner.control import RunControl
from surge.runner.execute import execute
from surge.runner.jobs import InputError, Job, build_jobs
from surge.runner.observer import Observers, RunObserver, RunStart
from surge.runner.prepare import prepare_jobs
from surge.runner.reports import write_reports
from surge.runner.store_step import PendingStore, pending_store, store_run
from surge.runner.target import Target
from surge.runner.verdict import failed_starts, run_exit_code, user_code_verdict

if TYPE_CHECKING:
    from surge.compare import Comparison
    from surge.runner.compare_step import CompareStep


@dataclass(frozen=True, slots=True)
class Runs:
    """What a run produced: every result in order, the store ids of those stored, the signal
    that stopped it (if any), the comparison with a baseline (with compare_to), and the exit
    code `surge run` exits with."""

    results: tuple[RunResult, ...]
    stored_ids: tuple[int, ...]
    signal_name: str | None
    exit_code: ExitCode
    comparison: Comparison | None = None

    @property
    def passed(self) -> bool:
        return self.exit_code is ExitCode.OK


def plan_jobs(target: Target, config: RunConfig) -> list[Job]:
    """The validated, prepared jobs of a run (what `--dry-run` shows); InputError when bad."""
    return prepare_jobs(build_jobs(target, config), config)


def _open_store(config: RunConfig) -> PendingStore | None:
    from surge.store import StoreError

    try:
        return pending_store(config)
    except StoreError as exc:
        raise InputError(f"{exc} (or pass --no-store)") from None
    except OSError as exc:
        raise InputError(
            f"cannot make the run store's folder: {exc.strerror or exc} (or pass --no-store)"
        ) from None


def _prepare_compare(
    pending: PendingStore | None, config: RunConfig, observers: Observers
) -> CompareStep | None:
    if not config.compare_to:
        return None
    # The statistics (numpy, scipy) load only for a comparison: every plain run starts faster.
    from surge.runner.compare_step import prepare_compare_to

    try:  # a comparison opens its store before any traffic (see store_step)
        return prepare_compare_to(pending.get(observers) if pending else None, config)
    except InputError:
        if pending is not None:
            pending.close()
        raise


@dataclass(frozen=True, slots=True)
class _Ran:
    """The results in order, the store ids of those stored, the signal that stopped the run;
    a fault in the user's code that stopped it (exit 2) and the user classes whose every user
    failed on_start (exit 3)."""

    results: list[RunResult]
    stored_ids: list[int]
    signal_name: str | None
    error: str | None = None
    failed_starts: tuple[str, ...] = ()


def run_jobs(
    jobs: Sequence[Job],
    config: RunConfig,
    observers: Observers,
    store: PendingStore | None,
    control: RunControl | None = None,
) -> _Ran:
    """Each job `repeat` times back to back; each result stored as soon as it ends. A signal
    stops everything; so does a run stopped by a threshold, a shape error or the control."""
    results: list[RunResult] = []
    stored: list[int] = []
    failed: tuple[str, ...] = ()
    for index, job in enumerate(jobs):
        for round_no in range(1, config.repeat + 1):
            if control is not None and control.stopped:
                return _Ran(results, stored, None, None, failed)
            observers.start(_start(job, index, len(jobs), round_no, config.repeat))
            result, outcome = execute(job, observers, control)
            results.append(result)
            observers.end(result)
            run_id = store_run(store.get(observers) if store else None, result, observers)
            if run_id is not None:
                stored.append(run_id)
            failed += failed_starts(outcome)
            if outcome.crash is not None:  # an error surge did not expect: exit 7
                observers.error(f"the run stopped on an {outcome.crash}")
                return _Ran(results, stored, None, None, failed)
            if outcome.error is not None:  # the user's code stopped the run
                return _Ran(results, stored, None, outcome.error, failed)
            if outcome.aborted and outcome.abort_reason in SIGNALS:
                return _Ran(results, stored, outcome.abort_reason, None, failed)
            if result.meta.aborted:  # an abort-on-fail threshold, a shape error, the control
                return _Ran(results, stored, None, None, failed)
    return _Ran(results, stored, None, None, failed)


def _start(job: Job, index: int, jobs: int, round_no: int, repeat: int) -> RunStart:
    return RunStart(
        name=job.redactor.text(job.name),
        mode=job.mode.value,
        target=job.redactor.text(job.target),
        plan=job.plan,
        index=index,
        jobs=jobs,
        round=round_no,
        repeat=repeat,
    )


def run_all(
    target: Target,
    config: RunConfig,
    observers: Iterable[RunObserver] = (),
    *,
    control: RunControl | None = None,
    stdout: TextIO | None = None,
    jobs: Sequence[Job] | None = None,
) -> Runs:
    """Run `target` under `config` (see the module docstring). `jobs` are the target's prepared
    jobs when the caller planned them already; `stdout` receives `out="-"`."""
    if config.dry_run:
        raise InputError("dry_run plans without sending: use plan_jobs(target, config)")
    jobs = list(jobs) if jobs is not None else plan_jobs(target, config)
    told = Observers(observers, jobs[0].redactor if jobs else NO_REDACTION)
    pending = _open_store(config)
    step = _prepare_compare(pending, config, told)
    try:
        ran = run_jobs(jobs, config, told, pending, control)
        write_reports(ran.results, config, told, stdout)
        code = run_exit_code(ran.results, ran.signal_name, config)
        comparison = None
        store = pending.get(told) if pending is not None else None
        if step is not None and store is not None:
            from surge.runner.compare_step import finish_compare_to

            code, comparison = finish_compare_to(step, store, ran.stored_ids, code, told)
        code = user_code_verdict(ran.signal_name, ran.error, ran.failed_starts, code, told)
    finally:
        if pending is not None:
            pending.close()
    return Runs(tuple(ran.results), tuple(ran.stored_ids), ran.signal_name, code, comparison)
