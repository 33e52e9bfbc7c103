"""The immutable values every stage after the engine reads: Snapshots and the RunResult."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from surge.metrics.bench import BenchEntry
from surge.metrics.figures import Figures, figures_of
from surge.metrics.histogram import Histogram
from surge.metrics.resources import Resources
from surge.metrics.threshold_verdict import ThresholdVerdict as ThresholdVerdict
from surge.metrics.verdict import ExitCode, result_exit_code
from surge.metrics.workers import WorkerReport

TOTAL_NAME = "Total"


def _no_counts() -> Mapping[str, int]:
    return {}


@dataclass(frozen=True, slots=True)
class CheckCount:
    """How often one named check passed and failed."""

    passes: int
    fails: int

    @property
    def total(self) -> int:
        return self.passes + self.fails

    @property
    def pass_rate(self) -> float:
        return self.passes / self.total if self.total else 1.0

    def __add__(self, other: CheckCount) -> CheckCount:
        return CheckCount(self.passes + other.passes, self.fails + other.fails)


def _no_checks() -> Mapping[str, CheckCount]:
    return {}


def _no_timings() -> Mapping[str, Histogram]:
    return {}


def _no_codes() -> Mapping[int, int]:
    return {}


@dataclass(frozen=True, slots=True)
class EndpointStats:
    """Counts of one endpoint (method + name) over an interval or a whole run.

    `requests` counts completed requests: successes and failures. `latency` holds successes only;
    `failure_latency` holds the time failed requests took (timeouts at their timeout).
    `incomplete` counts requests abandoned in flight at the end of the run.
    `checks` counts passes and failures of each named check on this endpoint's responses.
    In the open model `latency` runs from the intended send time; `service_time` (actual send to
    done) and `schedule_lag` (intended to actual send) of every completed request sit beside it.
    Both are empty in the closed model. `retries` counts requests re-sent on a fresh
    connection after the stale keep-alive race (idempotent methods only; see `--no-retry`).

    WebSocket, Server-Sent Events and HTTP/2 endpoints (see `surge.metrics.protocol`) also
    carry `counts` (by `Count` name: messages, bytes, events, reconnects, errors inside
    sessions), `timings` (by `Timing` name: connect, TLS, upgrade, session, reply, ping RTT,
    first event, event gap), WebSocket `close_codes`, and `protocols`: how many exchanges went
    over each protocol (empty for plain HTTP/1.1). `errors` counts failed requests by kind and,
    for these protocols, also the errors inside sessions (`counts["session_errors"]`).
    """

    method: str
    name: str
    requests: int
    failures: int
    bytes_received: int
    status_codes: Mapping[int, int]
    errors: Mapping[str, int]
    error_messages: Mapping[str, int]
    latency: Histogram
    failure_latency: Histogram
    incomplete: int = 0
    checks: Mapping[str, CheckCount] = field(default_factory=_no_checks)
    service_time: Histogram = field(default_factory=Histogram.empty)
    schedule_lag: Histogram = field(default_factory=Histogram.empty)
    retries: int = 0
    counts: Mapping[str, int] = field(default_factory=_no_counts)
    timings: Mapping[str, Histogram] = field(default_factory=_no_timings)
    close_codes: Mapping[int, int] = field(default_factory=_no_codes)
    protocols: Mapping[str, int] = field(default_factory=_no_counts)

    @property
    def successes(self) -> int:
        return self.requests - self.failures

    @property
    def key(self) -> tuple[str, str]:
        return (self.method, self.name)

    @property
    def error_rate(self) -> float:
        return self.failures / self.requests if self.requests else 0.0


@dataclass(frozen=True, slots=True)
class UserClassStats:
    """Counts of one `User` class of a scripted run, over an interval or a whole run.

    `users`: virtual users of the class started; `iterations`: task iterations its users ran to
    their end (completed or failed with a script error); `requests`: HTTP requests its users
    completed (successes and failures, a redirect chain counted once).
    """

    name: str
    users: int = 0
    iterations: int = 0
    requests: int = 0

    def __add__(self, other: UserClassStats) -> UserClassStats:
        return UserClassStats(
            self.name,
            self.users + other.users,
            self.iterations + other.iterations,
            self.requests + other.requests,
        )


class DropReason(enum.Enum):
    """Why a scheduled arrival (open model) was never started."""

    MAX_IN_FLIGHT = "max_in_flight"  # the --max-in-flight cap was reached
    STOPPED = "stopped"  # the run stopped (duration over, signal, abort) before it was due


@dataclass(frozen=True, slots=True)
class Arrivals:
    """Open-model accounting of one interval or a whole run (all zero in the closed model).

    An arrival is one request (URL mode) or one task iteration (scripted users). Every scheduled
    arrival ends as exactly one of: completed, failed, dropped (by reason), in flight at the end,
    or lost with a worker, so
    `scheduled == completed + failed + dropped_total + in_flight_at_end + lost_with_worker`
    always holds. `lost_with_worker` counts what a worker that died mid-run had in flight at its
    last report or never sent: its slice of the plan went on being scheduled without it.
    `lag` is the schedule lag of every started arrival (intended to actual start).
    """

    scheduled: int = 0
    completed: int = 0
    failed: int = 0
    dropped: Mapping[str, int] = field(default_factory=_no_counts)
    in_flight_at_end: int = 0
    lag: Histogram = field(default_factory=Histogram.empty)
    lost_with_worker: int = 0

    @property
    def dropped_total(self) -> int:
        return sum(self.dropped.values())

    @property
    def outstanding(self) -> int:
        """Scheduled but not (yet) accounted for: in flight, for a running worker's counts."""
        return self.scheduled - (
            self.completed
            + self.failed
            + self.dropped_total
            + self.in_flight_at_end
            + self.lost_with_worker
        )

    def __add__(self, other: Arrivals) -> Arrivals:
        dropped = dict(self.dropped)
        for reason, n in other.dropped.items():
            dropped[reason] = dropped.get(reason, 0) + n
        return Arrivals(
            scheduled=self.scheduled + other.scheduled,
            completed=self.completed + other.completed,
            failed=self.failed + other.failed,
            dropped=dict(sorted(dropped.items())),
            in_flight_at_end=self.in_flight_at_end + other.in_flight_at_end,
            lag=self.lag.merge(other.lag),
            lost_with_worker=self.lost_with_worker + other.lost_with_worker,
        )


@dataclass(frozen=True, slots=True)
class HealthSample:
    """The generator's own health over one interval: its process CPU and event-loop lag.

    `loop_lag` holds the overshoot of a periodic probe timer (how late the loop ran it).
    """

    cpu_pct: float
    loop_lag: Histogram


@dataclass(frozen=True, slots=True)
class WorkerHealth:
    """One worker's generator health over the run: its CPU per interval as (interval end in s,
    CPU %) in time order, the loop-lag probe's samples of the whole run merged, and (open model)
    the schedule lag of its requests, all endpoints merged (empty when not known)."""

    worker: int
    cpu: tuple[tuple[float, float], ...]
    loop_lag: Histogram
    schedule_lag: Histogram = field(default_factory=Histogram.empty)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One interval (about a second) of one worker's recording: deltas, not running totals.

    `seq` numbers intervals from 0 so a consumer can tell a lost or duplicate snapshot.
    `target` is the load the schedule asked for at the interval's end (users, or arrivals per
    second in the open model), None when the plan has no such figure. `user_classes` counts each
    User class of a scripted run (empty in URL mode). `names_seen` is how many distinct endpoint
    names the worker has seen so far, those over its cap (counted under `(other)`) included.
    """

    seq: int
    worker: int
    start_s: float
    end_s: float
    active_users: int
    endpoints: tuple[EndpointStats, ...]
    arrivals: Arrivals = field(default_factory=Arrivals)
    health: HealthSample | None = None
    target: float | None = None
    user_classes: tuple[UserClassStats, ...] = ()
    names_seen: int = 0


@dataclass(frozen=True, slots=True)
class TimelinePoint:
    """One second of the run, all endpoints together."""

    t_s: float
    requests: int
    failures: int
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    active_users: int
    target: float | None = None


class LoadModel(enum.Enum):
    CLOSED = "closed"  # a fixed (or staged) number of users, each waiting for its response
    OPEN = "open"  # arrivals at a scheduled rate, whether or not earlier ones finished


@dataclass(frozen=True, slots=True)
class LoadSummary:
    """What load was asked for and what was delivered.

    `offered_rps` is what the plan asked for (open model: the arrival rate; closed model with
    pacing: users / pacing interval), None when the plan sets no rate (closed, no pacing).
    `achieved_rps` is what was started per second of the load phase. `sustained` is False when
    the load fell behind by more than the tolerance the run used: in the open model, arrivals
    that fell due were not started; in the closed model, the achieved rate fell short of the
    offered one. `load_s` is the load phase (iterations being started) and `graceful_stop_s`
    the time after it (iterations in flight finishing); None when not known.
    """

    model: LoadModel
    offered_rps: float | None
    achieved_rps: float
    sustained: bool
    arrivals: Arrivals = field(default_factory=Arrivals)
    load_s: float | None = None
    graceful_stop_s: float | None = None


class SaturationCause(enum.Enum):
    """Which rule of generator health fired (see monitor/health.py)."""

    CPU = "cpu"  # the generator's CPU was pinned
    LOOP_LAG = "loop_lag"  # the event loop lagged: something on it blocked
    DROPS = "drops"  # arrivals dropped at the in-flight cap (only with a drops rule)
    SCHEDULE_LAG = "schedule_lag"  # the generator started open-model arrivals late
    USER_CODE = "user_code"  # the loop lagged because a user's task blocked it (named)
    HOST_BUSY = "host_busy"  # the loop lagged because other processes had the generator's CPUs


@dataclass(frozen=True, slots=True)
class LoopStall:
    """User code that held the event loop: `where` is the task or hook running when the loop
    stood still ('Class.task (file:line)'), `count` the stalls it caused (each at least the
    engine's stall threshold), `max_ms` the longest and `total_ms` all of them together.

    A stall is timed by how late the loop ran a 50 ms heartbeat timer, so each figure is a lower
    bound, at most 50 ms short of the time the code held the loop.
    """

    where: str
    count: int
    max_ms: float
    total_ms: float


@dataclass(frozen=True, slots=True)
class GeneratorVerdict:
    """Was the load generator itself the bottleneck? `reasons` say why it was judged saturated,
    `causes` which rules fired (what the reader should do differs: see report/terminal_sections).
    `notes` say what was seen without saturating the run (arrivals dropped at the in-flight cap
    by a healthy generator: judged by the `dropped_rate` threshold instead). `stalls` name the
    user code that blocked the event loop, longest first. `host_cpu_pct`: how busy the CPUs
    the generator may run on were over the run, every process counted (None: not measured).
    `user_code`: whether the run ran user code on the loop (a script's tasks or hooks; False
    in URL mode, whose loop only a busy host or surge itself can hold)."""

    saturated: bool
    reasons: tuple[str, ...]
    cpu_pct_max: float
    cpu_pct_mean: float
    loop_lag_p99_ms: float
    loop_lag_max_ms: float
    schedule_lag_p99_ms: float
    dropped: int
    causes: tuple[SaturationCause, ...] = ()
    notes: tuple[str, ...] = ()
    stalls: tuple[LoopStall, ...] = ()
    host_cpu_pct: float | None = None
    user_code: bool = True


@dataclass(frozen=True, slots=True)
class Interval:
    """One interval (about a second) of the run, per endpoint, all workers merged.

    The unit a single-run comparison bootstraps over (blocks of consecutive intervals), and what
    the store keeps beside the whole-run histograms. `seq` numbers intervals from 0.
    """

    seq: int
    start_s: float
    end_s: float
    endpoints: tuple[EndpointStats, ...]


@dataclass(frozen=True, slots=True)
class RunMeta:
    """Who ran what, when and how."""

    name: str
    surge_version: str
    started_at: str
    finished_at: str
    target: str
    mode: str
    options: Mapping[str, Any] = field(default_factory=dict)
    insecure: bool = False
    aborted: bool = False
    abort_reason: str | None = None


@dataclass(frozen=True, slots=True)
class RunResult:
    """Everything a run measured. Reports, thresholds, compare and the store read only this.

    `user_classes`: each User class of a scripted run that started a user, by name (empty in URL
    mode). A run of callable benchmarks has one endpoint per bench (method: the kind's tag, e.g.
    `DB`; latency in µs like any run) and the exact measurements in `benches`.
    """

    meta: RunMeta
    duration_s: float
    endpoints: tuple[EndpointStats, ...]
    total: EndpointStats
    timeline: tuple[TimelinePoint, ...]
    load: LoadSummary | None = None
    generator: GeneratorVerdict | None = None
    thresholds: tuple[ThresholdVerdict, ...] = ()
    intervals: tuple[Interval, ...] = ()
    resources: Resources | None = None
    workers: tuple[WorkerReport, ...] = ()
    user_classes: tuple[UserClassStats, ...] = ()
    benches: tuple[BenchEntry, ...] = ()

    @property
    def is_bench(self) -> bool:
        """A run of callable benchmarks (`surge bench`, `surge.benchmark`): its endpoints are
        benches and `benches` holds their exact measurements."""
        return bool(self.benches)

    @property
    def degraded(self) -> bool:
        """A worker was lost (or failed) mid-run: less load was offered than planned."""
        return any(w.lost for w in self.workers)

    @property
    def rps(self) -> float:
        return self.total.requests / self.duration_s if self.duration_s > 0 else 0.0

    @property
    def thresholds_passed(self) -> bool:
        return all(v.passed for v in self.thresholds)

    # -- reading conveniences (notebooks, tests): the CLI's rules and the JSON's numbers ------

    @property
    def exit_code(self) -> ExitCode:
        """The exit code `surge run` gives this run alone (docs/exit-codes.md), under the
        options it ran with."""
        return result_exit_code(self)

    @property
    def passed(self) -> bool:
        """True when the run would exit 0: requests succeeded, thresholds held, the generator
        kept up (or that was allowed) and no signal or lost worker ended it."""
        return self.exit_code is ExitCode.OK

    def assert_ok(self) -> None:
        """Raise AssertionError, its message the verdict table (exit code and why, each
        threshold with what was observed, the figures), unless the run `passed`."""
        if not self.passed:
            from surge.metrics.verdict_table import verdict_table

            raise AssertionError(verdict_table(self))

    def to_json(self) -> str:
        """The `--out` document of this run, byte for byte what `surge run ... --out` writes
        (secrets masked); the same as `surge.to_json(result)`.

        The one place the metrics stage reaches up to the report stage, at call time only: the
        document is the report stage's (docs/results-json.md), the method a convenience the
        Python API promises (`RunResult.to_json()`); pyproject's import-linter contracts name it.
        """
        from surge.report.json_report import dumps, result_to_dict

        return dumps(result_to_dict(self))

    @property
    def figures(self) -> Figures:
        """The whole run's requests, failures, rate and latency in ms."""
        return figures_of(self.total, self.duration_s)

    @property
    def per_endpoint(self) -> dict[str, Figures]:
        """Each endpoint's figures, keyed `"GET /api/items"`."""
        return {f"{e.method} {e.name}": figures_of(e, self.duration_s) for e in self.endpoints}

    def endpoint(self, name: str) -> Figures:
        """One endpoint's figures: `"GET /api/items"`, or `"/api/items"` when only one method
        was sent to it. KeyError names the endpoints there are."""
        found = [e for e in self.endpoints if name in (f"{e.method} {e.name}", e.name)]
        if len(found) != 1:
            known = ", ".join(repr(f"{e.method} {e.name}") for e in self.endpoints)
            what = "is ambiguous" if found else "is not an endpoint of this run"
            raise KeyError(f"{name!r} {what}; endpoints: {known}")
        return figures_of(found[0], self.duration_s)

    @property
    def requests(self) -> int:
        return self.total.requests

    @property
    def failures(self) -> int:
        return self.total.failures

    @property
    def error_rate(self) -> float:
        return self.total.error_rate

    @property
    def mean_ms(self) -> float:
        return self.figures.mean_ms

    @property
    def stddev_ms(self) -> float:
        return self.figures.stddev_ms

    @property
    def p50_ms(self) -> float:
        return self.figures.p50_ms

    @property
    def p90_ms(self) -> float:
        return self.figures.p90_ms

    @property
    def p95_ms(self) -> float:
        return self.figures.p95_ms

    @property
    def p99_ms(self) -> float:
        return self.figures.p99_ms

    @property
    def p999_ms(self) -> float:
        return self.figures.p999_ms
