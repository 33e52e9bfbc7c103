"""The run config: one typed, frozen value holding every option of a run, declared as the option
table itself (each field is a row: flags, kind, default, help, group; see spec.py).

Every way of giving an option becomes this value: CLI flags and `SURGE_*` variables (read by
click in the CLI), `[tool.surge]` in pyproject.toml (project.py), a TOML scenario file's own
values (`overridden`), and the keyword arguments of `surge.run`. Precedence: flag or keyword >
environment variable > scenario file > pyproject.toml > default. Values are read with the one
duration parser (`surge.units`) and checked on construction: a bad one is a ConfigError naming the
option (exit code 2).
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from surge.config.convert import ConfigError, ValueProblem, convert_value
from surge.config.spec import Group, Kind, OptionSpec, option, specs_of

# Options that choose outputs, names and verdict policies, not the load: left out of a run's
# fingerprint, so that comparing two runs does not warn about them.
OUTPUT_OPTIONS = frozenset(
    {
        "out", "csv", "junit", "html", "report_text", "quiet", "dry_run", "redact", "name",
        "store", "no_store", "repeat", "compare_to", "tolerance", "strict", "allow_saturated",
        "headless",
    }
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class RunConfig:
    """Every option of a run, typed (durations in seconds). `explicit` names the options given
    by flag, environment variable or keyword: a scenario file's own values never beat those."""

    users: int = option(
        10,
        "-u",
        "--users",
        help="Concurrent virtual users.",
        kind=Kind.INT,
        group=Group.LOAD,
        minimum=1,
    )
    duration: float | None = option(
        None,
        "-t",
        "--run-time",
        "-d",
        "--duration",
        help="How long to run (30s, 2m, 1h). Default 10s unless -n is given.",
        kind=Kind.DURATION,
        group=Group.LOAD,
    )
    requests_per_user: int | None = option(
        None,
        "-n",
        "--requests-per-user",
        help="Stop each user after N requests (task iterations in scripted mode).",
        kind=Kind.INT,
        group=Group.LOAD,
        metavar="N",
        minimum=1,
    )
    ramp_up: float = option(
        0.0,
        "--ramp-up",
        help="Seconds over which users start, evenly spread.",
        kind=Kind.DURATION,
        group=Group.LOAD,
        metavar="SECONDS",
    )
    spawn_rate: float | None = option(
        None,
        "-r",
        "--spawn-rate",
        help="Start R users per second (Locust's habit): sets --ramp-up to users / R.",
        kind=Kind.FLOAT,
        group=Group.LOAD,
        metavar="R",
        minimum=0,
        minimum_open=True,
    )
    think_time: float = option(
        0.0,
        "--think-time",
        help="Pause after each request (scripted: when the class has no wait_time).",
        kind=Kind.DURATION,
        group=Group.LOAD,
        metavar="SECONDS",
    )
    rate: float | None = option(
        None,
        "--rate",
        help=(
            "Open model: start R requests (scripted: task iterations) per second, whether or not "
            "earlier ones finished."
        ),
        kind=Kind.FLOAT,
        group=Group.LOAD,
        metavar="R",
        minimum=0,
        minimum_open=True,
    )
    arrivals: str = option(
        "uniform",
        "--arrivals",
        help="Open model: arrival spacing, evenly spaced or a Poisson process.",
        kind=Kind.CHOICE,
        group=Group.LOAD,
        choices=(
            "uniform",
            "poisson",
        ),
    )
    max_in_flight: int | None = option(
        None,
        "--max-in-flight",
        help=(
            "Open model: most requests (iterations) in flight; arrivals beyond it are dropped and "
            "counted. Default: 2 s worth of the peak rate, at least 100."
        ),
        kind=Kind.INT,
        group=Group.LOAD,
        metavar="N",
        minimum=1,
    )
    stages: str | None = option(
        None,
        "--stages",
        help=(
            "Ramps, steps and spikes: 'DURATION:TARGET,…', targets in users ('30s:100') or"
            " arrivals "
            "per second ('30s:50/s')."
        ),
        kind=Kind.TEXT,
        group=Group.LOAD,
        metavar="STAGES",
    )
    seed: int | None = option(
        None,
        "--seed",
        help="Random seed (Poisson arrivals, task choice) for a reproducible schedule.",
        kind=Kind.INT,
        group=Group.LOAD,
        metavar="N",
    )
    method: str = option(
        "GET",
        "-X",
        "--method",
        help="HTTP method (URL mode).",
        kind=Kind.TEXT,
        group=Group.HTTP,
    )
    header: tuple[str, ...] = option(
        (),
        "-H",
        "--header",
        help="Request header 'Name: value' (repeatable).",
        kind=Kind.HEADER,
        group=Group.HTTP,
        multiple=True,
        secret=True,
    )
    body: str | None = option(
        None,
        "--body",
        help="Request body text (URL mode).",
        kind=Kind.TEXT,
        group=Group.HTTP,
    )
    json: str | None = option(
        None,
        "--json",
        help="Request body as JSON; sets Content-Type (URL mode).",
        kind=Kind.JSON,
        group=Group.HTTP,
    )
    message: str | None = option(
        None,
        "--message",
        help="WebSocket URL mode (ws:// or wss://): the text message each round trip sends "
        "(default 'surge').",
        kind=Kind.TEXT,
        group=Group.HTTP,
        metavar="TEXT",
    )
    http2: bool = option(
        False,
        "--http2",
        help="Send requests over HTTP/2: ALPN over TLS, prior knowledge (h2c) over http://.",
        kind=Kind.FLAG,
        group=Group.HTTP,
    )
    max_streams: int = option(
        100,
        "--max-streams",
        help="HTTP/2: concurrent streams per connection (the server's limit applies too).",
        kind=Kind.INT,
        group=Group.HTTP,
        metavar="N",
        minimum=1,
    )
    auth_token: str | None = option(
        None,
        "--auth-token",
        help="Bearer token sent as Authorization header.",
        kind=Kind.TEXT,
        group=Group.HTTP,
        secret=True,
        metavar="TOKEN",
    )
    redact: tuple[str, ...] = option(
        (),
        "--redact",
        help=(
            "Also mask the value of this header or query parameter as *** in every output "
            "(repeatable; Authorization, Cookie, URL passwords and --auth-token always are)."
        ),
        kind=Kind.TEXT,
        group=Group.OUTPUT,
        multiple=True,
        metavar="NAME",
    )
    name_template: str = option(
        "on",
        "--name-template",
        help=(
            "Name a request without name= after its path with ids as placeholders "
            "(/orders/123 → /orders/{id}); 'off': the path as it is. Query strings never count."
        ),
        kind=Kind.CHOICE,
        group=Group.OUTPUT,
        choices=("on", "off"),
    )
    max_endpoints: int = option(
        1000,
        "--max-endpoints",
        help=(
            "Keep at most N distinct endpoint names; requests to later names are counted under "
            "'(other)' per method, with a warning."
        ),
        kind=Kind.INT,
        group=Group.OUTPUT,
        metavar="N",
        minimum=1,
    )
    expect_status: tuple[int, ...] = option(
        (),
        "--expect-status",
        help="Expected status code (repeatable; any of them passes). Others fail as 'check'.",
        kind=Kind.INT,
        group=Group.CHECKS,
        multiple=True,
        metavar="CODE",
        minimum=100,
        maximum=599,
    )
    expect_body: str | None = option(
        None,
        "--expect-body",
        help="Fail a response (as 'check') whose body does not contain TEXT.",
        kind=Kind.TEXT,
        group=Group.CHECKS,
        metavar="TEXT",
    )
    expect_json: tuple[str, ...] = option(
        (),
        "--expect-json",
        help=(
            "Fail a response (as 'check') unless the JSON value at PATH equals VALUE (e.g. "
            "items.0.id=3; repeatable)."
        ),
        kind=Kind.TEXT,
        group=Group.CHECKS,
        multiple=True,
        metavar="PATH=VALUE",
    )
    threshold: tuple[str, ...] = option(
        (),
        "--threshold",
        help=(
            "Pass/fail criterion, e.g. 'p95<200ms', 'error_rate<1%', 'GET /api: rps>100' "
            "(repeatable). A failed threshold exits 1."
        ),
        kind=Kind.TEXT,
        group=Group.CHECKS,
        multiple=True,
        metavar="EXPR",
    )
    abort_on_fail: bool = option(
        False,
        "--abort-on-fail",
        help="Stop the run as soon as a threshold is lost (checked every second after the grace).",
        kind=Kind.FLAG,
        group=Group.CHECKS,
    )
    abort_grace: float = option(
        10.0,
        "--abort-grace",
        help="How long into the run before --abort-on-fail may stop it.",
        kind=Kind.DURATION,
        group=Group.CHECKS,
    )
    allow_saturated: bool = option(
        False,
        "--allow-saturated",
        help="Exit normally even when the load generator was saturated (still reported).",
        kind=Kind.FLAG,
        group=Group.CHECKS,
    )
    max_schedule_lag: float = option(
        0.010,
        "--max-schedule-lag",
        help=(
            "Open model: a worker whose schedule lag p99 (how late it sent requests after their "
            "intended time) is above this marks the run generator-saturated (exit 4). 0 turns "
            "the rule off."
        ),
        kind=Kind.DURATION,
        group=Group.CHECKS,
    )
    workers: int | str | None = option(
        None,
        "--workers",
        help=(
            "Worker processes sharing the load, merged exactly; 'auto' = one per CPU (with"
            " --engine "
            "ray: per CPU of the Ray cluster). Default 1 (in-process); Ray: auto."
        ),
        kind=Kind.WORKERS,
        group=Group.WORKERS,
        metavar="N|auto",
    )
    engine: str = option(
        "local",
        "--engine",
        help="Where workers run: local processes, or Ray actors on a Ray cluster (surge[ray]).",
        kind=Kind.CHOICE,
        group=Group.WORKERS,
        choices=(
            "local",
            "ray",
        ),
    )
    address: str | None = option(
        None,
        "--address",
        help=(
            "With --engine ray: the Ray cluster to join (HOST:PORT of the head's GCS); default "
            "RAY_ADDRESS, else a local Ray started for this run."
        ),
        kind=Kind.TEXT,
        group=Group.WORKERS,
        metavar="HOST:PORT",
    )
    fail_on_worker_loss: bool = option(
        False,
        "--fail-on-worker-loss",
        help="Stop the run and exit 6 when a worker dies mid-run (default: carry on, degraded).",
        kind=Kind.FLAG,
        group=Group.WORKERS,
    )
    host: str | None = option(
        None,
        "--host",
        help=(
            "Base URL: scripted scenarios and locustfiles send to it (over the class's host); "
            "TOML scenario files are retargeted to it (a url there may be a path relative to "
            "it). -H http(s)://… sets it too, as in Locust."
        ),
        kind=Kind.TEXT,
        group=Group.HTTP,
    )
    locustfile: str | None = option(
        None,
        "-f",
        "--locustfile",
        help=(
            "Run this locustfile (Locust's habit; same as giving it as TARGET). Arguments after "
            "it pick user classes by name."
        ),
        kind=Kind.TEXT,
        group=Group.LOAD,
        metavar="FILE",
    )
    user_class: tuple[str, ...] = option(
        (),
        "--user-class",
        help=(
            "Run only this User class (repeatable, or A,B; also as arguments after TARGET); in a "
            "surge script NAME:WEIGHT also sets its share of the users."
        ),
        kind=Kind.TEXT,
        group=Group.LOAD,
        multiple=True,
        metavar="NAME[:WEIGHT]",
    )
    tags: tuple[str, ...] = option(
        (),
        "-T",
        "--tags",
        help="Locustfiles: run only tasks with one of these @tag names (repeatable, or a,b).",
        kind=Kind.TEXT,
        group=Group.LOAD,
        multiple=True,
        metavar="TAG",
    )
    exclude_tags: tuple[str, ...] = option(
        (),
        "-E",
        "--exclude-tags",
        help="Locustfiles: skip tasks with any of these @tag names (repeatable, or a,b).",
        kind=Kind.TEXT,
        group=Group.LOAD,
        multiple=True,
        metavar="TAG",
    )
    headless: bool = option(
        False,
        "--headless",
        help="Accepted for Locust's habit; surge always runs without a web UI.",
        kind=Kind.FLAG,
        group=Group.OUTPUT,
    )
    name: str | None = option(
        None,
        "--name",
        help="Run name (default: from the target or scenario).",
        kind=Kind.TEXT,
        group=Group.STORE,
    )
    store: str | None = option(
        None,
        "--store",
        help=(
            "Where runs are stored: a SQLAlchemy URL (sqlite:///PATH, postgresql://…) or a SQLite "
            "file path. Default: [tool.surge] store (relative to pyproject.toml), else "
            ".surge/surge.db in the working directory."
        ),
        kind=Kind.TEXT,
        group=Group.STORE,
        metavar="URL",
    )
    no_store: bool = option(
        False,
        "--no-store",
        help="Do not store this run.",
        kind=Kind.FLAG,
        group=Group.STORE,
    )
    repeat: int = option(
        1,
        "--repeat",
        help=(
            "Run the same load N times back to back, each run stored on its own (for baselines and "
            "comparisons)."
        ),
        kind=Kind.INT,
        group=Group.STORE,
        metavar="N",
        minimum=1,
    )
    compare_to: str | None = option(
        None,
        "--compare-to",
        help=(
            "After the run(s), compare them with the baseline of NAME (docs/compare.md); a"
            " regression"
            " exits 1."
        ),
        kind=Kind.TEXT,
        group=Group.STORE,
        metavar="NAME",
    )
    tolerance: tuple[str, ...] = option(
        (),
        "--tolerance",
        help=(
            "Accepted change before a regression: '20%' for every latency and rate metric, or "
            "'p95=15%', 'error_rate=1%' (percentage points), 'floor=2ms' (repeatable)."
        ),
        kind=Kind.TEXT,
        group=Group.STORE,
        multiple=True,
        metavar="[METRIC=]PERCENT",
    )
    strict: bool = option(
        False,
        "--strict",
        help="With a comparison: an inconclusive verdict exits 5 instead of 0.",
        kind=Kind.FLAG,
        group=Group.STORE,
    )
    timeout: float = option(
        30.0,
        "--timeout",
        help="Connect, read and total timeout per request.",
        kind=Kind.DURATION,
        group=Group.HTTP,
    )
    graceful_stop: float = option(
        5.0,
        "--graceful-stop",
        help="At the end, how long in-flight requests may still finish.",
        kind=Kind.DURATION,
        group=Group.LOAD,
    )
    max_body: int = option(
        64 * 1024**2,
        "--max-body",
        help="Largest response body a script keeps in memory (e.g. 64MiB); a larger one is "
        "counted and discarded, and reading it raises BodyTooLargeError (stream it instead).",
        kind=Kind.SIZE,
        group=Group.HTTP,
        metavar="SIZE",
    )
    insecure: bool = option(
        False,
        "--insecure",
        help="Skip TLS certificate verification (recorded).",
        kind=Kind.FLAG,
        group=Group.HTTP,
    )
    no_retry: bool = option(
        False,
        "--no-retry",
        help="Never re-send a request; by default a GET, HEAD, OPTIONS, PUT or DELETE whose "
        "reused keep-alive connection closed before any byte of the response is re-sent "
        "once on a fresh connection (counted as a retry).",
        kind=Kind.FLAG,
        group=Group.HTTP,
    )
    out: str | None = option(
        None,
        "--out",
        help="Write the JSON result document to FILE ('-': to stdout, the rest to stderr).",
        kind=Kind.PATH,
        group=Group.OUTPUT,
        metavar="FILE",
    )
    csv: str | None = option(
        None,
        "--csv",
        help="Write PREFIX_stats.csv, PREFIX_history.csv and PREFIX_checks.csv.",
        kind=Kind.TEXT,
        group=Group.OUTPUT,
        metavar="PREFIX",
    )
    junit: str | None = option(
        None,
        "--junit",
        help=(
            "Write a JUnit XML file: one test case per threshold and check, plus generator"
            " health and"
            " run completion."
        ),
        kind=Kind.PATH,
        group=Group.OUTPUT,
        metavar="FILE",
    )
    html: str | None = option(
        None,
        "--html",
        help="Write a self-contained HTML report (charts, tables; opens offline) to FILE.",
        kind=Kind.PATH,
        group=Group.OUTPUT,
        metavar="FILE",
    )
    report_text: str | None = option(
        None,
        "--report-text",
        help="Write the end-of-run summary as plain text (no colour) to FILE.",
        kind=Kind.PATH,
        group=Group.OUTPUT,
        metavar="FILE",
    )
    monitor_pid: tuple[int, ...] = option(
        (),
        "--monitor-pid",
        help=(
            "Sample CPU, memory, threads, files, connections and I/O of this target process during "
            "the run (repeatable)."
        ),
        kind=Kind.INT,
        group=Group.CHECKS,
        multiple=True,
        metavar="PID",
        minimum=1,
    )
    monitor_process: tuple[str, ...] = option(
        (),
        "--monitor-process",
        help=(
            "Monitor every process whose name is NAME or whose command line contains it"
            " (repeatable)."
        ),
        kind=Kind.TEXT,
        group=Group.CHECKS,
        multiple=True,
        metavar="NAME",
    )
    dry_run: bool = option(
        False,
        "--dry-run",
        help="Print the load plan (stages, per-second targets) and exit without sending anything.",
        kind=Kind.FLAG,
        group=Group.OUTPUT,
    )
    quiet: bool = option(
        False,
        "-q",
        "--quiet",
        help="No live view (for CI logs); the summary still prints.",
        kind=Kind.FLAG,
        group=Group.OUTPUT,
    )
    explicit: frozenset[str] = field(default=frozenset(), repr=False)

    def __post_init__(self) -> None:
        for spec in RUN_OPTIONS:
            value = getattr(self, spec.name)
            try:
                converted = convert_value(spec, value)
            except ValueProblem as exc:
                raise ConfigError(f"invalid value for {spec.name!r}: {exc}") from None
            if converted is not value:
                object.__setattr__(self, spec.name, converted)
        unknown = set(self.explicit) - BY_NAME.keys()
        if unknown:
            raise ConfigError(unknown_message(sorted(unknown)[0], "the explicit options"))

    @classmethod
    def layered(
        cls, explicit: Mapping[str, Any], project: Mapping[str, Any] | None = None
    ) -> RunConfig:
        """The config from explicit values (flags, environment, keywords) over `[tool.surge]`
        values over the defaults."""
        values = {**(project or {}), **explicit}
        check_names(values, "options")
        return cls(**values, explicit=frozenset(explicit))

    def overridden(self, overrides: Mapping[str, object], where: str) -> RunConfig:
        """A scenario file's values over this config, except those given explicitly."""
        changes: dict[str, Any] = {}
        for key, value in overrides.items():
            spec = BY_NAME.get(key)
            if spec is None:
                raise ConfigError(f"{where}: unknown option {key!r}")
            if key in self.explicit:
                continue
            try:
                changes[key] = convert_value(spec, value)
            except ValueProblem as exc:
                raise ConfigError(f"{where}: {key}: {exc}") from None
        return dataclasses.replace(self, **changes) if changes else self

    def given(self, name: str) -> bool:
        """True when `name` was given explicitly (flag, environment variable or keyword)."""
        return name in self.explicit

    def as_options(self) -> dict[str, Any]:
        """The options as a plain dict in table order (what a run records in its result)."""
        return {spec.name: getattr(self, spec.name) for spec in RUN_OPTIONS}

    def fingerprint_options(self) -> dict[str, Any]:
        """The options that shape the load (not outputs, names or verdict policies)."""
        return {k: v for k, v in self.as_options().items() if k not in OUTPUT_OPTIONS}


RUN_OPTIONS: tuple[OptionSpec, ...] = specs_of(RunConfig)
BY_NAME: Mapping[str, OptionSpec] = {spec.name: spec for spec in RUN_OPTIONS}
BY_CONFIG_KEY: Mapping[str, OptionSpec] = {spec.config_key: spec for spec in RUN_OPTIONS} | {
    spec.name: spec for spec in RUN_OPTIONS
}


def unknown_message(key: str, where: str, known: Iterable[str] | None = None) -> str:
    """`unknown key 'duraton' in [tool.surge]; did you mean 'duration'?` and the known keys."""
    names = sorted(set(known if known is not None else BY_NAME))
    close = difflib.get_close_matches(key, names, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"unknown key {key!r} in {where}{hint} (known: {', '.join(names)})"


def check_names(values: Mapping[str, Any], where: str) -> None:
    """Raise ConfigError for the first name in `values` that is not an option."""
    for key in values:
        if key not in BY_NAME:
            raise ConfigError(unknown_message(key, where))
