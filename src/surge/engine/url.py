"""The URL workload: every iteration sends one pre-serialised request (`surge run URL`).

No coroutine and no future per request. Each connection is an `Http1Connection` whose
completion hook records the response and, in the closed model, writes the user's next request
from inside the callback (or arms a think-time timer); in the open model it goes back to the
idle pool and tells the driver. A coroutine per closed-model user exists only to connect,
reconnect and back off after errors.

A closed-model request is issued when its user starts it (before connecting, when a connection
is needed): its latency includes any connect time. An open-model request's latency runs from
its intended time, with the service time and the schedule lag recorded beside it. Either way a
request is accounted exactly once: ok, fail, or incomplete (abandoned in flight).

With expectations (`--expect-status/-body/-json`) a `ResponseJudge` decides what a complete
response counts as, and only when it needs the body do connections collect it (`on_body` and
the Content-Encoding header); without expectations none of that exists.
"""

from __future__ import annotations

import asyncio
import ssl
from time import perf_counter_ns

from surge.engine.closed import pause
from surge.engine.expect import ResponseJudge
from surge.engine.http.classify import classify_error, describe_error
from surge.engine.http.config import ClientConfig
from surge.engine.http.connection import HeadAwareConnection, Http1Connection, connect
from surge.engine.http.request import static_request
from surge.engine.http.tls import client_ssl_context
from surge.engine.workload import IterationSink, RunContext, Ticket
from surge.metrics.errors import ErrorKind
from surge.metrics.recorder import EndpointRecorder
from surge.scenario.spec import EndpointSpec

_BACKOFF_MIN_S = 0.01
_BACKOFF_MAX_S = 0.1
_CLOSE_WAIT_S = 1.0
_CLOSE_POLL_S = 0.005

# How a closed-model user's connection ended, as its coroutine sees it.
_FINISHED = 0  # the user has issued all it may: stop
_RECONNECT = 1  # the server closed keep-alive (or the idle connection): reconnect now
_RETRY = 2  # the server closed a reused idle connection under our request: resend it once
_ERROR = 3  # a recorded failure: back off, reconnect, continue


class UrlWorkload:
    """One endpoint, requested over and over; implements `Workload` (see workload.py)."""

    def __init__(self, spec: EndpointSpec, config: ClientConfig, think_time_s: float = 0.0):
        # An invalid URL raises ValueError here, before any traffic.
        self.origin, self.wire = static_request(spec.method, spec.url, spec.headers, spec.body)
        self.spec = spec
        self.config = config
        self.think_time_s = think_time_s
        expect = spec.expect
        self.judge = ResponseJudge(expect) if expect is not None and not expect.empty else None
        body = self.judge is not None and self.judge.needs_body
        head = spec.method.upper() == "HEAD"
        self.user_conn: type[_UserConn] = (
            _HeadUserConn if head else _BodyUserConn if body else _UserConn
        )
        self.slot_conn: type[_SlotConn] = (
            _HeadSlotConn if head else _BodySlotConn if body else _SlotConn
        )
        self.ssl_ctx: ssl.SSLContext | None = (
            client_ssl_context(config.insecure, config.ca_file) if self.origin.tls else None
        )
        self.users: set[_UrlUser] = set()
        self.live: set[_Conn] = set()  # every connection not yet gone
        self.idle: list[_SlotConn] = []
        self.over = False  # open model: the schedule is over, idle connections close
        self._loop: asyncio.AbstractEventLoop | None = None
        self._endpoint: EndpointRecorder | None = None
        self._sink: IterationSink | None = None

    def bind(self, ctx: RunContext, sink: IterationSink | None) -> None:
        self._loop = asyncio.get_running_loop()
        self._endpoint = ctx.recorder.endpoint(self.spec.method.upper(), self.spec.endpoint_name)
        self._sink = sink

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        assert self._loop is not None, "bind() first"
        return self._loop

    @property
    def endpoint(self) -> EndpointRecorder:
        assert self._endpoint is not None, "bind() first"
        return self._endpoint

    @property
    def sink(self) -> IterationSink:
        assert self._sink is not None, "the open model binds a sink"
        return self._sink

    # -- closed model ----------------------------------------------------------------------

    async def run_user(self, ticket: Ticket) -> None:
        """Issue, connect, and reconnect after errors until the ticket runs out."""
        user = _UrlUser(ticket)
        self.users.add(user)
        backoff_s = _BACKOFF_MIN_S
        conn: _UserConn | None = None
        try:
            while True:
                if not user.t0:  # else: a request to resend (stale keep-alive retry)
                    if user.issued >= ticket.limit:
                        return
                    user.issued += 1
                    user.t0 = perf_counter_ns()
                conn = self.user_conn(self, user)
                user.conn = conn
                how = await self._connect(conn, user.t0)
                if how == _FINISHED:
                    return
                if how == _ERROR:
                    backoff_s = (
                        _BACKOFF_MIN_S if conn.reused else min(backoff_s * 2, _BACKOFF_MAX_S)
                    )
                    if await pause(ticket, backoff_s):
                        return
        finally:
            if user.t0:  # cancelled in flight without abandon(): still counted
                user.t0 = 0
                self.endpoint.incomplete()
            if conn is not None and not conn.dead:
                conn.abort()
            user.conn = None
            self.users.discard(user)

    async def _connect(self, conn: _UserConn, t0: int) -> int:
        conn.send(self.wire, t0)
        self.live.add(conn)
        try:
            await connect(self.loop, conn, self.origin, self.ssl_ctx, self.config.connect_timeout_s)
        except Exception as exc:  # every connect failure is recorded, never raised
            conn.connect_failed(exc)
        return await conn.finished

    # -- open model ------------------------------------------------------------------------

    def start(self, k: int, intended_ns: int) -> None:
        now_ns = perf_counter_ns()
        idle = self.idle
        while idle:
            conn = idle.pop()
            if not conn.dead:
                conn.carry(intended_ns, now_ns)
                return
        self._open(intended_ns, now_ns)

    def _open(self, intended_ns: int, sent_ns: int) -> None:
        """Carry an arrival on a new connection (its connect time counts as service time)."""
        conn = self.slot_conn(self)
        self.live.add(conn)
        conn.carry(intended_ns, sent_ns)
        self.loop.create_task(self._connect_slot(conn))

    async def _connect_slot(self, conn: _SlotConn) -> None:
        try:
            await connect(self.loop, conn, self.origin, self.ssl_ctx, self.config.connect_timeout_s)
        except Exception as exc:  # every connect failure is recorded, never raised
            conn.connect_failed(exc)

    # -- the end -----------------------------------------------------------------------------

    def abandon(self) -> int:
        """Count what is in flight as incomplete and drop it."""
        endpoint = self.endpoint
        abandoned = 0
        for user in list(self.users):
            if user.t0:
                user.t0 = 0
                endpoint.incomplete()
                abandoned += 1
            if user.conn is not None:
                user.conn.abort()
        for conn in list(self.live):
            if isinstance(conn, _SlotConn) and conn.intended_ns:
                conn.intended_ns = 0
                endpoint.incomplete()
                abandoned += 1
                conn.abort()
        return abandoned

    async def close(self) -> None:
        """Close idle connections and wait (briefly) until every connection is gone."""
        self.over = True
        for conn in list(self.live):
            conn.close()
        loop = self.loop
        deadline = loop.time() + _CLOSE_WAIT_S
        while self.live and loop.time() < deadline:
            await asyncio.sleep(_CLOSE_POLL_S)
        for conn in list(self.live):
            if conn.transport is not None:
                conn.transport.abort()
        if self.live:
            await asyncio.sleep(0)
        self.live.clear()

    # -- recording (shared by both models) ---------------------------------------------------

    def judged(self, status: int, latency_us: int, nbytes: int, body: bytes, encoding: str) -> bool:
        """Record a whole response through the judge; True when it counts as a failure."""
        assert self.judge is not None
        endpoint = self.endpoint
        verdict = self.judge.judge(status, body, encoding, endpoint)
        if verdict is None:
            endpoint.ok(latency_us, status, nbytes)
            return False
        endpoint.fail(latency_us, verdict[0], status, nbytes, verdict[1])
        return True

    def record_failure(self, exc: BaseException, latency_us: int, nbytes: int) -> None:
        self.endpoint.fail(latency_us, classify_error(exc), 0, nbytes, describe_error(exc))


class _UrlUser:
    """A closed-model user's state across its connections. `t0` is non-zero while in flight."""

    __slots__ = ("conn", "issued", "t0", "ticket")

    def __init__(self, ticket: Ticket) -> None:
        self.ticket = ticket
        self.issued = 0
        self.t0 = 0
        self.conn: _UserConn | None = None


class _Conn(Http1Connection):
    __slots__ = ("body", "encoding", "work")

    def __init__(self, work: UrlWorkload) -> None:
        super().__init__(work.loop, work.config)
        self.work = work
        self.body: list[bytes] = []  # the body and Content-Encoding, for a judge that reads
        self.encoding = ""  # them (collected by the body classes only, see `_collecting`)

    def gone(self) -> None:
        self.work.live.discard(self)

    def body_and_encoding(self) -> tuple[bytes, str]:
        body = b"".join(self.body)
        self.body = []
        return body, self.encoding

    # httptools calls only the callbacks a protocol defines: the body classes define these.
    def _begin_body(self) -> None:
        self.body = []
        self.encoding = ""

    def _note_encoding(self, name: bytes, value: bytes) -> None:
        if name.lower() == b"content-encoding":
            self.encoding = value.decode("latin-1")

    def _collect_body(self, body: bytes) -> None:
        self.body.append(body)


class _UserConn(_Conn):
    """One connection of one closed-model user; the fast path of URL mode."""

    __slots__ = ("endpoint", "finished", "ok", "think_handle", "think_s", "user", "wire")

    def __init__(self, work: UrlWorkload, user: _UrlUser) -> None:
        super().__init__(work)
        self.user = user
        self.wire = work.wire
        self.think_s = work.think_time_s
        self.endpoint = endpoint = work.endpoint
        self.ok = endpoint.ok
        self.finished: asyncio.Future[int] = work.loop.create_future()
        self.think_handle: asyncio.TimerHandle | None = None

    def complete(self, status: int, start_ns: int, now_ns: int, keep_alive: bool) -> None:
        user = self.user
        latency_us = (now_ns - user.t0) // 1000
        if self.work.judge is not None:
            body, encoding = self.body_and_encoding()
            self.work.judged(status, latency_us, self.rx, body, encoding)
        elif status < 400:
            self.ok(latency_us, status, self.rx)
        else:
            self.endpoint.fail(latency_us, ErrorKind.HTTP_STATUS, status, self.rx, f"HTTP {status}")
        if user.issued >= user.ticket.limit:
            user.t0 = 0
            self.end(_FINISHED)
        elif not keep_alive:
            user.t0 = 0
            self.end(_RECONNECT)
        elif self.think_s:
            user.t0 = 0
            self.think_handle = self.loop.call_later(self.think_s, self.send_next)
            user.ticket.wake = self.wake
        else:
            user.issued += 1
            user.t0 = t0 = perf_counter_ns()
            self.send(self.wire, t0)

    def send_next(self) -> None:
        """The think time is over: issue the next request on this connection."""
        self.think_handle = None
        user = self.user
        user.ticket.wake = None
        if self.dead:
            return
        if user.issued >= user.ticket.limit:
            self.end(_FINISHED)
            return
        user.issued += 1
        user.t0 = t0 = perf_counter_ns()
        self.send(self.wire, t0)

    def wake(self) -> None:
        """Retired while thinking: end now."""
        if self.think_handle is not None:
            self.think_handle.cancel()
            self.think_handle = None
            self.end(_FINISHED)

    def failed(self, exc: BaseException, start_ns: int, at_ns: int) -> None:
        user = self.user
        if self.stale:
            self.end(_RETRY)  # stale keep-alive race: resend once on a fresh connection
            return
        if user.t0:
            self.work.record_failure(exc, (at_ns - user.t0) // 1000, self.rx)
            user.t0 = 0
        self.end(_ERROR)

    def idle_lost(self) -> None:
        if self.think_handle is not None:
            self.think_handle.cancel()
            self.think_handle = None
            self.user.ticket.wake = None
        self.end(_RECONNECT)  # the server closed the idle keep-alive connection

    def end(self, how: int) -> None:
        if how in (_FINISHED, _RECONNECT):
            self.close()
        if not self.finished.done():
            self.finished.set_result(how)


class _HeadUserConn(HeadAwareConnection, _UserConn):
    __slots__ = ()

    def __init__(self, work: UrlWorkload, user: _UrlUser) -> None:
        _UserConn.__init__(self, work, user)
        self.head = True


class _BodyUserConn(_UserConn):
    __slots__ = ()
    on_message_begin = _Conn._begin_body
    on_header = _Conn._note_encoding
    on_body = _Conn._collect_body


class _SlotConn(_Conn):
    """One open-model connection; carries at most one arrival at a time."""

    __slots__ = ("intended_ns",)

    def __init__(self, work: UrlWorkload) -> None:
        super().__init__(work)
        self.intended_ns = 0  # non-zero while an arrival is in flight

    def carry(self, intended_ns: int, now_ns: int) -> None:
        self.intended_ns = intended_ns
        self.send(self.work.wire, now_ns)

    def complete(self, status: int, start_ns: int, now_ns: int, keep_alive: bool) -> None:
        work = self.work
        intended_ns = self.intended_ns
        if not intended_ns:
            return  # abandoned
        self.intended_ns = 0
        endpoint = work.endpoint
        latency_us = (now_ns - intended_ns) // 1000
        if work.judge is not None:
            body, encoding = self.body_and_encoding()
            failed = work.judged(status, latency_us, self.rx, body, encoding)
        elif status < 400:
            endpoint.ok(latency_us, status, self.rx)
            failed = False
        else:
            endpoint.fail(latency_us, ErrorKind.HTTP_STATUS, status, self.rx, f"HTTP {status}")
            failed = True
        endpoint.timing((now_ns - start_ns) // 1000, (start_ns - intended_ns) // 1000)
        if keep_alive and not work.over:
            work.idle.append(self)
        else:
            self.close()
        work.sink.finished(failed)

    def failed(self, exc: BaseException, start_ns: int, at_ns: int) -> None:
        work = self.work
        intended_ns = self.intended_ns
        if not intended_ns:
            return  # abandoned
        if self.stale:
            # Stale keep-alive race: the server closed the idle connection as we wrote. Resend
            # once on a fresh connection, keeping the request's intended and sent times.
            self.intended_ns = 0
            work._open(intended_ns, start_ns)
            return
        self.intended_ns = 0
        work.record_failure(exc, (at_ns - intended_ns) // 1000, self.rx)
        work.endpoint.timing((at_ns - start_ns) // 1000, (start_ns - intended_ns) // 1000)
        work.sink.finished(True)


class _HeadSlotConn(HeadAwareConnection, _SlotConn):
    __slots__ = ()

    def __init__(self, work: UrlWorkload) -> None:
        _SlotConn.__init__(self, work)
        self.head = True


class _BodySlotConn(_SlotConn):
    __slots__ = ()
    on_message_begin = _Conn._begin_body
    on_header = _Conn._note_encoding
    on_body = _Conn._collect_body
