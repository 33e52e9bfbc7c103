"""The recording hot path: integer increments into per-endpoint interval counters.

The engine calls `EndpointRecorder.ok/fail` once per completed request. Nothing here allocates a
per-request object: a latency is an index computation and a list increment, a status code a list
increment. Once a second `Recorder.snapshot()` swaps the interval counters out into an immutable
`Snapshot` and starts fresh ones, so memory does not grow with run length.
"""

from __future__ import annotations

from array import array
from collections import OrderedDict
from itertools import compress

from surge.metrics.errors import ErrorKind
from surge.metrics.histogram import (
    HIGHEST_US,
    SUB_BUCKET_HALF_COUNT_MAGNITUDE,
    SUB_BUCKET_MASK,
    Histogram,
    recording_counts,
    take_counts,
)
from surge.metrics.naming import OTHER, SCRIPT_METHOD, Naming, default_name
from surge.metrics.protocol import Count, Timing, Wire
from surge.metrics.values import (
    Arrivals,
    CheckCount,
    DropReason,
    EndpointStats,
    HealthSample,
    Snapshot,
    UserClassStats,
)

_SHIFT = SUB_BUCKET_HALF_COUNT_MAGNITUDE + 1
_STATUS_SLOTS = 1000
_MAX_MESSAGES = 50
_OTHER_MESSAGES = "(other messages)"
_TARGETS_MAX = 16_384  # request targets whose endpoint is remembered (the oldest forgotten first)
_FOLDED_MAX = 100_000  # names over the cap counted exactly; beyond, the count says "at least"


class DenseHistogram:
    """A lazily used dense histogram for secondary timings (service time, lag, loop lag).

    The counts array is allocated on first use and reused: `take()` clears what it read.
    A hot path that records often may instead append raw values to `pending` (keep its bound
    `append`: one C call a value); they are folded in, vectorised, when the interval is taken."""

    __slots__ = ("counts", "max_us", "min_us", "pending", "sum_us")

    def __init__(self) -> None:
        self.counts: array[int] | None = None
        self.pending: list[int] = []  # values in µs, folded in by take() (cleared in place)
        self._reset()

    def _reset(self) -> None:
        self.min_us = HIGHEST_US
        self.max_us = 0
        self.sum_us = 0

    def record(self, value_us: int) -> None:
        value_us = min(max(value_us, 0), HIGHEST_US)
        counts = self.counts
        if counts is None:
            counts = self.counts = recording_counts()
        bucket = (value_us | SUB_BUCKET_MASK).bit_length() - _SHIFT
        counts[(bucket << SUB_BUCKET_HALF_COUNT_MAGNITUDE) + (value_us >> bucket)] += 1
        self.sum_us += value_us
        if value_us > self.max_us:
            self.max_us = value_us
        if value_us < self.min_us:
            self.min_us = value_us

    @property
    def empty(self) -> bool:
        """Nothing recorded since the last `take()` (the counts array may be kept)."""
        return self.min_us > self.max_us and not self.pending

    def take(self) -> Histogram:
        """The recorded values as a Histogram; recording starts again from empty."""
        out = Histogram.empty()
        if self.counts is not None:
            out = take_counts(self.counts, self.min_us, self.max_us, self.sum_us)
            self._reset()
        pending = self.pending
        if pending:
            noted = Histogram.from_array(pending)
            pending.clear()  # in place: hot paths hold its `append`
            out = noted if not out.total else out.merge(noted)
        return out


class ProtocolRecorder:
    """What one endpoint's sessions and streams record (see `surge.metrics.protocol`).

    Counts are integer attributes named like `Count` values (`rec.msgs_sent += 1`); timings are
    `DenseHistogram`s named like `Timing` values (`rec.reply.record(us)`); keep the attribute
    you use on the hot path in a local.
    """

    __slots__ = (
        "close_codes",
        "connect",
        "connections",
        "event_gap",
        "events",
        "first_event",
        "msg_bytes_received",
        "msg_bytes_sent",
        "msgs_received",
        "msgs_sent",
        "ping_rtt",
        "pings",
        "protocols",
        "reconnects",
        "reply",
        "session",
        "session_errors",
        "sessions",
        "tls",
        "upgrade",
    )
    sessions: int
    msgs_sent: int
    msgs_received: int
    msg_bytes_sent: int
    msg_bytes_received: int
    pings: int
    events: int
    reconnects: int
    connections: int
    session_errors: int
    connect: DenseHistogram
    tls: DenseHistogram
    upgrade: DenseHistogram
    session: DenseHistogram
    reply: DenseHistogram
    ping_rtt: DenseHistogram
    first_event: DenseHistogram
    event_gap: DenseHistogram

    def __init__(self) -> None:
        for timing in Timing:
            setattr(self, timing.value, DenseHistogram())
        self._reset()

    def _reset(self) -> None:
        for count in Count:
            setattr(self, count.value, 0)
        self.close_codes: dict[int, int] = {}
        self.protocols: dict[str, int] = {}

    def timing(self, timing: Timing) -> DenseHistogram:
        """The histogram of `timing` (the same object for the recorder's life)."""
        found: DenseHistogram = getattr(self, timing.value)
        return found

    def closed(self, code: int) -> None:
        """A WebSocket session closed with `code` (1006: without a close frame)."""
        self.close_codes[code] = self.close_codes.get(code, 0) + 1

    def carried(self, wire: Wire, n: int = 1) -> None:
        """`n` exchanges went over `wire`."""
        self.protocols[wire.value] = self.protocols.get(wire.value, 0) + n

    @property
    def busy(self) -> bool:
        return bool(
            self.protocols
            or self.close_codes
            or any(getattr(self, count.value) for count in Count)
            or any(not getattr(self, timing.value).empty for timing in Timing)
        )

    def take(self) -> tuple[dict[str, int], dict[str, Histogram], dict[int, int], dict[str, int]]:
        """(counts, timings, close codes, protocols) of the interval; recording starts again."""
        counts = {c.value: n for c in Count if (n := getattr(self, c.value))}
        timings: dict[str, Histogram] = {}
        for timing in Timing:
            dense: DenseHistogram = getattr(self, timing.value)
            if not dense.empty:
                timings[timing.value] = dense.take()
        out = (counts, timings, dict(sorted(self.close_codes.items())), dict(self.protocols))
        self._reset()
        return out


class EndpointRecorder:
    """Interval counters of one endpoint. Call `ok` or `fail` once per completed request."""

    __slots__ = (
        "_fail_counts",
        "_fail_max",
        "_fail_min",
        "_fail_sum",
        "_latency",
        "bytes_received",
        "checks",
        "errors",
        "failures",
        "incompletes",
        "max_us",
        "messages",
        "method",
        "min_us",
        "name",
        "proto",
        "retries",
        "schedule_lag",
        "service_time",
        "status",
        "successes",
        "sum_us",
    )

    def __init__(self, method: str, name: str) -> None:
        self.method = method
        self.name = name
        self._latency = recording_counts()  # reused: `take()` clears the buckets it read
        self._fail_counts: array[int] | None = None
        self.service_time = DenseHistogram()
        self.schedule_lag = DenseHistogram()
        self.proto: ProtocolRecorder | None = None
        self._reset()

    def _reset(self) -> None:
        self.successes = 0
        self.sum_us = 0
        self.min_us = HIGHEST_US
        self.max_us = 0
        self.status = [0] * _STATUS_SLOTS
        self.bytes_received = 0
        self.failures = 0
        self.errors: dict[str, int] = {}
        self.messages: dict[str, int] = {}
        self._fail_sum = 0
        self._fail_min = HIGHEST_US
        self._fail_max = 0
        self.incompletes = 0
        self.retries = 0
        self.checks: dict[str, list[int]] = {}

    def ok(self, latency_us: int, status: int, nbytes: int) -> None:
        """A successful request: into the latency histogram."""
        if latency_us > HIGHEST_US:
            latency_us = HIGHEST_US
        bucket = (latency_us | SUB_BUCKET_MASK).bit_length() - _SHIFT
        self._latency[(bucket << SUB_BUCKET_HALF_COUNT_MAGNITUDE) + (latency_us >> bucket)] += 1
        self.successes += 1
        self.sum_us += latency_us
        if latency_us > self.max_us:
            self.max_us = latency_us
        if latency_us < self.min_us:
            self.min_us = latency_us
        self.status[status % _STATUS_SLOTS] += 1
        self.bytes_received += nbytes

    def fail(
        self, latency_us: int, kind: ErrorKind, status: int, nbytes: int, message: str
    ) -> None:
        """A failed request: counted by error class, never in the success histogram."""
        latency_us = min(max(latency_us, 0), HIGHEST_US)
        self.failures += 1
        self.errors[kind.value] = self.errors.get(kind.value, 0) + 1
        if status:
            self.status[status % _STATUS_SLOTS] += 1
        self.bytes_received += nbytes
        self._note(kind, message)
        if self._fail_counts is None:
            self._fail_counts = recording_counts()
        bucket = (latency_us | SUB_BUCKET_MASK).bit_length() - _SHIFT
        self._fail_counts[(bucket << SUB_BUCKET_HALF_COUNT_MAGNITUDE) + (latency_us >> bucket)] += 1
        self._fail_sum += latency_us
        self._fail_min = min(self._fail_min, latency_us)
        self._fail_max = max(self._fail_max, latency_us)

    def _note(self, kind: ErrorKind, message: str) -> None:
        text = f"{kind.value}: {message}" if message else kind.value
        if text in self.messages or len(self.messages) < _MAX_MESSAGES:
            self.messages[text] = self.messages.get(text, 0) + 1
        else:
            self.messages[_OTHER_MESSAGES] = self.messages.get(_OTHER_MESSAGES, 0) + 1

    def error(self, kind: ErrorKind, message: str) -> None:
        """An error inside a session or stream that opened (a reply that never came, a
        connection dropped mid-stream): counted by kind and message like a failed request's,
        and as a `session_errors` count, but not as a failed request (the opening succeeded)."""
        self.errors[kind.value] = self.errors.get(kind.value, 0) + 1
        self._note(kind, message)
        self.protocol().session_errors += 1

    def protocol(self) -> ProtocolRecorder:
        """The endpoint's protocol recorder (created on first use; keep it)."""
        proto = self.proto
        if proto is None:
            proto = self.proto = ProtocolRecorder()
        return proto

    def incomplete(self) -> None:
        """A request abandoned in flight when the run ended (neither success nor failure)."""
        self.incompletes += 1

    def retry(self) -> None:
        """A request re-sent on a fresh connection after the stale keep-alive race (it is
        recorded once, by how its re-send ends)."""
        self.retries += 1

    def timing(self, service_us: int, lag_us: int) -> None:
        """Open model: the service time and schedule lag of a request just recorded by ok/fail
        (whose latency ran from the intended send time)."""
        self.service_time.record(service_us)
        self.schedule_lag.record(lag_us)

    def check(self, name: str, passed: bool) -> None:
        """One evaluation of the named check on a response of this endpoint."""
        counts = self.checks.get(name)
        if counts is None:
            counts = self.checks[name] = [0, 0]
        counts[0 if passed else 1] += 1

    @property
    def busy(self) -> bool:
        proto = self.proto
        return bool(
            self.successes
            or self.failures
            or self.incompletes
            or self.checks
            or self.retries
            or self.errors
            or (proto is not None and proto.busy)
        )

    def _take_status(self) -> dict[int, int]:
        """The status codes counted: at once when every answer was a 200 (the usual second),
        else by C-level iteration over the slots (a run with a thousand endpoints takes a
        thousand of these a second)."""
        status = self.status
        if not self.failures and status[200] == self.successes:
            return {200: self.successes} if self.successes else {}
        return {code: status[code] for code in compress(range(_STATUS_SLOTS), status)}

    def take(self) -> EndpointStats:
        """The interval's counts as a value; the counters start again from zero."""
        latency = (
            take_counts(self._latency, self.min_us, self.max_us, self.sum_us)
            if self.successes
            else Histogram.empty()
        )
        failure_latency = (
            take_counts(self._fail_counts, self._fail_min, self._fail_max, self._fail_sum)
            if self._fail_counts is not None and self.failures
            else Histogram.empty()
        )
        counts: dict[str, int] = {}
        timings: dict[str, Histogram] = {}
        close_codes: dict[int, int] = {}
        protocols: dict[str, int] = {}
        if self.proto is not None:
            counts, timings, close_codes, protocols = self.proto.take()
        stats = EndpointStats(
            method=self.method,
            name=self.name,
            requests=self.successes + self.failures,
            failures=self.failures,
            bytes_received=self.bytes_received,
            status_codes=self._take_status(),
            errors=dict(self.errors),
            error_messages=dict(self.messages),
            latency=latency,
            failure_latency=failure_latency,
            incomplete=self.incompletes,
            checks={name: CheckCount(p, f) for name, (p, f) in sorted(self.checks.items())},
            service_time=self.service_time.take(),
            schedule_lag=self.schedule_lag.take(),
            retries=self.retries,
            counts=counts,
            timings=timings,
            close_codes=close_codes,
            protocols=protocols,
        )
        self._reset()
        return stats


class ArrivalRecorder:
    """Open-model accounting counters (see `Arrivals`); the engine's scheduler calls these."""

    __slots__ = ("completed", "dropped", "failed", "in_flight_at_end", "lag", "scheduled")

    def __init__(self) -> None:
        self.lag = DenseHistogram()
        self._reset()

    def _reset(self) -> None:
        self.scheduled = 0
        self.completed = 0
        self.failed = 0
        self.dropped: dict[str, int] = {}
        self.in_flight_at_end = 0

    def drop(self, reason: DropReason, n: int = 1) -> None:
        """`n` scheduled arrivals that were never started."""
        self.dropped[reason.value] = self.dropped.get(reason.value, 0) + n

    def take(self) -> Arrivals:
        out = Arrivals(
            scheduled=self.scheduled,
            completed=self.completed,
            failed=self.failed,
            dropped=dict(sorted(self.dropped.items())),
            in_flight_at_end=self.in_flight_at_end,
            lag=self.lag.take(),
        )
        self._reset()
        return out


class UserClassRecorder:
    """Interval counters of one User class (scripted runs). The engine's hook: a workload adds
    1 to `users` when it starts a virtual user of the class, to `iterations` when one of its
    task iterations ends, and (through the user's `Session`) to `requests` per completed
    request."""

    __slots__ = ("iterations", "name", "requests", "users")

    def __init__(self, name: str) -> None:
        self.name = name
        self.users = 0
        self.iterations = 0
        self.requests = 0

    @property
    def busy(self) -> bool:
        return bool(self.users or self.iterations or self.requests)

    def take(self) -> UserClassStats:
        out = UserClassStats(self.name, self.users, self.iterations, self.requests)
        self.users = self.iterations = self.requests = 0
        return out


class Recorder:
    """All endpoints of one worker. Single-threaded: used from the worker's event loop only.

    `naming` decides the name of a request without `name=` (`endpoint_for`) and how many
    distinct names are kept: the requests of names beyond `naming.max_endpoints` are recorded
    under `(other)`, one per method, and `names_seen` counts every distinct name.
    """

    def __init__(self, worker: int = 0, naming: Naming | None = None) -> None:
        self.worker = worker
        self.naming = naming if naming is not None else Naming()
        self._endpoints: dict[tuple[str, str], EndpointRecorder] = {}
        self._named = 0  # endpoints under their own name (script errors aside)
        self._folded: set[tuple[str, str]] = set()
        self._by_target: OrderedDict[tuple[str, str], EndpointRecorder] = OrderedDict()
        self._seq = 0
        self.arrivals = ArrivalRecorder()
        self._user_classes: dict[str, UserClassRecorder] = {}

    def endpoint(self, method: str, name: str) -> EndpointRecorder:
        """The recorder of (method, name); call once per endpoint and keep the object. Over the
        cap, the recorder of (method, `(other)`)."""
        key = (method, name)
        found = self._endpoints.get(key)
        if found is None:
            if method != SCRIPT_METHOD:
                if self._named >= self.naming.max_endpoints:
                    return self._over_cap(key)
                self._named += 1
            found = self._endpoints[key] = EndpointRecorder(method, name)
        return found

    def endpoint_for(self, method: str, target: str) -> EndpointRecorder:
        """The recorder of a request without `name=` to `target` (a path or URL): named by the
        run's rules (`surge.metrics.naming`), worked out once per distinct target."""
        key = (method, target)
        found = self._by_target.get(key)
        if found is None:
            found = self.endpoint(method, default_name(target, self.naming.template))
            if len(self._by_target) >= _TARGETS_MAX:  # one at a time: no stall freeing them all
                self._by_target.popitem(last=False)
            self._by_target[key] = found
        return found

    def _over_cap(self, key: tuple[str, str]) -> EndpointRecorder:
        if len(self._folded) < _FOLDED_MAX:
            self._folded.add(key)
        other = (key[0], OTHER)
        found = self._endpoints.get(other)
        if found is None:
            found = self._endpoints[other] = EndpointRecorder(*other)
        return found

    @property
    def names_seen(self) -> int:
        """Distinct endpoint names so far, those counted under `(other)` included."""
        return self._named + len(self._folded)

    def user_class(self, name: str) -> UserClassRecorder:
        """The counters of User class `name`; call once per virtual user and keep the object."""
        found = self._user_classes.get(name)
        if found is None:
            found = self._user_classes[name] = UserClassRecorder(name)
        return found

    def snapshot(
        self,
        start_s: float,
        end_s: float,
        active_users: int,
        *,
        health: HealthSample | None = None,
        target: float | None = None,
    ) -> Snapshot:
        """Take the interval since the last snapshot as an immutable Snapshot."""
        endpoints = tuple(ep.take() for ep in self._endpoints.values() if ep.busy)
        snap = Snapshot(
            self._seq,
            self.worker,
            start_s,
            end_s,
            active_users,
            endpoints,
            arrivals=self.arrivals.take(),
            health=health,
            target=target,
            user_classes=tuple(c.take() for c in self._user_classes.values() if c.busy),
            names_seen=self.names_seen,
        )
        self._seq += 1
        return snap
