"""Running the jobs one after another, printing summaries and writing result files."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console

from surge.cli.execute import Job, execute
from surge.cli.exit_codes import ExitCode, for_signal
from surge.metrics import RunResult
from surge.report import print_summary, write_csv, write_junit, write_results_json
from surge.schedule import dry_run_lines


def write_outputs(results: Sequence[RunResult], options: dict[str, Any], console: Console) -> None:
    """--out JSON and --csv files; a write error is reported, never swallowed."""
    if options.get("out"):
        path = Path(options["out"])
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8") as fp:
            write_results_json(results, fp)
        console.print(f"JSON result written to {path}")
    if options.get("junit"):
        path = Path(options["junit"])
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8") as fp:
            write_junit(results, fp)
        console.print(f"JUnit XML written to {path}")
    if options.get("csv"):
        prefix = str(options["csv"])
        for result in results:
            scenario_prefix = prefix if len(results) == 1 else f"{prefix}_{result.meta.name}"
            for written in write_csv(result, scenario_prefix):
                console.print(f"CSV written to {written}")


def exit_code(
    results: Sequence[RunResult], signal_name: str | None, *, allow_saturated: bool = False
) -> ExitCode:
    """The run's exit code; the first that applies wins: a signal (130/143), no request
    succeeded (3), a saturated generator (4, unless allowed), a failed threshold (1), else 0."""
    interrupted = for_signal(signal_name)
    if interrupted is not None:
        return interrupted
    if any(r.total.successes == 0 for r in results):
        return ExitCode.NO_SUCCESS
    saturated = any(r.generator is not None and r.generator.saturated for r in results)
    if saturated and not allow_saturated:
        return ExitCode.GENERATOR_SATURATED
    if not all(r.thresholds_passed for r in results):
        return ExitCode.THRESHOLD_FAILED
    return ExitCode.OK


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
        console.print(f"target: {job.target} ({job.mode} mode)", markup=False)
        for line in dry_run_lines(job.plan):
            console.print(line, markup=False)
        for spec in job.thresholds:
            abort = " (abort on fail)" if spec.abort_on_fail else ""
            console.print(f"threshold: {spec.expression}{abort}", markup=False)
    console.print("dry run: nothing was sent")
    return int(ExitCode.OK)


def run_jobs(jobs: Sequence[Job], options: dict[str, Any], console: Console) -> int:
    """Run each job in order (stopping after a signal), then print and write everything."""
    if options.get("dry_run"):
        return print_dry_run(jobs, console)
    results: list[RunResult] = []
    signal_name: str | None = None
    for job in jobs:
        if len(jobs) > 1:
            console.rule(f"scenario {job.name}")
        console.print(
            f"surge {job.mode} run [bold]{job.name}[/]: {job.plan.describe()} against {job.target}"
        )
        result, outcome = execute(job, console, quiet=bool(options.get("quiet")))
        results.append(result)
        print_summary(result, console)
        if outcome.aborted:
            signal_name = outcome.abort_reason
            break
        if result.meta.aborted:  # an abort-on-fail threshold (or a load-shape error) stopped it
            break
    write_outputs(results, options, console)
    code = exit_code(results, signal_name, allow_saturated=bool(options.get("allow_saturated")))
    if code is ExitCode.NO_SUCCESS:
        for result in results:
            if result.total.successes == 0:
                console.print(f"[bold red]{_no_success_hint(result)}[/]")
    return int(code)
