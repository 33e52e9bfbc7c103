"""The threshold grammar: `[SELECTOR:] METRIC OP VALUE`, parsed into a frozen ThresholdSpec.

    p95 < 200ms                      the run's p95 latency of successful requests
    error_rate<1%                    failed / completed requests
    GET /api/deals: p99<=1.5s        one endpoint (method + name)
    /api/deals: rps>=50              every method of one endpoint name, merged
    cpu<80%   target.rss<1GB         resources: peak by default, `cpu.mean<60%` for the mean

The parser is driven by two tables — `METRIC_KINDS` (which metrics exist) and `_VALUE_PARSERS`
(how a VALUE of each kind is written and converted to its canonical unit) — so new metrics, such
as resource metrics (`cpu<80%`, `target.rss<1GB`), are new table rows, not a new parser. Every
mistake raises a ThresholdError that shows the expression with a `^` under the offending text.
"""

from __future__ import annotations

import difflib
import enum
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from surge.metrics.resource_stats import Aggregate
from surge.units import SIZE_UNIT_NAMES, size_scale

DEFAULT_ABORT_GRACE_S = 10.0
"""How long a run may go before an abort-on-fail threshold can stop it (`--abort-grace`)."""


class Metric(enum.Enum):
    """What a threshold measures. Values are the names the grammar accepts."""

    P50 = "p50"
    P75 = "p75"
    P90 = "p90"
    P95 = "p95"
    P99 = "p99"
    P999 = "p999"
    MEAN = "mean"
    MAX = "max"
    MIN = "min"
    ERROR_RATE = "error_rate"
    RPS = "rps"
    FAILURES = "failures"
    REQUESTS = "requests"
    CHECKS = "checks"
    DROPPED_RATE = "dropped_rate"  # open-model arrivals dropped / scheduled (the whole run)
    # Counts inside WebSocket sessions, event streams and HTTP/2 connections (docs/websocket.md).
    SESSIONS = "sessions"
    MSGS_SENT = "msgs_sent"
    MSGS_RECEIVED = "msgs_received"
    PINGS = "pings"
    EVENTS = "events"
    RECONNECTS = "reconnects"
    CONNECTIONS = "connections"
    SESSION_ERRORS = "session_errors"
    # Resources (judged on RunResult.resources at the end of the run; see docs/resources.md).
    CPU = "cpu"  # host CPU busy, % of the whole machine
    MEMORY = "memory"  # host memory in use
    DISK_READ = "disk_read"
    DISK_WRITE = "disk_write"
    NET_SENT = "net_sent"
    NET_RECV = "net_recv"
    GENERATOR_CPU = "generator.cpu"  # surge and its worker processes, % of one core
    GENERATOR_RSS = "generator.rss"
    TARGET_CPU = "target.cpu"  # the monitored targets added together, % of one core
    TARGET_RSS = "target.rss"
    TARGET_THREADS = "target.threads"
    TARGET_OPEN_FILES = "target.open_files"
    TARGET_CONNECTIONS = "target.connections"
    TARGET_READ = "target.read"
    TARGET_WRITE = "target.write"
    # Benchmarks of callables (surge.benchmark, surge bench; see docs/benchmarks-python.md).
    OPS = "ops"  # successful calls per second (in a load run: the same as rps)
    MEMORY_INCREASE = "memory_increase"  # RSS growth over the bench's memory pass
    MEMORY_PEAK = "memory_peak"  # tracemalloc peak over the bench's memory pass
    QUERIES = "queries"  # database queries per call (counted SQLAlchemy cursor executions)


class Kind(enum.Enum):
    """How a metric's VALUE is written; the enum value is the canonical unit of `limit`."""

    LATENCY = "ms"  # written 500us, 200ms or 1.5s
    PERCENT = "%"  # written 1% (or a bare fraction <= 1: 0.01)
    RATE = "rps"  # written 100 or 100/s
    COUNT = "count"  # written as a whole number
    CPU = "cpu%"  # written 80% (a process may exceed 100%: 150% is one and a half cores)
    BYTES = "bytes"  # written 512MB, 2GB, 1.5GiB
    BYTE_RATE = "B/s"  # written 10MB/s (or 10MB)


KIND_UNITS: Mapping[Kind, str] = {kind: kind.value for kind in Kind} | {Kind.CPU: "%"}
"""The unit a verdict of each kind is reported in (`ThresholdVerdict.unit`)."""


METRIC_KINDS: Mapping[Metric, Kind] = {
    Metric.P50: Kind.LATENCY,
    Metric.P75: Kind.LATENCY,
    Metric.P90: Kind.LATENCY,
    Metric.P95: Kind.LATENCY,
    Metric.P99: Kind.LATENCY,
    Metric.P999: Kind.LATENCY,
    Metric.MEAN: Kind.LATENCY,
    Metric.MAX: Kind.LATENCY,
    Metric.MIN: Kind.LATENCY,
    Metric.ERROR_RATE: Kind.PERCENT,
    Metric.RPS: Kind.RATE,
    Metric.FAILURES: Kind.COUNT,
    Metric.REQUESTS: Kind.COUNT,
    Metric.CHECKS: Kind.PERCENT,
    Metric.DROPPED_RATE: Kind.PERCENT,
    Metric.SESSIONS: Kind.COUNT,
    Metric.MSGS_SENT: Kind.COUNT,
    Metric.MSGS_RECEIVED: Kind.COUNT,
    Metric.PINGS: Kind.COUNT,
    Metric.EVENTS: Kind.COUNT,
    Metric.RECONNECTS: Kind.COUNT,
    Metric.CONNECTIONS: Kind.COUNT,
    Metric.SESSION_ERRORS: Kind.COUNT,
    Metric.CPU: Kind.CPU,
    Metric.MEMORY: Kind.BYTES,
    Metric.DISK_READ: Kind.BYTE_RATE,
    Metric.DISK_WRITE: Kind.BYTE_RATE,
    Metric.NET_SENT: Kind.BYTE_RATE,
    Metric.NET_RECV: Kind.BYTE_RATE,
    Metric.GENERATOR_CPU: Kind.CPU,
    Metric.GENERATOR_RSS: Kind.BYTES,
    Metric.TARGET_CPU: Kind.CPU,
    Metric.TARGET_RSS: Kind.BYTES,
    Metric.TARGET_THREADS: Kind.COUNT,
    Metric.TARGET_OPEN_FILES: Kind.COUNT,
    Metric.TARGET_CONNECTIONS: Kind.COUNT,
    Metric.TARGET_READ: Kind.BYTE_RATE,
    Metric.TARGET_WRITE: Kind.BYTE_RATE,
    Metric.OPS: Kind.RATE,
    Metric.MEMORY_INCREASE: Kind.BYTES,
    Metric.MEMORY_PEAK: Kind.BYTES,
    Metric.QUERIES: Kind.COUNT,
}
BENCH_METRICS: frozenset[Metric] = frozenset(
    {Metric.MEMORY_INCREASE, Metric.MEMORY_PEAK, Metric.QUERIES}
)
"""Metrics only a benchmark of a callable measures (per bench, never of a load run)."""
RESOURCE_METRICS: frozenset[Metric] = (
    frozenset(
        metric
        for metric in Metric
        if METRIC_KINDS[metric] in (Kind.CPU, Kind.BYTES, Kind.BYTE_RATE)
    )
    | {Metric.TARGET_THREADS, Metric.TARGET_OPEN_FILES, Metric.TARGET_CONNECTIONS}
) - BENCH_METRICS
"""Metrics of the run's resources rather than of its requests: no endpoint selector, and an
optional `.mean` / `.peak` suffix (peak when none is written)."""
RUN_METRICS: frozenset[Metric] = frozenset({Metric.DROPPED_RATE})
"""Metrics of the whole run's open-model arrivals, which are not counted per endpoint: no
endpoint selector, judged at the end of the run."""
TARGET_METRICS: frozenset[Metric] = frozenset(m for m in Metric if m.value.startswith("target."))
"""Resource metrics that need a monitored target (`--monitor-pid` / `--monitor-process`)."""
PROTOCOL_COUNTS: frozenset[Metric] = frozenset(
    {
        Metric.SESSIONS,
        Metric.MSGS_SENT,
        Metric.MSGS_RECEIVED,
        Metric.PINGS,
        Metric.EVENTS,
        Metric.RECONNECTS,
        Metric.CONNECTIONS,
        Metric.SESSION_ERRORS,
    }
)
"""Counts of what happened inside sessions and streams (`EndpointStats.counts`)."""
LATENCY_STATS: frozenset[Metric] = frozenset(m for m in Metric if METRIC_KINDS[m] is Kind.LATENCY)
TIMINGS: tuple[str, ...] = (
    "connect",
    "tls",
    "upgrade",
    "session",
    "reply",
    "ping_rtt",
    "first_event",
    "event_gap",
)
"""Timings a latency statistic can be taken of: `reply_p95<50ms`, `first_event_max<2s`
(`surge.metrics.Timing` names; a test keeps the two lists equal)."""
_BY_NAME: Mapping[str, Metric] = {metric.value: metric for metric in Metric}
_TIMED: Mapping[str, tuple[Metric, str]] = {
    f"{timing}_{stat.value}": (stat, timing) for timing in TIMINGS for stat in LATENCY_STATS
}


class Op(enum.Enum):
    """The comparison a threshold asks for: `observed OP limit` must hold."""

    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="

    def holds(self, observed: float, limit: float) -> bool:
        return _COMPARE[self](observed, limit)


_COMPARE: Mapping[Op, Callable[[float, float], bool]] = {
    Op.LT: operator.lt,
    Op.LE: operator.le,
    Op.GT: operator.gt,
    Op.GE: operator.ge,
}


class ThresholdError(ValueError):
    """A threshold that cannot be used; raised before any request is sent (exit code 2).

    `str(error)` names the expression and, when `span` is known, repeats it on a second line with
    `^` under the offending text, so the user sees exactly what to edit. `where` (a `file:line`
    or an option name like `--threshold`) prefixes the message.
    """

    def __init__(
        self,
        message: str,
        expression: str | None = None,
        span: tuple[int, int] | None = None,
        where: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.expression = expression
        self.span = span
        self.where = where

    def at(self, where: str | None) -> ThresholdError:
        """The same error located at `where` (unless it already names a place)."""
        if self.where is not None or where is None:
            return self
        return ThresholdError(self.message, self.expression, self.span, where)

    def __reduce__(self) -> tuple[type[ThresholdError], tuple[object, ...]]:
        return (ThresholdError, (self.message, self.expression, self.span, self.where))

    def __str__(self) -> str:
        head = f"{self.where}: " if self.where else ""
        if self.expression is None:
            return head + self.message
        text = f"{head}invalid threshold {self.expression!r}: {self.message}"
        if self.span is not None:
            start, end = self.span
            caret = "^" * max(1, end - start)
            text += f"\n    {self.expression}\n    {' ' * start}{caret}"
        return text


@dataclass(frozen=True, slots=True)
class Selector:
    """The endpoint a threshold is about: method and name, or a name across all its methods."""

    method: str | None
    name: str

    @property
    def label(self) -> str:
        """ "GET /api/deals" or "/api/deals": how verdicts and messages name the endpoint."""
        return f"{self.method} {self.name}" if self.method else self.name

    def matches(self, method: str, name: str) -> bool:
        return name == self.name and (self.method is None or method == self.method)


@dataclass(frozen=True, slots=True)
class ThresholdSpec:
    """One parsed threshold: `observed(metric on selector) op limit` must hold.

    `limit` is in the metric's canonical unit (`unit`): ms for latencies, percent for error_rate
    and checks, requests per second for rps, a count for failures and requests.
    `abort_on_fail` stops the run as soon as the threshold is lost, but not before `grace_s`
    seconds; `where` names the place the threshold came from for error messages.
    Resource metrics compare the `aggregate` (peak or mean) of their series; their limit is in
    percent (CPU), bytes (memory, RSS), bytes per second (I/O rates) or a count.
    """

    expression: str
    selector: Selector | None
    metric: Metric
    op: Op
    limit: float
    abort_on_fail: bool = False
    grace_s: float = DEFAULT_ABORT_GRACE_S
    where: str | None = None
    aggregate: Aggregate = Aggregate.PEAK
    timing: str | None = None  # `reply_p95`: the p95 of the `reply` timing, not of latency

    @property
    def kind(self) -> Kind:
        return METRIC_KINDS[self.metric]

    @property
    def unit(self) -> str:
        return KIND_UNITS[self.kind]

    @property
    def is_resource(self) -> bool:
        return self.metric in RESOURCE_METRICS

    @property
    def metric_label(self) -> str:
        """The metric as verdicts name it: `p95`, `cpu` (a peak), `cpu.mean`."""
        if self.is_resource and self.aggregate is Aggregate.MEAN:
            return f"{self.metric.value}.{self.aggregate.value}"
        if self.timing is not None:
            return f"{self.timing}_{self.metric.value}"
        return self.metric.value


_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")
_OP = re.compile(r"<=|>=|<|>")
_TOKEN = re.compile(r"\S+")
_BAD_OP = re.compile(r"==|=<|=>|!=|=|≤|≥|!")
_METHOD = re.compile(r"([A-Z]+)\s+(\S.*)")
_NUMBER_AND_UNIT = re.compile(r"(\d+(?:\.\d*)?|\.\d+)\s*(.*)")
_LATENCY_UNITS_MS: Mapping[str, float] = {"us": 0.001, "µs": 0.001, "ms": 1.0, "s": 1000.0}
_AGGREGATES: Mapping[str, Aggregate] = {a.value: a for a in Aggregate}


def metric_names() -> tuple[str, ...]:
    """Every metric name the grammar accepts, in table order (for help texts and docs)."""
    return tuple(metric.value for metric in METRIC_KINDS)


def _choices() -> str:
    """The metrics an error message offers: the request metrics, then a pointer to the
    resource metrics (listing all of them would bury the message)."""
    requests = ", ".join(
        m.value
        for m in METRIC_KINDS
        if m not in RESOURCE_METRICS and m not in BENCH_METRICS and m not in PROTOCOL_COUNTS
    )
    return (
        f"{requests}; a protocol metric: msgs_received, reply_p95, first_event_max, … "
        "(docs/websocket.md); or a resource metric: cpu, memory, target.rss, … "
        "(docs/resources.md); benches also: memory_increase, memory_peak, queries"
    )


def _whole_run_only(metric: Metric) -> str | None:
    """Why `metric` has no per-endpoint value, or None when it has one."""
    if metric in RESOURCE_METRICS:
        return "is a resource of the whole run (host, generator or target), not of an endpoint"
    if metric in RUN_METRICS:
        return "judges the whole run's arrivals, which are not counted per endpoint"
    return None


def parse_threshold(
    text: str,
    *,
    abort_on_fail: bool = False,
    grace_s: float = DEFAULT_ABORT_GRACE_S,
    where: str | None = None,
) -> ThresholdSpec:
    """Parse one expression like `GET /api/deals: p95<500ms`; raises ThresholdError."""
    if not isinstance(text, str):
        raise ThresholdError(
            f"a threshold must be an expression string like 'p95<200ms', got {text!r}",
            where=where,
        )
    expression = text.strip()
    try:
        if not expression:
            raise ThresholdError("the threshold is empty; write e.g. 'p95<200ms'", expression)
        colon = selector_colon(expression)
        selector = None if colon is None else _selector(expression, colon)
        body_start = 0 if colon is None else colon + 1
        (metric, aggregate, timing), op, limit = _body(expression, body_start)
        whole_run = None if selector is None else _whole_run_only(metric)
        if whole_run is not None:
            raise ThresholdError(
                f"{metric.value} {whole_run}: leave out the endpoint and the ':'",
                expression,
                (0, colon + 1 if colon is not None else 1),
            )
    except ThresholdError as exc:
        raise exc.at(where) from None
    return ThresholdSpec(
        expression=expression,
        selector=selector,
        metric=metric,
        op=op,
        limit=limit,
        abort_on_fail=abort_on_fail,
        grace_s=grace_s,
        where=where,
        aggregate=aggregate,
        timing=timing,
    )


def selector_colon(expression: str) -> int | None:
    """The index of the `:` ending the endpoint selector, None for a global threshold.

    Endpoint names may hold colons (`/items/{id:int}`), so the selector ends at the LAST colon
    followed by a known metric. Failing that, an expression that itself starts like
    `metric op` has no selector, and otherwise the last colon followed by a word is taken (so
    `GET /x: p96<1s` reports the unknown metric rather than a puzzling selector).
    """
    colons = [index for index, char in enumerate(expression) if char == ":"]
    for index in reversed(colons):
        word = _IDENT.match(expression, _skip_space(expression, index + 1))
        if word and _known_metric_word(word.group()):
            return index
    word = _IDENT.match(expression)
    if word and _OP.match(expression, _skip_space(expression, word.end())):
        return None
    for index in reversed(colons):
        if _IDENT.match(expression, _skip_space(expression, index + 1)):
            return index
    return None


def _known_metric_word(word: str) -> bool:
    """A metric name, or a resource metric with an aggregate suffix (`cpu.mean`)."""
    if word in _BY_NAME or word in _TIMED:
        return True
    base, _, suffix = word.rpartition(".")
    return suffix in _AGGREGATES and _BY_NAME.get(base) in RESOURCE_METRICS


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position].isspace():
        position += 1
    return position


def _selector(expression: str, colon: int) -> Selector:
    raw = expression[:colon].strip()
    if not raw:
        raise ThresholdError(
            "the endpoint before ':' is empty; write e.g. 'GET /api/deals: p95<500ms', "
            "or leave out the ':' for the whole run",
            expression,
            (colon, colon + 1),
        )
    method = _METHOD.fullmatch(raw)
    if method:
        return Selector(method.group(1), method.group(2).strip())
    return Selector(None, raw)


def _body(expression: str, start: int) -> tuple[tuple[Metric, Aggregate, str | None], Op, float]:
    """METRIC OP VALUE from `start` to the end of `expression`."""
    position = _skip_space(expression, start)
    word = _IDENT.match(expression, position)
    if word is None:
        raise ThresholdError(
            f"expected a metric here; use one of: {_choices()}",
            expression,
            (position, max(position + 1, len(expression))),
        )
    metric = _metric(expression, word)
    position = _skip_space(expression, word.end())
    op = _op(expression, position, word.group())
    position = _skip_space(expression, position + len(op.value))
    if position >= len(expression):
        raise ThresholdError(
            f"expected a value after '{op.value}', e.g. {_example(metric[0])}",
            expression,
            (len(expression), len(expression) + 1),
        )
    value = _VALUE_PARSERS[METRIC_KINDS[metric[0]]](expression, position, metric[0])
    return metric, op, value


def _metric(expression: str, word: re.Match[str]) -> tuple[Metric, Aggregate, str | None]:
    metric = _BY_NAME.get(word.group())
    if metric is not None:
        return metric, Aggregate.PEAK, None
    timed = _TIMED.get(word.group())
    if timed is not None:
        return timed[0], Aggregate.PEAK, timed[1]
    base, _, suffix = word.group().rpartition(".")
    if suffix in _AGGREGATES and base in _BY_NAME:
        if _BY_NAME[base] in RESOURCE_METRICS:
            return _BY_NAME[base], _AGGREGATES[suffix], None
        raise ThresholdError(
            f"'.{suffix}' applies to resource metrics (cpu.mean, target.rss.peak); "
            f"{base!r} is a request metric: write e.g. '{base}<...' without it",
            expression,
            (word.start() + len(base), word.end()),
        )
    message = f"unknown metric {word.group()!r}"
    close = difflib.get_close_matches(word.group(), [*_BY_NAME, *_TIMED], n=1)
    if close:
        message += f"; did you mean {close[0]!r}?"
    message += f" (use one of: {_choices()})"
    raise ThresholdError(message, expression, word.span())


def _op(expression: str, position: int, metric: str) -> Op:
    found = _OP.match(expression, position)
    if found:
        return Op(found.group())
    bad = _BAD_OP.match(expression, position)
    ops = ", ".join(op.value for op in Op)
    if bad:
        raise ThresholdError(
            f"unknown operator {bad.group()!r}; use one of {ops}", expression, bad.span()
        )
    token = _TOKEN.match(expression, position)
    raise ThresholdError(
        f"expected an operator ({ops}) after {metric!r}",
        expression,
        (position, token.end() if token else position + 1),
    )


def _example(metric: Metric) -> str:
    return {
        Kind.LATENCY: "200ms",
        Kind.PERCENT: "1%",
        Kind.RATE: "100",
        Kind.COUNT: "10",
        Kind.CPU: "80%",
        Kind.BYTES: "1GB",
        Kind.BYTE_RATE: "10MB/s",
    }[METRIC_KINDS[metric]]


def _number(expression: str, position: int, metric: Metric) -> tuple[float, str, int]:
    """The number at `position`, the unit text after it, and where that unit starts."""
    found = _NUMBER_AND_UNIT.fullmatch(expression, position)
    if found is None:
        raise ThresholdError(
            f"{metric.value} needs a number here, e.g. {_example(metric)}",
            expression,
            (position, len(expression)),
        )
    return float(found.group(1)), found.group(2), found.start(2)


def _latency_ms(expression: str, position: int, metric: Metric) -> float:
    number, unit, unit_at = _number(expression, position, metric)
    units = ", ".join(u for u in _LATENCY_UNITS_MS if u != "µs")
    if not unit:
        raise ThresholdError(
            f"{metric.value} is a latency: add a unit ({units}), e.g. 200ms or 1.5s",
            expression,
            (position, len(expression)),
        )
    scale = _LATENCY_UNITS_MS.get(unit)
    if scale is None:
        raise ThresholdError(
            f"unknown unit {unit!r} for {metric.value}; use {units} (e.g. 200ms, 1.5s)",
            expression,
            (unit_at, len(expression)),
        )
    return number * scale


def _percent(expression: str, position: int, metric: Metric) -> float:
    number, unit, unit_at = _number(expression, position, metric)
    if unit == "%":
        percent = number
    elif unit:
        raise ThresholdError(
            f"{metric.value} is a percentage: write e.g. 1% (or a fraction like 0.01)",
            expression,
            (unit_at, len(expression)),
        )
    elif number <= 1:
        percent = number * 100
    else:
        raise ThresholdError(
            f"{number:g} is more than 1: write a percentage with '%', e.g. {number:g}%",
            expression,
            (position, len(expression)),
        )
    if percent > 100:
        raise ThresholdError(
            f"a percentage is at most 100%, got {percent:g}%",
            expression,
            (position, len(expression)),
        )
    return percent


def _rate(expression: str, position: int, metric: Metric) -> float:
    number, unit, unit_at = _number(expression, position, metric)
    if unit not in ("", "/s"):
        raise ThresholdError(
            f"{metric.value} is {'calls' if metric is Metric.OPS else 'requests'} per second: "
            "write a number, e.g. 100 or 100/s",
            expression,
            (unit_at, len(expression)),
        )
    return number


def _count(expression: str, position: int, metric: Metric) -> float:
    number, unit, unit_at = _number(expression, position, metric)
    if unit:
        raise ThresholdError(
            f"{metric.value} is a count: write a whole number without a unit, e.g. 10",
            expression,
            (unit_at, len(expression)),
        )
    if not number.is_integer():
        raise ThresholdError(
            f"{metric.value} is a count: write a whole number, e.g. 10",
            expression,
            (position, len(expression)),
        )
    return number


def _cpu_percent(expression: str, position: int, metric: Metric) -> float:
    number, unit, unit_at = _number(expression, position, metric)
    if unit != "%":
        raise ThresholdError(
            f"{metric.value} is a CPU percentage: write e.g. 80% "
            "(a process may exceed 100%: 150% is one and a half cores)",
            expression,
            (unit_at if unit else position, len(expression)),
        )
    if metric is Metric.CPU and number > 100:
        raise ThresholdError(
            f"cpu is the whole machine's CPU, at most 100%, got {number:g}% "
            "(generator.cpu and target.cpu count per core and may exceed 100%)",
            expression,
            (position, len(expression)),
        )
    return number


def _bytes(expression: str, position: int, metric: Metric) -> float:
    number, unit, unit_at = _number(expression, position, metric)
    rate = METRIC_KINDS[metric] is Kind.BYTE_RATE
    if rate and unit.endswith("/s"):
        unit = unit[:-2].rstrip()
    scale = size_scale(unit) if unit else None
    if scale is None:
        example = "10MB/s" if rate else "512MB or 2GB"
        raise ThresholdError(
            f"{metric.value} needs a size unit: {SIZE_UNIT_NAMES}, e.g. {example}"
            if not unit
            else f"unknown unit {unit!r} for {metric.value}; use {SIZE_UNIT_NAMES}",
            expression,
            (unit_at if unit else position, len(expression)),
        )
    return number * scale


_VALUE_PARSERS: Mapping[Kind, Callable[[str, int, Metric], float]] = {
    Kind.LATENCY: _latency_ms,
    Kind.PERCENT: _percent,
    Kind.RATE: _rate,
    Kind.COUNT: _count,
    Kind.CPU: _cpu_percent,
    Kind.BYTES: _bytes,
    Kind.BYTE_RATE: _bytes,
}
