"""`surge run --help`: the options in the groups of the option table (load, HTTP, checks and
thresholds, workers, store and compare, outputs), then examples; and the flags a Locust user
types out of habit, answered instead of guessed at."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import click

from surge.config import BY_NAME, Group

EXAMPLES = (
    ("URL mode: 50 users for 30 s", "surge run http://127.0.0.1:8000/api/health -u 50 -d 30s"),
    ("scripted users", "surge run scenario.py --host http://127.0.0.1:8000 -u 20 -d 1m"),
    ("open model: 200 requests/s", "surge run http://127.0.0.1:8000/api/deals --rate 200 -d 1m"),
    ("gate CI", "surge run scenarios.toml --threshold 'p95<200ms' --junit junit.xml"),
    ("every core", "surge run http://127.0.0.1:8000/api/deals -u 200 -d 1m --workers auto"),
    ("vs a baseline", "surge run scenario.py -d 30s --repeat 5 --compare-to api"),
    ("the JSON on stdout", "surge run http://127.0.0.1:8000/ -n 10 --out - | jq .summary"),
)

# Locust's flags: accepted where surge has the same thing, answered where it does not.
LOCUST_RUN_TIME = ("-t", "--run-time")
LOCUST_SPAWN_RATE = ("-r", "--spawn-rate")
LOCUST_HEADLESS = ("--headless",)
LOCUST_FILE = ("-f", "--locustfile")


class RunCommand(click.Command):
    """A command whose options are listed in the option table's groups, with examples."""

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        groups: dict[str, list[tuple[str, str]]] = {group.value: [] for group in Group}
        other: list[tuple[str, str]] = []
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is None:
                continue
            spec = BY_NAME.get(param.name or "")
            (groups[spec.group.value] if spec is not None else other).append(record)
        for title, rows in groups.items():
            if rows:
                with formatter.section(title):
                    formatter.write_dl(rows)
        if other:
            with formatter.section("Other"):
                formatter.write_dl(other)

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Examples"):
            for what, command in EXAMPLES:
                formatter.write_text(f"# {what}")
                formatter.write_text(command)
        formatter.write_paragraph()
        formatter.write_text(
            "Every option is also a SURGE_* variable and a [tool.surge] key "
            "(docs/configuration.md)."
        )


def locust_options(func: Any) -> Any:
    """The hidden Locust flags of `surge run` (see `locust_values`)."""
    func = click.option(*LOCUST_FILE, "locustfile", hidden=True)(func)
    func = click.option(*LOCUST_HEADLESS, "headless", is_flag=True, hidden=True)(func)
    func = click.option(*LOCUST_SPAWN_RATE, "spawn_rate", type=float, hidden=True)(func)
    return click.option(*LOCUST_RUN_TIME, "run_time", hidden=True)(func)


class LocustFlagError(click.UsageError):
    """A Locust flag surge has no place for: the message says what surge does instead."""


def locust_values(
    params: Mapping[str, Any], explicit: dict[str, Any], users: int
) -> tuple[dict[str, Any], list[str]]:
    """`explicit` with Locust's flags turned into surge's, and the notes to print.

    `-t/--run-time` is `--duration`; `-r/--spawn-rate R` (users started per second) is
    `--ramp-up users/R`; `--headless` is what surge always is; `-f FILE` is the target itself.
    """
    notes: list[str] = []
    if params.get("locustfile"):
        raise LocustFlagError(
            f"surge takes the scenario file as its target: surge run {params['locustfile']} "
            "--host http://HOST:PORT (-f is Locust's)"
        )
    run_time = params.get("run_time")
    if run_time is not None:
        if "duration" in explicit:
            raise LocustFlagError("give either -d/--duration or Locust's -t/--run-time, not both")
        explicit["duration"] = run_time
    spawn_rate = params.get("spawn_rate")
    if spawn_rate is not None:
        if "ramp_up" in explicit:
            raise LocustFlagError("give either --ramp-up or Locust's -r/--spawn-rate, not both")
        if spawn_rate <= 0:
            raise LocustFlagError(f"--spawn-rate must be more than 0, got {spawn_rate:g}")
        explicit["ramp_up"] = users / spawn_rate
        notes.append(
            f"note: --spawn-rate {spawn_rate:g} (Locust) starts {users} users over "
            f"{users / spawn_rate:g} s: in surge that is --ramp-up {users / spawn_rate:g}s"
        )
    return explicit, notes
