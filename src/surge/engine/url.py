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
from surge.engine.http.connection import connect
from surge.engine.http.request import static_request
from surge.engine.http.tls import client_ssl_context
from surge.engine.urlconn import (
    BodySlotConnection,
    BodyUserConnection,
    Ending,
    HeadSlotConnection,
    HeadUserConnection,
    SlotConnection,
    UrlConnection,
    UrlUser,
    UserConnection,
)
from surge.engine.workload import IterationSink, RunContext, Ticket
from surge.metrics.recorder import EndpointRecorder
from surge.scenario.spec import EndpointSpec

_BACKOFF_MIN_S = 0.01
_BACKOFF_MAX_S = 0.1
_CLOSE_WAIT_S = 1.0
_CLOSE_POLL_S = 0.005


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
        self.user_conn: type[UserConnection] = (
            HeadUserConnection if head else BodyUserConnection if body else UserConnection
        )
        self.slot_conn: type[SlotConnection] = (
            HeadSlotConnection if head else BodySlotConnection if body else SlotConnection
        )
        self.ssl_ctx: ssl.SSLContext | None = (
            client_ssl_context(config.insecure, config.ca_file) if self.origin.tls else None
        )
        self.users: set[UrlUser] = set()
        self.live: set[UrlConnection] = set()  # every connection not yet gone
        self.idle: list[SlotConnection] = []
        self.over = False  # open model: the schedule is over, idle connections close
        self.resend = config.resends(spec.method)  # after the stale keep-alive race
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
        user = UrlUser(ticket)
        self.users.add(user)
        backoff_s = _BACKOFF_MIN_S
        conn: UserConnection | None = None
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
                if how == Ending.FINISHED:
                    return
                if how == Ending.ERROR:
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

    async def _connect(self, conn: UserConnection, t0: int) -> Ending:
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
        self.reopen(intended_ns, now_ns)

    def reopen(self, intended_ns: int, sent_ns: int) -> None:
        """Carry an arrival on a new connection (its connect time counts as service time)."""
        conn = self.slot_conn(self)
        self.live.add(conn)
        conn.carry(intended_ns, sent_ns)
        self.loop.create_task(self._connect_slot(conn))

    async def _connect_slot(self, conn: SlotConnection) -> None:
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
            if isinstance(conn, SlotConnection) and conn.intended_ns:
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
