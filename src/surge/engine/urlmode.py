"""URL mode: the fast path of `surge run URL`.

No coroutine and no future per request. Each virtual user is a callback-driven state machine on
one keep-alive connection: when httptools reports a complete response, the user records it and
writes the next pre-serialised request from inside the callback (or arms a think-time timer).
A coroutine per user exists only to pace the start (ramp-up), connect and reconnect; timeouts are
enforced by one watchdog task that scans every user a few times per read timeout.

A request is issued when its user starts it (before connecting, when a connection is needed):
its latency includes any connect time, and it is accounted exactly once as ok, fail or
incomplete.

With expectations on the spec (`--expect-status/-body/-json`) users are `_JudgedUser`s, whose
`ok`/`fail` consult a `ResponseJudge`, and only when a body is needed do connections collect it
(`_BodyConn`). Without expectations none of that exists: the plain path does no extra work.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import sys
from collections.abc import Callable, Sequence
from time import perf_counter_ns
from typing import Any, cast

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
from surge.engine.http.request import Origin, static_request
from surge.engine.http.tls import client_ssl_context
from surge.metrics.errors import ErrorKind
from surge.metrics.recorder import EndpointRecorder, Recorder
from surge.scenario.spec import EndpointSpec

_BACKOFF_MIN_S = 0.01
_BACKOFF_MAX_S = 0.1
_NO_LIMIT = sys.maxsize
_CLOSE_WAIT_S = 1.0
_CLOSE_POLL_S = 0.005
_RESIZE_S = 0.1  # how often a staged run follows its target

# How a connection ended, as seen by its user's coroutine.
_FINISHED = 0  # the user has issued all it may: stop
_RECONNECT = 1  # the server closed keep-alive (or the idle connection): reconnect now
_RETRY = 2  # the server closed a reused idle connection under our request: resend it once
_ERROR = 3  # a recorded failure: back off, reconnect, continue


class _Run:
    """What every user of one run shares."""

    __slots__ = (
        "closing",
        "config",
        "conn_class",
        "endpoint",
        "loop",
        "on_active_change",
        "origin",
        "request",
        "ssl_ctx",
        "started",
        "think_time_s",
        "timeout_s",
    )

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        origin: Origin,
        request: bytes,
        endpoint: EndpointRecorder,
        config: ClientConfig,
        think_time_s: float,
        on_active_change: Callable[[int], None] | None,
    ) -> None:
        self.loop = loop
        self.origin = origin
        self.request = request
        self.endpoint = endpoint
        self.ssl_ctx: ssl.SSLContext | None = (
            client_ssl_context(config.insecure, config.ca_file) if origin.tls else None
        )
        self.timeout_s = config.connect_timeout_s
        self.config = config
        self.think_time_s = think_time_s
        self.on_active_change = on_active_change
        self.started = 0
        self.closing: set[_Conn] = set()  # connections closed by us, not yet lost
        self.conn_class: type[_Conn] = _HeadConn if request.startswith(b"HEAD ") else _Conn

    async def drain_closing(self) -> None:
        """Wait (briefly) until every connection we closed is gone, so the loop can close."""
        deadline = self.loop.time() + _CLOSE_WAIT_S
        while self.closing and self.loop.time() < deadline:
            await asyncio.sleep(_CLOSE_POLL_S)
        for conn in list(self.closing):
            if conn.transport is not None:
                conn.transport.abort()
        if self.closing:
            await asyncio.sleep(0)
        self.closing.clear()

    def active_changed(self, delta: int) -> None:
        self.started += delta
        if self.on_active_change is not None:
            self.on_active_change(self.started)


class _User:
    """One virtual user's state across its connections. `t0` is non-zero while in flight."""

    __slots__ = (
        "conn",
        "fail",
        "issued",
        "limit",
        "ok",
        "t0",
        "task",
        "think_handle",
        "tick_ns",
        "tick_rx",
        "tick_t0",
    )

    def __init__(self, endpoint: EndpointRecorder, limit: int) -> None:
        self.ok = endpoint.ok
        self.fail = endpoint.fail
        self.limit = limit
        self.issued = 0
        self.t0 = 0
        self.conn: _Conn | None = None
        self.task: asyncio.Task[None] | None = None
        self.think_handle: asyncio.TimerHandle | None = None
        self.tick_t0 = 0
        self.tick_rx = 0
        self.tick_ns = 0

    def record_error(self, exc: BaseException, now_ns: int, nbytes: int = 0) -> None:
        if self.t0:
            latency_us = (now_ns - self.t0) // 1000
            self.t0 = 0
            self.fail(latency_us, classify_error(exc), 0, nbytes, describe_error(exc))


class _JudgedUser(_User):
    """A user of a spec with expectations: every complete response goes through the judge."""

    __slots__ = ("body", "encoding", "endpoint", "judge")

    def __init__(self, endpoint: EndpointRecorder, limit: int, judge: ResponseJudge) -> None:
        super().__init__(endpoint, limit)
        self.endpoint = endpoint
        self.judge = judge
        self.body: list[bytes] = []  # filled by _BodyConn when the judge needs the body
        self.encoding = ""
        self.ok = self.judged_ok
        self.fail = self.judged_fail

    def judged_ok(self, latency_us: int, status: int, nbytes: int) -> None:
        """A complete response with a status below 400: a success unless the judge says not."""
        endpoint = self.endpoint
        verdict = self.judge.judge(status, b"".join(self.body), self.encoding, endpoint)
        self.body = []
        if verdict is None:
            endpoint.ok(latency_us, status, nbytes)
        else:
            endpoint.fail(latency_us, verdict[0], status, nbytes, verdict[1])

    def judged_fail(
        self, latency_us: int, kind: ErrorKind, status: int, nbytes: int, message: str
    ) -> None:
        """A status ≥ 400 goes to the judge (it may be expected); transport errors do not."""
        if kind is ErrorKind.HTTP_STATUS:
            self.judged_ok(latency_us, status, nbytes)
            return
        self.body = []
        self.endpoint.fail(latency_us, kind, status, nbytes, message)


class _Conn(asyncio.Protocol):
    """One connection of one user. Only the httptools callbacks it needs are defined."""

    __slots__ = (
        "closing",
        "dead",
        "done",
        "loop",
        "parser",
        "request",
        "reused",
        "rx",
        "think_s",
        "transport",
        "user",
        "write",
    )

    def __init__(self, run: _Run, user: _User) -> None:
        self.user = user
        self.closing = run.closing
        self.loop = run.loop
        self.request = run.request
        self.think_s = run.think_time_s
        self.parser = httptools.HttpResponseParser(self)
        self.done: asyncio.Future[int] = run.loop.create_future()
        self.transport: asyncio.Transport | None = None
        self.write: Callable[[bytes], None] | None = None
        self.rx = 0
        self.reused = False
        self.dead = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport = cast(asyncio.Transport, transport)  # uvloop transports are not subclasses
        self.transport = transport
        self.write = write = transport.write
        write(self.request)  # the user's pending request (issued before connecting)

    def data_received(self, data: bytes) -> None:
        self.rx += len(data)
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self.fail(exc)

    def on_message_complete(self) -> None:
        t1 = perf_counter_ns()
        user = self.user
        status = self.parser.get_status_code()
        if status < 400:
            user.ok((t1 - user.t0) // 1000, status, self.rx)
        else:
            kind = ErrorKind.HTTP_STATUS
            user.fail((t1 - user.t0) // 1000, kind, status, self.rx, f"HTTP {status}")
        self.rx = 0
        self.reused = True
        if user.issued >= user.limit:
            user.t0 = 0
            self.finish(_FINISHED)
        elif not self.parser.should_keep_alive():
            user.t0 = 0
            self.finish(_RECONNECT)
        elif self.think_s:
            user.t0 = 0
            user.think_handle = self.loop.call_later(self.think_s, self.send_next)
        else:
            user.issued += 1
            user.t0 = perf_counter_ns()
            self.write(self.request)  # type: ignore[misc]

    def send_next(self) -> None:
        """The think time is over: issue the next request on this connection."""
        user = self.user
        user.think_handle = None
        if self.dead:
            return
        if user.issued >= user.limit:
            self.finish(_FINISHED)
            return
        user.issued += 1
        user.t0 = perf_counter_ns()
        self.write(self.request)  # type: ignore[misc]

    def connection_lost(self, exc: Exception | None) -> None:
        self.closing.discard(self)
        if self.dead:
            return
        user = self.user
        if not user.t0:  # the server closed an idle keep-alive connection
            self.finish(_RECONNECT)
        elif self.reused and not self.rx and (exc is None or isinstance(exc, ConnectionError)):
            self.finish(_RETRY)  # stale keep-alive race: resend once on a fresh connection
        else:
            lost = (
                exc
                if exc is not None
                else ConnectionClosedError(
                    "connection closed mid-response"
                    if self.rx
                    else "connection closed before response"
                )
            )
            user.record_error(lost, perf_counter_ns(), self.rx)
            self.finish(_ERROR)

    def fail(self, exc: BaseException) -> None:
        """Record `exc` against the request in flight and drop the connection."""
        self.user.record_error(exc, perf_counter_ns(), self.rx)
        self.finish(_ERROR)

    def finish(self, how: int) -> None:
        if not self.dead:
            self.dead = True
            handle = self.user.think_handle
            if handle is not None:
                handle.cancel()
                self.user.think_handle = None
            if self.transport is not None:
                self.closing.add(self)
                if how == _ERROR:
                    self.transport.abort()
                else:
                    self.transport.close()
        if not self.done.done():
            self.done.set_result(how)


class _HeadConn(_Conn):
    """HEAD responses announce a body they do not carry: complete on the headers."""

    __slots__ = ("reset_parser",)

    def data_received(self, data: bytes) -> None:
        self.reset_parser = False
        super().data_received(data)
        if self.reset_parser:
            self.parser = httptools.HttpResponseParser(self)

    def on_headers_complete(self) -> None:
        self.reset_parser = True
        super().on_message_complete()

    def on_message_complete(self) -> None:
        pass


class _BodyConn(_Conn):
    """A connection that hands each response's body (and Content-Encoding) to its judged user.

    httptools calls only the callbacks a protocol defines, so the plain `_Conn` pays nothing.
    """

    __slots__ = ()
    user: _JudgedUser

    def on_message_begin(self) -> None:
        self.user.body = []
        self.user.encoding = ""

    def on_header(self, name: bytes, value: bytes) -> None:
        if name.lower() == b"content-encoding":
            self.user.encoding = value.decode("latin-1")

    def on_body(self, body: bytes) -> None:
        self.user.body.append(body)


async def _user_main(run: _Run, user: _User, start_offset_s: float) -> None:
    """Start (after the ramp-up offset), connect, and reconnect after errors until done."""
    if start_offset_s > 0:
        await asyncio.sleep(start_offset_s)
    if user.issued >= user.limit:
        return
    run.active_changed(+1)
    backoff_s = _BACKOFF_MIN_S
    try:
        while True:
            if not user.t0:  # else: a request to resend (stale keep-alive retry)
                if user.issued >= user.limit:
                    return
                user.issued += 1
                user.t0 = perf_counter_ns()
            conn = user.conn = run.conn_class(run, user)
            try:
                await connect(run.loop, conn, run.origin, run.ssl_ctx, run.timeout_s)
            except Exception as exc:  # every connect failure is recorded, never raised
                user.record_error(exc, perf_counter_ns())
                how = _ERROR
            else:
                how = await conn.done
            if how == _FINISHED:
                return
            if how == _ERROR:
                backoff_s = _BACKOFF_MIN_S if conn.reused else min(backoff_s * 2, _BACKOFF_MAX_S)
                await asyncio.sleep(backoff_s)
    finally:
        conn_left = user.conn
        user.conn = None
        if conn_left is not None and not conn_left.dead:
            conn_left.finish(_ERROR)
        run.active_changed(-1)


def _watch_step(users: Sequence[_User], read_ns: int, total_ns: int) -> None:
    """Fail every in-flight request whose total time or read gap is over its timeout."""
    now = perf_counter_ns()
    for user in users:
        t0 = user.t0
        if not t0:
            continue
        conn = user.conn
        if conn is None or conn.transport is None or conn.dead:
            continue  # connecting: the connect timeout applies
        if now - t0 >= total_ns:
            conn.fail(RequestTimeoutError("total timeout: response not complete in time"))
        elif t0 != user.tick_t0:  # a new request since the last look: no byte since t0
            user.tick_t0 = t0
            user.tick_rx = conn.rx
            user.tick_ns = t0 if not conn.rx else now
        elif conn.rx != user.tick_rx:
            user.tick_rx = conn.rx
            user.tick_ns = now
        elif now - user.tick_ns >= read_ns:
            conn.fail(RequestTimeoutError(f"read timeout: no data for {read_ns / 1e9:.3g} s"))


async def _watchdog(users: Sequence[_User], config: ClientConfig) -> None:
    await watch_timeouts(config, lambda read_ns, total_ns: _watch_step(users, read_ns, total_ns))


def _stop_issuing(users: Sequence[_User]) -> None:
    """No user issues another request; users with nothing in flight end now."""
    for user in users:
        user.limit = 0
        if not user.t0 and user.task is not None:
            user.task.cancel()


def _abandon(users: Sequence[_User], endpoint: EndpointRecorder) -> None:
    """The grace period is over: count what is still in flight as incomplete and drop it."""
    for user in users:
        if user.t0:
            user.t0 = 0
            endpoint.incomplete()
        if user.task is not None:
            user.task.cancel()


def _crew(run: _Run, spec: EndpointSpec, users: int, limit: int) -> list[_User]:
    """The users of a run: judged ones (and body-collecting connections) only with expectations."""
    if spec.expect is None or spec.expect.empty:
        return [_User(run.endpoint, limit) for _ in range(users)]
    judge = ResponseJudge(spec.expect)
    if judge.needs_body and run.conn_class is _Conn:
        run.conn_class = _BodyConn
    return [_JudgedUser(run.endpoint, limit, judge) for _ in range(users)]


async def _follow_target(
    run: _Run,
    spec: EndpointSpec,
    crew: list[_User],
    limit: int,
    users_at: Callable[[float], int | None],
    stop: asyncio.Event,
) -> None:
    """Stages and shapes: start and retire users to follow `users_at(elapsed_s)` until it
    returns None or `stop` is set. A retired user finishes its request in flight first."""
    loop = run.loop
    t0 = loop.time()
    active: list[_User] = []
    while not stop.is_set():
        target = users_at(loop.time() - t0)
        if target is None:
            return
        if len(active) < target:
            fresh = _crew(run, spec, target - len(active), limit)
            for user in fresh:
                user.task = loop.create_task(_user_main(run, user, 0.0))
            crew.extend(fresh)
            active.extend(fresh)
        while len(active) > target:
            _stop_issuing([active.pop()])
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), _RESIZE_S)


async def _run_staged(
    run: _Run,
    spec: EndpointSpec,
    limit: int,
    users_at: Callable[[float], int | None],
    duration_s: float | None,
    stop: asyncio.Event,
    graceful_stop_s: float,
) -> None:
    crew: list[_User] = []
    watchdog = run.loop.create_task(_watchdog(crew, run.config))
    follower = run.loop.create_task(_follow_target(run, spec, crew, limit, users_at, stop))
    try:
        await asyncio.wait({follower}, timeout=duration_s)
        follower.cancel()
        _stop_issuing(crew)
        tasks = [u.task for u in crew if u.task is not None and not u.task.done()]
        if tasks:
            await asyncio.wait(tasks, timeout=graceful_stop_s)
        _abandon([u for u in crew if u.task is not None and not u.task.done()], run.endpoint)
    finally:
        watchdog.cancel()
        follower.cancel()
        tasks = [u.task for u in crew if u.task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(watchdog, follower, *tasks, return_exceptions=True)
        await run.drain_closing()


async def run_url_users(
    spec: EndpointSpec,
    *,
    users: int,
    start_offsets_s: Sequence[float],
    duration_s: float | None,
    requests_per_user: int | None,
    think_time_s: float,
    recorder: Recorder,
    config: ClientConfig,
    stop: asyncio.Event,
    graceful_stop_s: float = 5.0,
    on_active_change: Callable[[int], None] | None = None,
    users_at: Callable[[float], int | None] | None = None,
) -> None:
    """Run `users` virtual users repeating `spec` until each is done; see the module docstring.
    With `users_at` (stages, load shapes) the number of users follows `users_at(elapsed_s)`
    instead, until it returns None, the duration ends or `stop` is set.

    Raises ValueError (before any traffic) for an invalid URL or inconsistent arguments.
    """
    if users_at is None and len(start_offsets_s) < users:
        raise ValueError(f"start_offsets_s has {len(start_offsets_s)} entries for {users} users")
    loop = asyncio.get_running_loop()
    origin, request = static_request(spec.method, spec.url, spec.headers, spec.body)
    endpoint = recorder.endpoint(spec.method.upper(), spec.endpoint_name)
    run = _Run(loop, origin, request, endpoint, config, think_time_s, on_active_change)
    limit = requests_per_user if requests_per_user is not None else _NO_LIMIT
    if users_at is not None:
        await _run_staged(run, spec, limit, users_at, duration_s, stop, graceful_stop_s)
        return
    crew = _crew(run, spec, users, limit)
    for user, offset_s in zip(crew, start_offsets_s, strict=False):
        user.task = loop.create_task(_user_main(run, user, offset_s))
    everyone = asyncio.gather(*(u.task for u in crew if u.task), return_exceptions=True)
    watchdog = loop.create_task(_watchdog(crew, config))
    stopper = loop.create_task(stop.wait())
    try:
        first: set[asyncio.Future[Any]] = {everyone, stopper}
        await asyncio.wait(first, timeout=duration_s, return_when=asyncio.FIRST_COMPLETED)
        if not everyone.done():
            _stop_issuing(crew)
            await asyncio.wait({everyone}, timeout=graceful_stop_s)
        if not everyone.done():
            _abandon(crew, endpoint)
        await everyone
    finally:
        watchdog.cancel()
        stopper.cancel()
        for user in crew:
            if user.task is not None and not user.task.done():
                user.task.cancel()
        await asyncio.gather(watchdog, stopper, everyone, return_exceptions=True)
        await run.drain_closing()
