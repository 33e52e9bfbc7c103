"""`surge calibrate TARGET [run options] --runs N`: the same load N times (A/A), each run stored,
then per endpoint the run-to-run noise and the smallest change `surge compare` would detect."""

from __future__ import annotations

import sys
from typing import Any

import click
from rich import box
from rich.console import Console
from rich.markup import escape

from surge.cli.options import RUN_OPTIONS, click_options, explicit_values
from surge.cli.run_command import human_console, run_observed
from surge.cli.store_access import fail
from surge.compare import ToleranceError, parse_tolerances
from surge.compare.calibrate import Calibration, calibrate
from surge.config import ConfigError, RunConfig
from surge.exit_codes import ExitCode
from surge.report.fit_table import Column, FitTable
from surge.report.wrap import NAME_COLUMN_MIN_WIDTH, Name
from surge.runner import plan_jobs

# `--runs` replaces --repeat; a calibration compares nothing and plans are always run.
_NOT_HERE = frozenset({"repeat", "compare_to", "strict", "dry_run"})
CALIBRATE_OPTIONS = tuple(spec for spec in RUN_OPTIONS if spec.name not in _NOT_HERE)


def _fmt(unit: str, value: float) -> str:
    if unit == "ms":
        return f"{value:,.2f} ms"
    return f"{value:,.1f}/s" if unit == "rps" else f"{value:.2f}%"


def _change(unit: str, value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.1f} pp" if unit == "%" else f"{value:.1f}%"


def print_calibration(name: str, calibration: Calibration, console: Console) -> None:
    n = calibration.runs
    console.rule(f"calibration of {name}: {n} runs of the same load")
    columns = (
        Column("endpoint", justify="left", wrap=True, key=True, min_width=NAME_COLUMN_MIN_WIDTH),
        Column("metric", justify="left", key=True),
        Column("median"),
        Column("run-to-run noise"),
        Column("tolerance"),
        Column(f"detectable with {n} vs {n} runs"),
    )
    table = FitTable(columns, box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for row in calibration.rows:
        noise = f"±{row.noise:.2f} pp" if row.unit == "%" else f"{row.noise:.1f}% CV"
        table.add_row(
            Name(row.endpoint),
            row.metric,
            _fmt(row.unit, row.median),
            noise,
            _change(row.unit, row.tolerance),
            _change(row.unit, row.detectable),
        )
    console.print(table)
    console.print(
        f"a comparison of these endpoints makes {calibration.findings} findings: a change in one "
        f"of them alone must reach p ≤ {calibration.alpha:g}/{calibration.findings} = "
        f"{calibration.alpha_per_finding:.2g} (Benjamini-Hochberg)."
    )
    if calibration.runs_needed > n:
        console.print(
            f"[yellow]{n} runs per side cannot reach that: use at least "
            f"{calibration.runs_needed} runs per side (--repeat {calibration.runs_needed}) for "
            "baselines and candidates.[/]"
        )
    else:
        console.print(
            f"make these runs the baseline: surge baseline set {escape(repr(name))} --last {n}; "
            f"compare with: surge run ... --repeat {n} --compare-to {escape(repr(name))}"
        )


@click.command("calibrate")
@click.argument("target")
@click.option(
    "--runs",
    type=click.IntRange(min=2),
    default=5,
    show_default=True,
    metavar="N",
    help="How many times to run the same load.",
)
@click_options(CALIBRATE_OPTIONS)
@click.pass_context
def calibrate_cmd(ctx: click.Context, /, target: str, runs: int, **options: Any) -> None:
    """Run the same load N times (A/A), store the runs, and report each endpoint's run-to-run
    noise and the smallest change a comparison with N runs per side would detect."""
    del options
    explicit = explicit_values(ctx) | {"repeat": runs}
    explicit.update(compare_to=None, strict=False, dry_run=False)
    try:
        config = RunConfig.layered(explicit, ctx.find_root().obj or {})
        tolerances = parse_tolerances(list(config.tolerance))
        jobs = plan_jobs(target, config)
        console = human_console(config)
        ran = run_observed(target, config, console, jobs)
    except (ConfigError, ToleranceError) as exc:
        fail(str(exc))
    if ran.signal_name is None:
        for job in jobs:
            results = [r for r in ran.results if r.meta.name == job.name]
            if len(results) >= 2:
                print_calibration(job.name, calibrate(results, tolerances=tolerances), console)
    code = ran.exit_code if ran.exit_code is not ExitCode.OK else 0
    sys.exit(int(code))
