"""One keep-alive HTTP/1.1 connection: an asyncio Protocol driving an httptools parser.

Used by the scripted `Session` (one request at a time per connection). The URL-mode fast path
has its own leaner protocol in `surge.engine.urlmode`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import cast

import httptools

from surge.engine.http.classify import ConnectionClosedError, RequestTimeoutError
from surge.engine.http.config import ClientConfig
from surge.engine.http.request import Origin
from surge.engine.http.tls import client_ssl_context

_CLOCK_SLACK_S = 0.001


@dataclass(slots=True)
class RawResponse:
    """A parsed response as it came off the wire (body still encoded, in chunks)."""

    status: int
    headers: list[tuple[str, str]]
    chunks: list[bytes]
    nbytes: int
    keep_alive: bool


async def open_connection(origin: Origin, config: ClientConfig, deadline: float) -> HttpConnection:
    """Connect (and handshake TLS) within the connect timeout and the request's deadline.

    `deadline` is in event-loop time (`loop.time()`).
    """
    loop = asyncio.get_running_loop()
    ssl_ctx = client_ssl_context(config.insecure, config.ca_file) if origin.tls else None
    timeout_s = min(config.connect_timeout_s, deadline - loop.time())
    try:
        async with asyncio.timeout(timeout_s):
            _, conn = await loop.create_connection(
                lambda: HttpConnection(loop),
                origin.host,
                origin.port,
                ssl=ssl_ctx,
                server_hostname=origin.host if ssl_ctx is not None else None,
            )
    except TimeoutError as exc:
        raise RequestTimeoutError(f"connect timeout after {max(timeout_s, 0):.3g} s") from exc
    return conn


class HttpConnection(asyncio.Protocol):
    """A client connection carrying one request/response exchange at a time."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._transport: asyncio.Transport | None = None
        self._parser = httptools.HttpResponseParser(self)
        self._waiter: asyncio.Future[None] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._timer_when = 0.0
        self._status = 0
        self._headers: list[tuple[str, str]] = []
        self._chunks: list[bytes] = []
        self._head = False
        self._until_close = False
        self._keep_alive = False
        self._reset_parser = False
        self._last_rx = 0.0
        self._read_timeout_s = 0.0
        self._deadline = 0.0
        self.nbytes = 0
        self.completed = 0
        self.closed = False
        self.lost: asyncio.Future[None] = loop.create_future()

    # -- asyncio.Protocol ------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport = cast(asyncio.Transport, transport)  # uvloop transports are not subclasses
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        if self._waiter is None:  # bytes nobody asked for: the connection is unusable
            self.abort()
            return
        self.nbytes += len(data)
        self._last_rx = self._loop.time()
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade as exc:
            self._fail(httptools.HttpParserError(f"unexpected protocol upgrade: {exc}"))
        except httptools.HttpParserError as exc:
            self._fail(exc)
        if self._reset_parser:
            self._reset_parser = False
            self._parser = httptools.HttpResponseParser(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if not self.lost.done():
            self.lost.set_result(None)
        if self._waiter is None or self._waiter.done():
            return
        if exc is None and self._until_close and self._status:
            self._keep_alive = False
            self._waiter.set_result(None)
        elif exc is not None:
            self._waiter.set_exception(exc)
        elif self.nbytes == 0:
            self._waiter.set_exception(ConnectionClosedError("connection closed before response"))
        else:
            self._waiter.set_exception(ConnectionClosedError("connection closed mid-response"))

    # -- httptools callbacks ---------------------------------------------------------------
    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers.append((name.decode("latin-1"), value.decode("latin-1")))

    def on_headers_complete(self) -> None:
        status = self._parser.get_status_code()
        if 100 <= status < 200:
            return  # informational: on_message_complete discards it
        self._status = status
        names = {name.lower() for name, _ in self._headers}
        self._until_close = (
            "content-length" not in names
            and "transfer-encoding" not in names
            and status not in (204, 304)
        )
        if self._head:
            self._until_close = False
            self._reset_parser = True  # the parser would otherwise wait for a body
            self._complete(self._parser.should_keep_alive())

    def on_body(self, body: bytes) -> None:
        self._chunks.append(body)

    def on_message_complete(self) -> None:
        if not self._status:  # 1xx informational response: wait for the real one
            self._headers = []
            return
        if not self._head:
            self._complete(self._parser.should_keep_alive())

    # -- exchange --------------------------------------------------------------------------
    async def roundtrip(
        self, request: bytes, *, head: bool, read_timeout_s: float, deadline: float
    ) -> RawResponse:
        """Send `request` and wait for its response. Raises on any transport failure."""
        if self.closed or self._transport is None or self._transport.is_closing():
            raise ConnectionClosedError("connection closed while idle")
        self._status = 0
        self._headers = []
        self._chunks = []
        self._head = head
        self._until_close = False
        self.nbytes = 0
        self._read_timeout_s = read_timeout_s
        self._deadline = deadline
        waiter = self._waiter = self._loop.create_future()
        self._last_rx = self._loop.time()
        self._transport.write(request)
        # One timer per connection, re-armed only when this request's limits come sooner:
        # keep-alive request after request costs no timer handle each (see _on_timer).
        if self._timer is None or min(self._last_rx + read_timeout_s, deadline) < self._timer_when:
            self._arm_timer()
        try:
            await waiter
        except asyncio.CancelledError:
            self.abort()
            raise
        finally:
            self._waiter = None
        return RawResponse(self._status, self._headers, self._chunks, self.nbytes, self._keep_alive)

    def _complete(self, keep_alive: bool) -> None:
        self._keep_alive = keep_alive
        self.completed += 1
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def _arm_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        when = min(self._last_rx + self._read_timeout_s, self._deadline)
        self._timer_when = when
        self._timer = self._loop.call_at(when, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        if self._waiter is None or self._waiter.done():
            return  # idle between requests: the next request arms a timer again
        now = self._loop.time() + _CLOCK_SLACK_S
        if now >= self._deadline:
            self._fail(RequestTimeoutError("total timeout: response not complete in time"))
        elif now >= self._last_rx + self._read_timeout_s:
            gap = f"{self._read_timeout_s:.3g}"
            self._fail(RequestTimeoutError(f"read timeout: no data for {gap} s"))
        else:
            self._arm_timer()

    def _fail(self, exc: Exception) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_exception(exc)
        self.abort()

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def abort(self) -> None:
        """Drop the connection now (after any error: a connection is never reused after one)."""
        self.closed = True
        self._cancel_timer()
        if self._transport is not None:
            self._transport.abort()

    def close(self) -> None:
        self.closed = True
        self._cancel_timer()
        if self._transport is not None:
            self._transport.close()
