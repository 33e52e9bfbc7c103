"""Open-model URL load: arrivals at scheduled times, whether or not earlier requests finished.

A scheduler walks the plan's arrival times (`pace(elapsed_s, issued)`, vegeta-style) against the
clock and starts each arrival on an idle keep-alive connection, or on a new one while fewer than
`max_in_flight` requests are in flight; otherwise the arrival is dropped and counted
(`DropReason.MAX_IN_FLIGHT`). Nothing waits in a queue, so a stalled server cannot slow the
schedule down (no coordinated omission).

Each request's latency runs from its *intended* time (the schedule), so time a request spent
waiting for the generator counts; the service time (actual send to done) and the schedule lag
(intended to actual send) are recorded beside it. Every scheduled arrival ends exactly once as
completed, failed, dropped or in flight at the end.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable
from time import perf_counter_ns
from typing import cast

import httptools

from surge.engine.expect import ResponseJudge
from surge.engine.fastconn import connect, watch_timeouts
from surge.engine.http.classify import (
    ConnectionClosedError,
    RequestTimeoutError,
    classify_error,
    describe_error,
)
from surge.engine.http.config import ClientConfig
from surge.engine.http.request import static_request
from surge.engine.http.tls import client_ssl_context
from surge.metrics.errors import ErrorKind
from surge.metrics.recorder import ArrivalRecorder, Recorder
from surge.metrics.values import DropReason
from surge.scenario.spec import EndpointSpec

Pace = Callable[[float, int], float | None]
"""`pace(elapsed_s, issued)`: seconds until arrival number `issued` is due (<= 0: due already;
None: no more arrivals). A positive wait may only mean "ask again then" (load shapes)."""

_MAX_SLEEP_S = 0.05  # the scheduler re-checks the stop flag at least this often
_CLOSE_WAIT_S = 1.0
_CLOSE_POLL_S = 0.005


class _Pool:
    """What every connection of one run shares: the target, the counters, the idle list."""

    __slots__ = (
        "accepting",
        "arrivals",
        "busy",
        "closing",
        "config",
        "endpoint",
        "idle",
        "judge",
        "loop",
        "on_in_flight",
        "origin",
        "request",
        "ssl_ctx",
    )

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        spec: EndpointSpec,
        recorder: Recorder,
        config: ClientConfig,
        on_in_flight: Callable[[int], None] | None,
    ) -> None:
        self.loop = loop
        self.origin, self.request = static_request(spec.method, spec.url, spec.headers, spec.body)
        self.endpoint = recorder.endpoint(spec.method.upper(), spec.endpoint_name)
        self.arrivals: ArrivalRecorder = recorder.arrivals
        self.judge = ResponseJudge(spec.expect) if spec.expect is not None else None
        self.config = config
        self.ssl_ctx: ssl.SSLContext | None = (
            client_ssl_context(config.insecure, config.ca_file) if self.origin.tls else None
        )
        self.on_in_flight = on_in_flight
        self.idle: list[_Conn] = []
        self.busy: set[_Conn] = set()
        self.closing: set[_Conn] = set()
        self.accepting = True  # False once the schedule is over: idle connections close

    @property
    def open_count(self) -> int:
        return len(self.idle) + len(self.busy)

    def in_flight_changed(self) -> None:
        if self.on_in_flight is not None:
            self.on_in_flight(len(self.busy))


class _Conn(asyncio.Protocol):
    """One keep-alive connection; carries at most one request at a time."""

    __slots__ = (
        "dead",
        "intended_ns",
        "parser",
        "pool",
        "reused",
        "rx",
        "sent_ns",
        "tick_ns",
        "tick_rx",
        "transport",
    )

    def __init__(self, pool: _Pool) -> None:
        self.pool = pool
        self.parser = httptools.HttpResponseParser(self)
        self.transport: asyncio.Transport | None = None
        self.intended_ns = 0  # non-zero while a request is in flight
        self.sent_ns = 0
        self.rx = 0
        self.reused = False
        self.dead = False
        self.tick_ns = 0
        self.tick_rx = 0

    # -- the request ------------------------------------------------------------------------

    def start(self, intended_ns: int, now_ns: int) -> None:
        """Carry the arrival due at `intended_ns`, started at `now_ns`."""
        self.intended_ns = intended_ns
        self.sent_ns = now_ns
        self.tick_ns = now_ns
        self.tick_rx = 0
        if self.transport is not None:
            self.transport.write(self.pool.request)

    def _settle(self, now_ns: int) -> tuple[int, int, int]:
        """End the request in flight: (latency, service, lag) in µs; the pool forgets it."""
        latency_us = (now_ns - self.intended_ns) // 1000
        service_us = (now_ns - self.sent_ns) // 1000
        lag_us = (self.sent_ns - self.intended_ns) // 1000
        self.intended_ns = 0
        pool = self.pool
        pool.busy.discard(self)
        pool.in_flight_changed()
        return latency_us, service_us, lag_us

    def fail(self, exc: BaseException) -> None:
        """Record `exc` against the request in flight (if any) and drop the connection."""
        self._record_failure(exc)
        self.close(abort=True)

    def _record_failure(self, exc: BaseException) -> None:
        if self.intended_ns:
            pool = self.pool
            nbytes = self.rx
            latency_us, service_us, lag_us = self._settle(perf_counter_ns())
            pool.endpoint.fail(latency_us, classify_error(exc), 0, nbytes, describe_error(exc))
            pool.endpoint.timing(service_us, lag_us)
            pool.arrivals.failed += 1

    def close(self, *, abort: bool = False) -> None:
        if self.dead:
            return
        self.dead = True
        pool = self.pool
        pool.busy.discard(self)
        if self in pool.idle:
            pool.idle.remove(self)
        if self.transport is not None:
            pool.closing.add(self)
            if abort:
                self.transport.abort()
            else:
                self.transport.close()

    # -- asyncio.Protocol -------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop transports: not subclasses
        if self.intended_ns:
            self.transport.write(self.pool.request)

    def data_received(self, data: bytes) -> None:
        self.rx += len(data)
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self.fail(exc)

    def on_message_complete(self) -> None:
        now_ns = perf_counter_ns()
        pool = self.pool
        if not self.intended_ns:  # a response nobody asked for
            self.fail(ConnectionClosedError("unsolicited response"))
            return
        status = self.parser.get_status_code()
        nbytes = self.rx
        latency_us, service_us, lag_us = self._settle(now_ns)
        verdict = self._judge(status)
        if verdict is None:
            pool.endpoint.ok(latency_us, status, nbytes)
            pool.arrivals.completed += 1
        else:
            kind, message = verdict
            pool.endpoint.fail(latency_us, kind, status, nbytes, message)
            pool.arrivals.failed += 1
        pool.endpoint.timing(service_us, lag_us)
        self.rx = 0
        self.reused = True
        if pool.accepting and self.parser.should_keep_alive():
            pool.idle.append(self)
        else:
            self.close()

    def _judge(self, status: int) -> tuple[ErrorKind, str] | None:
        judge = self.pool.judge
        if judge is None:
            return None if status < 400 else (ErrorKind.HTTP_STATUS, f"HTTP {status}")
        body, encoding = self.take_body()
        return judge.judge(status, body, encoding, self.pool.endpoint)

    def take_body(self) -> tuple[bytes, str]:
        """The response body and its Content-Encoding (collected by `_BodyConn` only)."""
        return b"", ""

    def connection_lost(self, exc: Exception | None) -> None:
        pool = self.pool
        pool.closing.discard(self)
        was_dead = self.dead
        self.dead = True
        if self in pool.idle:
            pool.idle.remove(self)
        if was_dead or not self.intended_ns:
            return
        if self.reused and not self.rx and (exc is None or isinstance(exc, ConnectionError)):
            # Stale keep-alive race: the server closed the idle connection as we wrote.
            # Resend once on a fresh connection, keeping the request's intended and sent times.
            pool.busy.discard(self)
            _open(pool, self.intended_ns, self.sent_ns)
            return
        self._record_failure(
            exc
            or ConnectionClosedError(
                "connection closed mid-response" if self.rx else "connection closed before response"
            )
        )


class _BodyConn(_Conn):
    """A connection that keeps each response's body and Content-Encoding, for expectations on
    the body (the plain `_Conn` has no body or header callbacks: httptools skips them)."""

    __slots__ = ("body", "encoding")

    def __init__(self, pool: _Pool) -> None:
        super().__init__(pool)
        self.body: list[bytes] = []
        self.encoding = ""

    def on_message_begin(self) -> None:
        self.body.clear()
        self.encoding = ""

    def on_header(self, name: bytes, value: bytes) -> None:
        if name.lower() == b"content-encoding":
            self.encoding = value.decode("latin-1")

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def take_body(self) -> tuple[bytes, str]:
        body = b"".join(self.body)
        self.body.clear()
        return body, self.encoding


def _open(pool: _Pool, intended_ns: int, sent_ns: int) -> None:
    """Carry an arrival on a new connection (its connect time counts as service time)."""
    conn = (_BodyConn if pool.judge is not None and pool.judge.needs_body else _Conn)(pool)
    conn.start(intended_ns, sent_ns)
    pool.busy.add(conn)
    pool.in_flight_changed()
    pool.loop.create_task(_connect(pool, conn))


async def _connect(pool: _Pool, conn: _Conn) -> None:
    timeout_s = pool.config.connect_timeout_s
    try:
        await connect(pool.loop, conn, pool.origin, pool.ssl_ctx, timeout_s)
    except Exception as exc:  # every connect failure is recorded, never raised
        conn.fail(exc)


def _issue(pool: _Pool, intended_ns: int, max_in_flight: int) -> None:
    """Start the arrival due at `intended_ns`, or drop it when the in-flight cap is reached."""
    arrivals = pool.arrivals
    arrivals.scheduled += 1
    if len(pool.busy) >= max_in_flight:
        arrivals.drop(DropReason.MAX_IN_FLIGHT)
        return
    now_ns = perf_counter_ns()
    arrivals.lag.record((now_ns - intended_ns) // 1000)
    idle = pool.idle
    while idle:
        conn = idle.pop()
        if conn.dead:
            continue
        conn.start(intended_ns, now_ns)
        pool.busy.add(conn)
        pool.in_flight_changed()
        return
    _open(pool, intended_ns, now_ns)


async def follow_schedule(
    pace: Pace, issue: Callable[[int, int], None], arrivals: ArrivalRecorder, stop: asyncio.Event
) -> None:
    """Call `issue(k, intended_ns)` for every arrival k when it falls due, until the schedule
    ends or `stop` is set. On stop, arrivals already due but not yet issued (the generator was
    behind) are dropped as stopped. Shared by URL mode and scripted users."""
    t0_ns = perf_counter_ns()
    k = 0
    while True:
        now_ns = perf_counter_ns()
        wait_s = pace((now_ns - t0_ns) / 1e9, k)
        if wait_s is None:
            return
        if stop.is_set():
            drop_due(arrivals, pace, t0_ns, k)
            return
        if wait_s > 0:
            await asyncio.sleep(min(wait_s, _MAX_SLEEP_S))
            continue
        issue(k, now_ns + int(wait_s * 1e9))
        k += 1


def drop_due(arrivals: ArrivalRecorder, pace: Pace, t0_ns: int, k: int) -> None:
    """The run stopped: count the arrivals already due from number `k` on as dropped."""
    elapsed_s = (perf_counter_ns() - t0_ns) / 1e9
    while (wait_s := pace(elapsed_s, k)) is not None and wait_s <= 0:
        arrivals.scheduled += 1
        arrivals.drop(DropReason.STOPPED)
        k += 1


def _watch_step(pool: _Pool, read_ns: int, total_ns: int) -> None:
    """Fail every request in flight whose total time or read gap is over its timeout."""
    now = perf_counter_ns()
    for conn in list(pool.busy):
        if not conn.intended_ns or conn.transport is None or conn.dead:
            continue  # connecting: the connect timeout applies
        if now - conn.sent_ns >= total_ns:
            conn.fail(RequestTimeoutError("total timeout: response not complete in time"))
        elif conn.rx != conn.tick_rx:
            conn.tick_rx = conn.rx
            conn.tick_ns = now
        elif now - conn.tick_ns >= read_ns:
            conn.fail(RequestTimeoutError(f"read timeout: no data for {read_ns / 1e9:.3g} s"))


async def _watchdog(pool: _Pool) -> None:
    await watch_timeouts(
        pool.config, lambda read_ns, total_ns: _watch_step(pool, read_ns, total_ns)
    )


async def _drain(pool: _Pool, graceful_stop_s: float) -> None:
    """Wait up to the grace period for requests in flight; count the rest as incomplete."""
    deadline = pool.loop.time() + graceful_stop_s
    while pool.busy and pool.loop.time() < deadline:
        await asyncio.sleep(_CLOSE_POLL_S)
    for conn in list(pool.busy):
        if conn.intended_ns:
            conn.intended_ns = 0
            pool.endpoint.incomplete()
            pool.arrivals.in_flight_at_end += 1
        conn.close(abort=True)
    pool.busy.clear()
    pool.in_flight_changed()
    for conn in list(pool.idle):
        conn.close()
    deadline = pool.loop.time() + _CLOSE_WAIT_S
    while pool.closing and pool.loop.time() < deadline:
        await asyncio.sleep(_CLOSE_POLL_S)
    for conn in list(pool.closing):
        if conn.transport is not None:
            conn.transport.abort()
    if pool.closing:
        await asyncio.sleep(0)
    pool.closing.clear()


async def run_open_url(
    spec: EndpointSpec,
    *,
    pace: Pace,
    max_in_flight: int,
    recorder: Recorder,
    config: ClientConfig,
    stop: asyncio.Event,
    graceful_stop_s: float = 5.0,
    on_active_change: Callable[[int], None] | None = None,
) -> None:
    """Send `spec` at the arrival times `pace` gives (see `Pace`) until the schedule ends or
    `stop` is set; see the module docstring.

    Raises ValueError (before any traffic) for an invalid URL or `max_in_flight` < 1.
    """
    if max_in_flight < 1:
        raise ValueError(f"max_in_flight must be at least 1 (got {max_in_flight})")
    loop = asyncio.get_running_loop()
    pool = _Pool(loop, spec, recorder, config, on_active_change)
    watchdog = loop.create_task(_watchdog(pool))
    try:
        await follow_schedule(
            pace,
            lambda _k, intended_ns: _issue(pool, intended_ns, max_in_flight),
            pool.arrivals,
            stop,
        )
        pool.accepting = False
        for conn in list(pool.idle):
            conn.close()
        await _drain(pool, graceful_stop_s)
    finally:
        watchdog.cancel()
        await asyncio.gather(watchdog, return_exceptions=True)
        for conn in list(pool.busy) + list(pool.idle):
            conn.close(abort=True)
