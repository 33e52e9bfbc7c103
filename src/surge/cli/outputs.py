"""Running the jobs one after another, printing summaries and writing result files."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from rich.console import Console
from rich.markup import escape

from surge.cli.cluster_run import worker_split_lines
from surge.cli.execute import Job, execute
from surge.cli.exit_codes import ExitCode, for_signal
from surge.cli.prepare import PrepareError, prepare_jobs
from surge.cli.run_store import open_run_store, store_run
from surge.engine.run import RunOutcome
from surge.metrics import RunResult
from surge.report import print_summary, write_csv, write_junit, write_results_json
from surge.report.html import write_html
from surge.report.text_report import write_text_report
from surge.schedule import dry_run_lines
from surge.store import Store, StoreError

_UNSAFE_IN_FILE_NAME = re.compile(r"[^\w.-]+")


def csv_prefixes(results: Sequence[RunResult], prefix: str) -> list[str]:
    """One CSV file prefix per result: PREFIX alone for one run, PREFIX_NAME per scenario
    (characters unfit for a file name as `_`), and a run number when a name repeats."""
    if len(results) == 1:
        return [prefix]
    names = [r.meta.name for r in results]
    distinct = len(set(names)) > 1
    out: list[str] = []
    for i, name in enumerate(names):
        part = prefix + "_" + _UNSAFE_IN_FILE_NAME.sub("_", name) if distinct else prefix
        if names.count(name) > 1:  # --repeat: one set of files per run
            part += f"_{names[: i + 1].count(name)}"
        out.append(part)
    return out


# Whole-run report files: option name, writer, what the console says was written.
_REPORT_FILES: tuple[tuple[str, Callable[[Sequence[RunResult], TextIO], None], str], ...] = (
    ("out", write_results_json, "JSON result"),
    ("junit", write_junit, "JUnit XML"),
    ("report_text", write_text_report, "Text report"),
    ("html", write_html, "HTML report"),
)


def write_outputs(results: Sequence[RunResult], options: dict[str, Any], console: Console) -> None:
    """--out JSON, --junit, --report-text, --html and --csv files; a write error is reported,
    never swallowed."""
    for option, writer, label in _REPORT_FILES:
        if not options.get(option):
            continue
        path = Path(options[option])
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8") as fp:
            writer(results, fp)
        console.print(f"{label} written to {path}")
    if options.get("csv"):
        prefix = str(options["csv"])
        for result, scenario_prefix in zip(results, csv_prefixes(results, prefix), strict=True):
            for written in write_csv(result, scenario_prefix):
                console.print(f"CSV written to {written}")


def exit_code(
    results: Sequence[RunResult],
    signal_name: str | None,
    *,
    allow_saturated: bool = False,
    fail_on_worker_loss: bool = False,
) -> ExitCode:
    """The run's exit code; the first that applies wins: a signal (130/143), a worker lost
    (6, under --fail-on-worker-loss, or when no worker got to complete a request), no request
    succeeded (3), a saturated generator (4, unless allowed), a failed threshold (1), else 0."""
    interrupted = for_signal(signal_name)
    if interrupted is not None:
        return interrupted
    if any(r.degraded and (fail_on_worker_loss or r.total.requests == 0) for r in results):
        return ExitCode.WORKER_LOST
    if any(r.total.successes == 0 for r in results):
        return ExitCode.NO_SUCCESS
    saturated = any(r.generator is not None and r.generator.saturated for r in results)
    if saturated and not allow_saturated:
        return ExitCode.GENERATOR_SATURATED
    if not all(r.thresholds_passed for r in results):
        return ExitCode.THRESHOLD_FAILED
    return ExitCode.OK


def _user_code_verdict(ran: Ran, code: ExitCode, console: Console) -> ExitCode:
    """A fault in the user's code outranks the run's own verdict (after a signal): a task that
    never yields is a usage error (2); a class none of whose users could start fails (3)."""
    if for_signal(ran.signal_name) is not None:
        return code
    errors = Console(stderr=True, highlight=False, soft_wrap=True)
    if ran.error is not None:
        errors.print(f"[bold red]surge: error:[/] {escape(ran.error)}")
        return ExitCode.USAGE
    for message in ran.failed_starts:
        errors.print(f"[bold red]surge: error:[/] {escape(message)}")
    if ran.failed_starts and code is not ExitCode.WORKER_LOST:
        return ExitCode.NO_SUCCESS
    return code


def _no_success_hint(result: RunResult) -> str:
    errors = dict(result.total.errors)
    if not errors:
        return f"{result.meta.name}: no request completed"
    top = max(errors, key=lambda k: errors[k])
    return (
        f"{result.meta.name}: no request succeeded ({result.total.failures:,} failed, "
        f"mostly {top}) against {result.meta.target} — is the server up and the URL right?"
    )


def print_dry_run(jobs: Sequence[Job], console: Console) -> int:
    """--dry-run: every job's plan, and nothing sent."""
    for job in jobs:
        console.rule(f"scenario {job.name}" if len(jobs) > 1 else f"plan of {job.name}")
        console.print(f"target: {job.redactor.text(job.target)} ({job.mode} mode)", markup=False)
        for line in dry_run_lines(job.plan):
            console.print(line, markup=False)
        for line in worker_split_lines(job):
            console.print(line, markup=False)
        for spec in job.thresholds:
            abort = " (abort on fail)" if spec.abort_on_fail else ""
            shown = job.redactor.text(spec.expression)
            console.print(f"threshold: {shown}{abort}", markup=False)
    console.print("dry run: nothing was sent")
    return int(ExitCode.OK)


@dataclass(frozen=True, slots=True)
class Ran:
    """What the run loop produced: every result in order, the store ids of those that were
    stored (a --compare-to step reads them), and the signal that stopped it, if any; a fault
    in the user's code that stopped it (exit 2), and the user classes whose every user failed
    on_start (exit 3)."""

    results: list[RunResult]
    stored_ids: list[int]
    signal_name: str | None
    error: str | None = None
    failed_starts: tuple[str, ...] = ()


_SIGNALS = ("SIGINT", "SIGTERM")


def _failed_starts(outcome: RunOutcome) -> tuple[str, ...]:
    return tuple(
        f"every user of class {c.name} failed on_start ({c.users:,} of {c.users:,}; "
        f"{c.first_error}): none of its tasks ran"
        for c in outcome.failed_classes
    )


def _announce(job: Job, jobs: Sequence[Job], round_no: int, repeat: int, console: Console) -> None:
    if len(jobs) > 1 and round_no == 1:
        console.rule(f"scenario {job.name}")
    if repeat > 1:
        console.rule(f"{job.name}: run {round_no} of {repeat}")
    console.print(
        f"surge {job.mode} run [bold]{escape(job.redactor.text(job.name))}[/]: "
        f"{job.plan.describe()} against {escape(job.redactor.text(job.target))}"
    )


def run_all(
    jobs: Sequence[Job], options: dict[str, Any], console: Console, store: Store | None
) -> Ran:
    """Each job --repeat times back to back; each run printed and stored as soon as it ends.
    A signal stops everything; so does a run stopped by an abort-on-fail threshold."""
    results: list[RunResult] = []
    stored: list[int] = []
    failed_starts: tuple[str, ...] = ()
    repeat = int(options.get("repeat") or 1)
    for job in jobs:
        for round_no in range(1, repeat + 1):
            _announce(job, jobs, round_no, repeat, console)
            result, outcome = execute(job, console, quiet=bool(options.get("quiet")))
            results.append(result)
            print_summary(result, console)
            run_id = store_run(store, result, console)
            if run_id is not None:
                stored.append(run_id)
            failed_starts += _failed_starts(outcome)
            if outcome.error is not None:  # the user's code stopped the run
                return Ran(results, stored, None, outcome.error, failed_starts)
            if outcome.aborted and outcome.abort_reason in _SIGNALS:
                return Ran(results, stored, outcome.abort_reason, None, failed_starts)
            if result.meta.aborted:  # an abort-on-fail threshold (or a load-shape error)
                return Ran(results, stored, None, None, failed_starts)
    return Ran(results, stored, None, None, failed_starts)


def run_jobs(jobs: Sequence[Job], options: dict[str, Any], console: Console) -> int:
    """Run the jobs (see `run_all`), store each run, then write the result files."""
    try:
        jobs = prepare_jobs(jobs, options)
    except PrepareError as exc:
        message = f"[bold red]surge: error:[/] {escape(str(exc))}"
        Console(stderr=True, highlight=False).print(message)
        return int(ExitCode.USAGE)
    if options.get("dry_run"):
        return print_dry_run(jobs, console)
    try:
        store = open_run_store(options)
    except StoreError as exc:
        Console(stderr=True, highlight=False, soft_wrap=True).print(
            f"[bold red]surge: error:[/] {escape(str(exc))} (or pass --no-store)"
        )
        return int(ExitCode.USAGE)
    # The statistics (numpy, scipy) load only for --compare-to: every plain run starts faster.
    from surge.cli.compare_commands import (
        CompareInputError,
        finish_compare_to,
        prepare_compare_to,
    )

    try:
        compare_step = prepare_compare_to(store, options)
    except CompareInputError as exc:
        Console(stderr=True, highlight=False).print(
            f"[bold red]surge: error:[/] {escape(str(exc))}"
        )
        if store is not None:
            store.close()
        return int(ExitCode.USAGE)
    try:
        ran = run_all(jobs, options, console, store)
        results = ran.results
        write_outputs(results, options, console)
        code = exit_code(
            results,
            ran.signal_name,
            allow_saturated=bool(options.get("allow_saturated")),
            fail_on_worker_loss=bool(options.get("fail_on_worker_loss")),
        )
        code = finish_compare_to(compare_step, store, ran.stored_ids, code, console)
        code = _user_code_verdict(ran, code, console)
    finally:
        if store is not None:
            store.close()
    if code is ExitCode.NO_SUCCESS:
        for result in results:
            if result.total.successes == 0:
                console.print(f"[bold red]{_no_success_hint(result)}[/]")
    return int(code)
