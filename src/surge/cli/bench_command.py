"""`surge bench FILE.py`: the benches of a file through the runner's bench session (the same
store, `--compare-to`, report files and exit codes as `surge run`); this shell only parses the
flags and prints."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from surge.cli.messages import print_error
from surge.cli.options import RUN_OPTIONS, click_options, explicit_values
from surge.cli.terminal import TerminalObserver
from surge.config import ConfigError, RunConfig
from surge.exit_codes import ExitCode
from surge.runner.reports import STDOUT
from surge.units import parse_duration

# The options of `surge run` that mean the same for benches (docs/benchmarks-python.md).
BENCH_OPTIONS = tuple(
    spec
    for spec in RUN_OPTIONS
    if spec.name
    in {
        "threshold", "name", "store", "no_store", "compare_to", "tolerance", "strict", "out",
        "csv", "junit", "html", "report_text", "quiet",
    }
)  # fmt: skip
# What `[tool.surge]` may set for benches: where runs go and how they are compared. Its load
# options (users, duration, thresholds of endpoints) are about load runs.
PROJECT_KEYS = frozenset({"store", "no_store", "tolerance", "strict", "quiet"})


@click.command("bench")
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "-k",
    "pattern",
    metavar="PATTERN",
    help="Only the benches whose name holds PATTERN (case-insensitive; *, ? and [] glob).",
)
@click.option(
    "-d",
    "--duration",
    "duration",
    metavar="DURATION",
    envvar="SURGE_BENCH_DURATION",
    show_envvar=True,
    help="Each bench's duration where the bench sets none (default 1s; 500ms, 2s).",
)
@click_options(BENCH_OPTIONS)
@click.pass_context
def bench_cmd(
    ctx: click.Context, /, file: Path, pattern: str | None, duration: str | None, **options: Any
) -> None:
    """Benchmark the callables of FILE.py: functions marked @surge.bench and bench_* functions."""
    del options
    project = {k: v for k, v in (ctx.find_root().obj or {}).items() if k in PROJECT_KEYS}
    sys.exit(run_bench_command(file, pattern, duration, explicit_values(ctx), project))


def run_bench_command(
    file: Path,
    pattern: str | None,
    duration: str | None,
    explicit: dict[str, Any],
    project: dict[str, Any],
) -> int:
    from surge.report.bench_text import bench_tables
    from surge.runner.bench_session import run_bench_file

    try:
        config = RunConfig.layered(explicit, project)
        duration_s = None if duration is None else parse_duration(duration)
    except (ConfigError, ValueError) as exc:
        print_error(str(exc))
        return int(ExitCode.USAGE)
    console = Console(highlight=False, stderr=config.out == STDOUT, soft_wrap=True)
    observer = TerminalObserver(console, quiet=config.quiet)
    try:
        runs, results = run_bench_file(
            file,
            pattern,
            config,
            [observer],
            duration_s=duration_s,
            stdout=sys.stdout if config.out == STDOUT else None,
        )
    except ConfigError as exc:
        print_error(str(exc))
        return int(ExitCode.USAGE)
    finally:
        observer.close()
    if results:
        console.print(bench_tables([r.entry for r in results]), markup=False, end="")
    if runs.signal_name is not None:
        console.print(f"interrupted ({runs.signal_name}): the benches finished so far are kept")
    if runs.comparison is not None:
        from surge.cli.compare_commands import print_comparison

        console.rule(f"compare with the baseline of {config.compare_to}")
        print_comparison(runs.comparison, console)
    return int(runs.exit_code)
