"""The per-user HTTP session of scripted load: keep-alive pool, cookie jar, default headers.

Every call of `request` records exactly once into the recorder, under (method, name), with the
whole redirect chain counted as one request. Transport errors never raise: they come back as a
response whose `error` is set. Only a caller's own mistakes (an invalid header, json= and data=
together) raise ValueError, before anything is sent. A request cancelled while in flight (the run
ended) is counted with `EndpointRecorder.incomplete()`.

Checks (`checks=[...]`) are evaluated after the response arrives and before it is recorded, so
`fail_on_check=True` can turn a success into a failure of kind `check`.

A body is kept in memory only up to `ClientConfig.max_body_bytes` (`--max-body`): a larger one
is counted and discarded as it arrives, and reading it raises `BodyTooLargeError`. With
`stream=True` the request returns on the response's head and the task reads the body as it
arrives (`async for chunk in resp.stream()`, see `stream.py`); such a request is recorded when
its last byte arrives, and a body nobody reads is counted and discarded.

In the open model (`open_model=True`) the engine calls `begin_iteration(intended_ns)` when an
arrival starts a task iteration: the first request recorded after it is timed from the intended
time (no coordinated omission), and every request records its service time and schedule lag.

The hot path — a verb called with a path alone, which scripts repeat — is `_plain`: one lookup
finds the prepared bytes and endpoint, one coroutine sends them on an idle keep-alive connection
and builds the response; headers are parsed and the body joined only when the task reads them
(see `response.py`). Anything else (a first request, a redirect, a cookie, an error) takes the
general path, `request`. Requests are made ready to send in `preparing.py`; connections are the
engine's one HTTP/1.1 core (`connection.py`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Mapping, Sequence
from time import perf_counter_ns
from typing import TYPE_CHECKING, Any, Protocol

from surge.engine.http.classify import (
    ConnectionClosedError,
    TooManyRedirectsError,
)
from surge.engine.http.config import ClientConfig
from surge.engine.http.cookies import CookieJar
from surge.engine.http.exchange import SessionConnection, open_connection
from surge.engine.http.hops import (
    REDIRECTS,
    await_exchange,
    error_response,
    redirected,
    store_cookies,
)
from surge.engine.http.preparing import Preparer
from surge.engine.http.request import DefaultHeaders, Origin, Prepared
from surge.engine.http.response import Headers, HttpResponse, final_head_end, run_checks
from surge.engine.http.stream import DEFAULT_WINDOW_BYTES, StreamBody
from surge.engine.http.streamed import record_when_over, streams_incomplete
from surge.metrics.errors import ErrorKind
from surge.metrics.recorder import EndpointRecorder, Recorder, UserClassRecorder
from surge.scenario.checks import Check

if TYPE_CHECKING:
    from surge.engine.workload import SecretSink

_REDIRECTS = REDIRECTS
_FOLLOWED = ("GET", "HEAD")  # methods whose redirects are followed unless told otherwise
_CLOSE_WAIT_S = 1.0
_Sent = tuple[SessionConnection, BaseException | None]


class Exchanged(Protocol):
    """What `_send` reads of a finished exchange: an HTTP/1.1 connection, or an HTTP/2 stream's
    result (`surge.engine.http2.session`)."""

    @property
    def rx(self) -> int: ...
    @property
    def status(self) -> int: ...
    @property
    def head_data(self) -> bytes: ...
    @property
    def body_over(self) -> bool: ...
    @property
    def body_size(self) -> int: ...
    def take_body(self) -> list[bytes] | None: ...


class Session:
    """A virtual user's HTTP/1.1 client; `surge.engine.user_session.UserSession` adds
    WebSocket, Server-Sent Events and HTTP/2 (and implements `surge.scenario.HttpSession`)."""

    def __init__(
        self,
        base_url: str,
        recorder: Recorder,
        config: ClientConfig | None = None,
        *,
        open_model: bool = False,
        user_class: UserClassRecorder | None = None,
        secrets: SecretSink | None = None,
    ) -> None:
        self.base_url = base_url
        self.open_model = open_model
        self.user_class = user_class  # per-class counts hook: +1 request per completed request
        self._intended_ns: int | None = None
        self.config = config if config is not None else ClientConfig()
        self.cookies = CookieJar()
        self._jar = self.cookies._cookies  # truthy when any cookie is kept (read per request)
        self._recorder = recorder
        self._headers = DefaultHeaders()
        self._idle: dict[Origin, list[SessionConnection]] = {}
        self._live: set[SessionConnection] = set()
        self._preparer = Preparer(base_url, recorder, self._headers, self.cookies, secrets)
        self._prepared = self._preparer.cache  # the hot path's lookup
        self._total_ns = int(self.config.total_timeout_s * 1e9)
        self._closed = False
        self._streams: dict[StreamBody, EndpointRecorder] = {}  # streamed bodies not over yet

    @property
    def headers(self) -> dict[str, str]:
        """Default headers sent with every request of this user; later layers override them."""
        return self._headers

    def begin_iteration(self, intended_ns: int) -> None:
        """Open model: an arrival intended at `intended_ns` (perf_counter_ns) starts an iteration.

        The next request recorded is timed from `intended_ns` when that is earlier than its
        actual send; the requests after it in the iteration have no schedule lag.
        """
        self._intended_ns = intended_ns

    # -- public API ------------------------------------------------------------------------
    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        json: Any = None,
        data: bytes | str | Mapping[str, Any] | None = None,
        name: str | None = None,
        follow_redirects: bool | None = None,
        timeout_s: float | None = None,
        checks: Sequence[Check] = (),
        fail_on_check: bool = False,
        stream: bool = False,
        record: bool = True,
    ) -> HttpResponse:
        """Send one request (following redirects), evaluate `checks`, and record it once.

        `stream=True`: return on the response's head; the body is read with `resp.stream()`,
        checks see the status and headers, and the request is recorded on its last byte.
        With `record=False` (and no stream) nothing is recorded yet: the caller decides the
        outcome (it may set the response's `error_kind`/`error_message`) and records it once
        with `record()`.
        """
        prep = None
        if params is None and headers is None and json is None and data is None:
            prep = self._prepared.get((method, path, name))
            if prep is not None and (prep.version != self._headers.version or self._jar):
                prep = None
        if prep is None:
            prep = self._preparer.prepare(method, path, params, headers, json, data, name)
        total_ns = self._total_ns if timeout_s is None else int(timeout_s * 1e9)
        t0 = perf_counter_ns()
        body = StreamBody(DEFAULT_WINDOW_BYTES) if stream else None
        try:
            response = await self._send(prep, follow_redirects, t0, total_ns, None, body)
        except asyncio.CancelledError:
            prep.endpoint.incomplete()
            raise
        if self.user_class is not None:
            self.user_class.requests += 1
        if checks:
            failed = run_checks(checks, response, prep.endpoint)
            if failed is not None and fail_on_check and response.error_kind is None:
                response.error_kind = ErrorKind.CHECK
                response.error_message = "check failed: " + ", ".join(failed)
        streamed = response._stream
        if streamed is not None:
            lag_ns = self.lag_ns(t0)
            record_when_over(self._streams, prep.endpoint, response, streamed, t0, lag_ns, self)
        elif record:
            self._record(prep.endpoint, response, t0)
        else:
            response.sent_ns = t0
        return response

    def record(self, response: HttpResponse) -> None:
        """Record a response sent with `record=False`, with the outcome it carries now."""
        endpoint = response.endpoint
        if endpoint is not None:
            self._record(endpoint, response, response.sent_ns)

    # The verbs return a coroutine directly (no extra frame): `_plain`'s when called with a
    # path alone, else `request`'s.
    def get(self, path: str, **kwargs: Any) -> Coroutine[Any, Any, HttpResponse]:
        return self.request("GET", path, **kwargs) if kwargs else self._plain("GET", path)

    def post(self, path: str, **kwargs: Any) -> Coroutine[Any, Any, HttpResponse]:
        return self.request("POST", path, **kwargs) if kwargs else self._plain("POST", path)

    def put(self, path: str, **kwargs: Any) -> Coroutine[Any, Any, HttpResponse]:
        return self.request("PUT", path, **kwargs) if kwargs else self._plain("PUT", path)

    def patch(self, path: str, **kwargs: Any) -> Coroutine[Any, Any, HttpResponse]:
        return self.request("PATCH", path, **kwargs) if kwargs else self._plain("PATCH", path)

    def delete(self, path: str, **kwargs: Any) -> Coroutine[Any, Any, HttpResponse]:
        return self.request("DELETE", path, **kwargs) if kwargs else self._plain("DELETE", path)

    def head(self, path: str, **kwargs: Any) -> Coroutine[Any, Any, HttpResponse]:
        return self.request("HEAD", path, **kwargs) if kwargs else self._plain("HEAD", path)

    def options(self, path: str, **kwargs: Any) -> Coroutine[Any, Any, HttpResponse]:
        return self.request("OPTIONS", path, **kwargs)

    async def close(self) -> None:
        """Close every connection of this user (waiting briefly for TLS shutdowns)."""
        self._closed = True
        self._idle.clear()
        streams_incomplete(self._streams)
        live = list(self._live)
        for conn in live:
            conn.close()
        if live:
            await asyncio.wait([conn.lost for conn in live], timeout=_CLOSE_WAIT_S)
        for conn in live:
            if not conn.lost.done():
                conn.abort()

    def abandon(self) -> None:
        """Drop every connection now, recording nothing (the run is forced to end)."""
        self._closed = True
        self._idle.clear()
        streams_incomplete(self._streams)
        for conn in list(self._live):
            conn.abort()

    async def __aenter__(self) -> Session:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # -- the hot path ------------------------------------------------------------------------
    async def _plain(self, method: str, path: str) -> HttpResponse:
        """`request(method, path)` when it can reuse prepared bytes and an idle connection and
        the response needs nothing more (no redirect, no cookie): see the module docstring."""
        prep = self._prepared.get((method, path, None))
        if prep is None or prep.version != self._headers.version or self._jar:
            if self._jar:
                return await self.request(method, path)
            # A URL this user has not kept stays on the hot path: another user's (the run's
            # shared requests), else prepared the short way (a new id).
            prep = self._preparer.fresh(method, path)
        idle = self._idle.get(prep.origin)
        conn = idle.pop() if idle else None
        if conn is None or conn.dead:
            return await self.request(method, path)
        endpoint = prep.endpoint
        t0 = perf_counter_ns()
        try:
            error = await conn.exchange(prep.wire, t0, method == "HEAD", self._total_ns)
        except asyncio.CancelledError:
            conn.abort()
            endpoint.incomplete()
            raise
        if self.user_class is not None:
            self.user_class.requests += 1
        status = conn.status
        head = conn.head_data
        if (
            error is not None
            or (status in _REDIRECTS and method in _FOLLOWED)
            or head.find(b"ookie") >= 0  # (find: `in` raises and clears a TypeError inside)
            or head.find(b"OOKIE") >= 0
        ):
            try:
                response = await self._send(prep, None, t0, self._total_ns, (conn, error))
            except asyncio.CancelledError:
                endpoint.incomplete()
                raise
            self._record(endpoint, response, t0)
            return response
        if conn.keep_alive and not self._closed:
            idle.append(conn)  # type: ignore[union-attr]  # (not None: conn came from it)
        else:
            conn.close()
        now = perf_counter_ns()
        nbytes = conn.rx
        if status < 400:
            response = HttpResponse(
                method, prep.url, status, head, conn.take_body(), now - t0, None, None, endpoint
            )
            response.nbytes = nbytes
            if conn.body_over:
                response.body_over = conn.body_size
            if self.open_model:
                self._record(endpoint, response, t0)
            else:
                endpoint.ok((now - t0) // 1000, status, nbytes)
            return response
        message = f"HTTP {status}"
        kind = ErrorKind.HTTP_STATUS
        response = HttpResponse(
            method, prep.url, status, head, conn.take_body(), now - t0, kind, message, endpoint
        )
        response.nbytes = nbytes
        if conn.body_over:
            response.body_over = conn.body_size
        self._record(endpoint, response, t0)
        return response

    # -- preparing (preparing.py) ----------------------------------------------------------
    def endpoint(self, method: str, name: str) -> EndpointRecorder:
        """The recorder of (method, name) for this user (kept: one dictionary lookup after)."""
        return self._recorder.endpoint(method, name)

    def endpoint_for(self, method: str, path: str, name: str | None = None) -> EndpointRecorder:
        """The recorder a request records under: `name`, else the run's default name of `path`
        (the one naming rule of every client: `Recorder.endpoint_for`)."""
        return self._preparer.endpoint_for(method, path, name)

    def learn_secrets(self) -> None:
        """Tell the secrets sink what this user holds now: its secret default headers and the
        values of its cookies with secret-looking names (called when its script fails)."""
        self._preparer.learn_secrets()

    def lag_ns(self, t0: int) -> int:
        """Open model: the schedule lag to add to an exchange that started at `t0` when it is
        the first of its iteration (0 for every later one, and in the closed model)."""
        if not self.open_model:
            return 0
        intended_ns = self._intended_ns
        self._intended_ns = None
        return t0 - intended_ns if intended_ns is not None and intended_ns < t0 else 0

    # -- the general path ------------------------------------------------------------------
    async def _send(
        self,
        prep: Prepared,
        follow: bool | None,
        t0: int,
        total_ns: int,
        sent: _Sent | None,
        body: StreamBody | None = None,
    ) -> HttpResponse:
        """One request and, when asked (GET and HEAD by default), its redirects. `sent`: the
        first exchange, when the hot path made it already; `body`: stream the last hop's body."""
        if follow is None:
            follow = prep.method in _FOLLOWED
        first_host = prep.origin.host
        redirects = 0
        nbytes = 0
        while True:
            try:
                conn = await self._exchange(prep, t0, total_ns, sent, body)
            except Exception as exc:
                return error_response(prep, exc, t0, nbytes)
            sent = None
            status = conn.status
            if body is None:
                nbytes += conn.rx
                head = conn.head_data
            else:  # its body's bytes are counted as they arrive (StreamBody.received)
                head = body.head
                nbytes += final_head_end(head)
            if head.find(b"ookie") >= 0 or head.find(b"OOKIE") >= 0:
                store_cookies(self.cookies, prep, Headers.parse(head))
            if follow and status in _REDIRECTS:
                headers = Headers.parse(head)
                location = headers.get("location")
                if location is not None:
                    if redirects >= self.config.max_redirects:
                        limit = self.config.max_redirects
                        why = f"more than {limit} redirects (max_redirects)"
                        too_many = TooManyRedirectsError(why)
                        return error_response(prep, too_many, t0, nbytes, status, headers)
                    redirects += 1
                    if body is not None:  # the redirect's own body: drained, not read
                        body.discard()
                        await body.wait()
                        nbytes += body.received
                        body = StreamBody(body.window)
                    prep = redirected(
                        prep, status, location, first_host, self._headers, self.cookies
                    )
                    continue
            kind = ErrorKind.HTTP_STATUS if status >= 400 else None
            response = HttpResponse(
                prep.method,
                prep.url,
                status,
                head,
                conn.take_body(),
                perf_counter_ns() - t0,
                kind,
                f"HTTP {status}" if kind is not None else None,
                prep.endpoint,
            )
            response.nbytes = nbytes
            if conn.body_over:
                response.body_over = conn.body_size
            if body is not None:
                response._stream = body
            return response

    async def _exchange(
        self,
        prep: Prepared,
        t0: int,
        total_ns: int,
        sent: _Sent | None,
        body: StreamBody | None = None,
    ) -> Exchanged:
        """Send `prep` on an idle connection (or a new one) and wait for its response (or take
        `sent`'s); the connection is back in the pool (or closed) when this returns, or, for a
        streamed `body`, when the body is over. A stale keep-alive connection is retried once
        on a fresh one when the method is idempotent (and counted). Raises on failure. (A
        subclass may carry it otherwise: HTTP/2, see `surge.engine.user_session`.)"""
        origin = prep.origin
        head = prep.method == "HEAD"
        if sent is not None:
            conn, error = sent
            reused = True
        else:
            idle = self._idle_connection(origin)
            reused = idle is not None
            conn = idle if idle is not None else await self._connect(origin, t0, total_ns)
            error = await await_exchange(conn, prep.wire, t0, head, total_ns, body)
        if error is not None:
            if not (reused and conn.stale and self.config.resends(prep.method)):
                raise error
            # The server closed the idle keep-alive connection: retry once on a fresh one.
            prep.endpoint.retry()
            conn = await self._connect(origin, t0, total_ns)
            error = await await_exchange(conn, prep.wire, t0, head, total_ns, body)
            if error is not None:
                raise error
        if body is None:
            self._release(conn, origin)
        else:
            body.on_done(lambda _error: self._release(conn, origin))
        return conn

    def _release(self, conn: SessionConnection, origin: Origin) -> None:
        """A connection whose exchange is over: back to the pool, or closed."""
        if conn.keep_alive and not self._closed and not conn.dead:
            self._idle.setdefault(origin, []).append(conn)
        else:
            conn.close()

    def _idle_connection(self, origin: Origin) -> SessionConnection | None:
        idle = self._idle.get(origin)
        while idle:
            conn = idle.pop()
            if not conn.dead:
                return conn
        return None

    async def _connect(self, origin: Origin, t0: int, total_ns: int) -> SessionConnection:
        if self._closed:
            raise ConnectionClosedError("session is closed")
        remaining_s = (t0 + total_ns - perf_counter_ns()) / 1e9
        conn = await open_connection(origin, self.config, remaining_s)
        if not conn.lost.done():
            self._live.add(conn)
            conn.lost.add_done_callback(lambda _: self._live.discard(conn))
        return conn

    # -- recording -------------------------------------------------------------------------
    def _record(self, endpoint: EndpointRecorder, response: HttpResponse, t0: int) -> None:
        self.record_lagged(endpoint, response, self.lag_ns(t0))

    def record_lagged(
        self, endpoint: EndpointRecorder, response: HttpResponse, lag_ns: int
    ) -> None:
        """Record `response` once, its latency from `lag_ns` before it was sent."""
        elapsed_ns = response.elapsed_ns
        latency_us = (elapsed_ns + lag_ns) // 1000
        kind = response.error_kind
        if kind is None:
            endpoint.ok(latency_us, response.status, response.nbytes)
        else:
            message = response.error_message or ""
            endpoint.fail(latency_us, kind, response.status, response.nbytes, message)
        if self.open_model:
            endpoint.timing(elapsed_ns // 1000, lag_ns // 1000)
