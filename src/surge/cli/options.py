"""The option table: one list feeding CLI flags, SURGE_* environment variables and the
`[tool.surge]` section of pyproject.toml, so the three never drift apart.

Precedence: flag > environment variable > scenario file (TOML scenarios) > pyproject.toml > default.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import click

from surge.schedule.durations import parse_duration

F = TypeVar("F", bound=Callable[..., Any])


class DurationType(click.ParamType[float]):
    """`30s`, `2m`, `1h30m`, `500ms` or plain seconds, parsed to float seconds."""

    name = "duration"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if value is None or isinstance(value, float):
            return value
        try:
            return parse_duration(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


class HeaderType(click.ParamType[str]):
    """`Name: value`; several in one environment variable are separated by newlines."""

    name = "header"
    envvar_list_splitter = "\n"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        text = str(value)
        if ":" not in text or not text.split(":", 1)[0].strip():
            self.fail(f"{text!r} is not a header; use 'Name: value'", param, ctx)
        return text


class WorkersType(click.ParamType[Any]):
    """`--workers N` (N >= 1) or `auto` (one per CPU: of this machine, or of the Ray cluster)."""

    name = "N|auto"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if value is None or isinstance(value, int):
            return value
        text = str(value).strip().lower()
        if text == "auto":
            return "auto"
        if text.isdigit() and int(text) >= 1:
            return int(text)
        self.fail(f"{value!r} is not a worker count: give a number >= 1 or 'auto'", param, ctx)


DURATION = DurationType()
HEADER = HeaderType()
WORKERS = WorkersType()


@dataclass(frozen=True, slots=True)
class OptionSpec:
    """One option of `surge run`: its flags, type, default and help."""

    name: str
    flags: tuple[str, ...]
    help: str
    type: Any = str
    default: Any = None
    multiple: bool = False
    is_flag: bool = False
    secret: bool = False
    metavar: str | None = None

    @property
    def env(self) -> str:
        return "SURGE_" + self.name.upper()

    @property
    def config_key(self) -> str:
        return self.name.replace("_", "-")


RUN_OPTIONS: tuple[OptionSpec, ...] = (
    OptionSpec("users", ("-u", "--users"), "Concurrent virtual users.", click.IntRange(min=1), 10),
    OptionSpec(
        "duration",
        ("-d", "--duration"),
        "How long to run (30s, 2m, 1h). Default 10s unless -n is given.",
        DURATION,
    ),
    OptionSpec(
        "requests_per_user",
        ("-n", "--requests-per-user"),
        "Stop each user after N requests (task iterations in scripted mode).",
        click.IntRange(min=1),
        metavar="N",
    ),
    OptionSpec(
        "ramp_up",
        ("--ramp-up",),
        "Seconds over which users start, evenly spread.",
        DURATION,
        0.0,
        metavar="SECONDS",
    ),
    OptionSpec(
        "think_time",
        ("--think-time",),
        "Pause after each request (scripted: when the class has no wait_time).",
        DURATION,
        0.0,
        metavar="SECONDS",
    ),
    OptionSpec(
        "rate",
        ("--rate",),
        "Open model: start R requests (scripted: task iterations) per second, whether or "
        "not earlier ones finished.",
        click.FloatRange(min=0, min_open=True),
        metavar="R",
    ),
    OptionSpec(
        "arrivals",
        ("--arrivals",),
        "Open model: arrival spacing, evenly spaced or a Poisson process.",
        click.Choice(["uniform", "poisson"]),
        "uniform",
    ),
    OptionSpec(
        "max_in_flight",
        ("--max-in-flight",),
        "Open model: most requests (iterations) in flight; arrivals beyond it are dropped "
        "and counted. Default: 2 s worth of the peak rate, at least 100.",
        click.IntRange(min=1),
        metavar="N",
    ),
    OptionSpec(
        "stages",
        ("--stages",),
        "Ramps, steps and spikes: 'DURATION:TARGET,…', targets in users ('30s:100') or "
        "arrivals per second ('30s:50/s').",
        str,
        metavar="STAGES",
    ),
    OptionSpec(
        "seed",
        ("--seed",),
        "Random seed (Poisson arrivals, task choice) for a reproducible schedule.",
        int,
        metavar="N",
    ),
    OptionSpec("method", ("-X", "--method"), "HTTP method (URL mode).", str, "GET"),
    OptionSpec(
        "header",
        ("-H", "--header"),
        "Request header 'Name: value' (repeatable).",
        HEADER,
        (),
        multiple=True,
        secret=True,
    ),
    OptionSpec("body", ("--body",), "Request body text (URL mode).", str),
    OptionSpec("json", ("--json",), "Request body as JSON; sets Content-Type (URL mode).", str),
    OptionSpec(
        "auth_token",
        ("--auth-token",),
        "Bearer token sent as Authorization header.",
        str,
        secret=True,
        metavar="TOKEN",
    ),
    OptionSpec(
        "redact",
        ("--redact",),
        "Also mask the value of this header or query parameter as *** in every output "
        "(repeatable; Authorization, Cookie, URL passwords and --auth-token always are).",
        str,
        (),
        multiple=True,
        metavar="NAME",
    ),
    OptionSpec(
        "expect_status",
        ("--expect-status",),
        "Expected status code (repeatable; any of them passes). Others fail as 'check'.",
        click.IntRange(min=100, max=599),
        (),
        multiple=True,
        metavar="CODE",
    ),
    OptionSpec(
        "expect_body",
        ("--expect-body",),
        "Fail a response (as 'check') whose body does not contain TEXT.",
        str,
        metavar="TEXT",
    ),
    OptionSpec(
        "expect_json",
        ("--expect-json",),
        "Fail a response (as 'check') unless the JSON value at PATH equals VALUE "
        "(e.g. items.0.id=3; repeatable).",
        str,
        (),
        multiple=True,
        metavar="PATH=VALUE",
    ),
    OptionSpec(
        "threshold",
        ("--threshold",),
        "Pass/fail criterion, e.g. 'p95<200ms', 'error_rate<1%', 'GET /api: rps>100' "
        "(repeatable). A failed threshold exits 1.",
        str,
        (),
        multiple=True,
        metavar="EXPR",
    ),
    OptionSpec(
        "abort_on_fail",
        ("--abort-on-fail",),
        "Stop the run as soon as a threshold is lost (checked every second after the grace).",
        bool,
        False,
        is_flag=True,
    ),
    OptionSpec(
        "abort_grace",
        ("--abort-grace",),
        "How long into the run before --abort-on-fail may stop it.",
        DURATION,
        10.0,
    ),
    OptionSpec(
        "allow_saturated",
        ("--allow-saturated",),
        "Exit normally even when the load generator was saturated (still reported).",
        bool,
        False,
        is_flag=True,
    ),
    OptionSpec(
        "workers",
        ("--workers",),
        "Worker processes sharing the load, merged exactly; 'auto' = one per CPU (with "
        "--engine ray: per CPU of the Ray cluster). Default 1 (in-process); Ray: auto.",
        WORKERS,
        metavar="N|auto",
    ),
    OptionSpec(
        "engine",
        ("--engine",),
        "Where workers run: local processes, or Ray actors on a Ray cluster (surge[ray]).",
        click.Choice(["local", "ray"]),
        "local",
    ),
    OptionSpec(
        "address",
        ("--address",),
        "With --engine ray: the Ray cluster to join (HOST:PORT of the head's GCS); default "
        "RAY_ADDRESS, else a local Ray started for this run.",
        str,
        metavar="HOST:PORT",
    ),
    OptionSpec(
        "fail_on_worker_loss",
        ("--fail-on-worker-loss",),
        "Stop the run and exit 6 when a worker dies mid-run (default: carry on, degraded).",
        bool,
        False,
        is_flag=True,
    ),
    OptionSpec("host", ("--host",), "Base URL for scripted scenarios (overrides the class).", str),
    OptionSpec("name", ("--name",), "Run name (default: from the target or scenario).", str),
    OptionSpec(
        "store",
        ("--store",),
        "Where runs are stored: a SQLAlchemy URL (sqlite:///PATH, postgresql://…) or a SQLite "
        "file path. Default: .surge/surge.db in the working directory.",
        str,
        metavar="URL",
    ),
    OptionSpec(
        "no_store",
        ("--no-store",),
        "Do not store this run.",
        bool,
        False,
        is_flag=True,
    ),
    OptionSpec(
        "repeat",
        ("--repeat",),
        "Run the same load N times back to back, each run stored on its own (for baselines "
        "and comparisons).",
        click.IntRange(min=1),
        1,
        metavar="N",
    ),
    OptionSpec(
        "compare_to",
        ("--compare-to",),
        "After the run(s), compare them with the baseline of NAME (docs/compare.md); a "
        "regression exits 1.",
        str,
        metavar="NAME",
    ),
    OptionSpec(
        "tolerance",
        ("--tolerance",),
        "Accepted change before a regression: '20%' for every latency and rate metric, or "
        "'p95=15%', 'error_rate=1%' (percentage points), 'floor=2ms' (repeatable).",
        str,
        (),
        multiple=True,
        metavar="[METRIC=]PERCENT",
    ),
    OptionSpec(
        "strict",
        ("--strict",),
        "With a comparison: an inconclusive verdict exits 5 instead of 0.",
        bool,
        False,
        is_flag=True,
    ),
    OptionSpec(
        "timeout", ("--timeout",), "Connect, read and total timeout per request.", DURATION, 30.0
    ),
    OptionSpec(
        "graceful_stop",
        ("--graceful-stop",),
        "At the end, how long in-flight requests may still finish.",
        DURATION,
        5.0,
    ),
    OptionSpec(
        "insecure",
        ("--insecure",),
        "Skip TLS certificate verification (recorded).",
        bool,
        False,
        is_flag=True,
    ),
    OptionSpec(
        "out", ("--out",), "Write the JSON result document to FILE.", click.Path(), metavar="FILE"
    ),
    OptionSpec(
        "csv",
        ("--csv",),
        "Write PREFIX_stats.csv, PREFIX_history.csv and PREFIX_checks.csv.",
        str,
        metavar="PREFIX",
    ),
    OptionSpec(
        "junit",
        ("--junit",),
        "Write a JUnit XML file: one test case per threshold and check, plus generator "
        "health and run completion.",
        click.Path(),
        metavar="FILE",
    ),
    OptionSpec(
        "html",
        ("--html",),
        "Write a self-contained HTML report (charts, tables; opens offline) to FILE.",
        click.Path(),
        metavar="FILE",
    ),
    OptionSpec(
        "report_text",
        ("--report-text",),
        "Write the end-of-run summary as plain text (no colour) to FILE.",
        click.Path(),
        metavar="FILE",
    ),
    OptionSpec(
        "monitor_pid",
        ("--monitor-pid",),
        "Sample CPU, memory, threads, files, connections and I/O of this target process "
        "during the run (repeatable).",
        click.IntRange(min=1),
        (),
        multiple=True,
        metavar="PID",
    ),
    OptionSpec(
        "monitor_process",
        ("--monitor-process",),
        "Monitor every process whose name is NAME or whose command line contains it (repeatable).",
        str,
        (),
        multiple=True,
        metavar="NAME",
    ),
    OptionSpec(
        "dry_run",
        ("--dry-run",),
        "Print the load plan (stages, per-second targets) and exit without sending anything.",
        bool,
        False,
        is_flag=True,
    ),
    OptionSpec(
        "quiet",
        ("-q", "--quiet"),
        "No live view (for CI logs); the summary still prints.",
        bool,
        False,
        is_flag=True,
    ),
)

BY_NAME = {spec.name: spec for spec in RUN_OPTIONS}
BY_CONFIG_KEY = {spec.config_key: spec for spec in RUN_OPTIONS} | {
    spec.name: spec for spec in RUN_OPTIONS
}


def click_options(specs: tuple[OptionSpec, ...]) -> Callable[[F], F]:
    """Decorate a click command with one option per spec, each with its SURGE_* variable."""

    def decorate(func: F) -> F:
        for spec in reversed(specs):
            kwargs: dict[str, Any] = {
                "help": spec.help,
                "envvar": spec.env,
                "show_envvar": True,
                "metavar": spec.metavar,
            }
            if spec.is_flag:
                kwargs.update(is_flag=True, default=spec.default)
            else:
                kwargs.update(type=spec.type, default=spec.default, multiple=spec.multiple)
                if spec.default not in (None, (), False):
                    kwargs["show_default"] = True
            func = click.option(*spec.flags, spec.name, **kwargs)(func)
        return func

    return decorate
