"""The scripted session's connection: the HTTP/1.1 core with an awaitable exchange.

`exchange(wire, start_ns, head, total_ns)` returns a future that resolves to None when the
response is whole (its `status`, head bytes `head_data` and body `chunks` are then on the
connection, until the next exchange) or to the exception it failed with. The head is kept as
the bytes it arrived in and the body as the chunks received: the response parses and joins them
only when a task asks.

A body is kept only up to `ClientConfig.max_body_bytes`: a larger one (found larger as it
arrives, or announced by its Content-Length when it arrives in more than one read) is counted
and discarded, and the connection says so (`body_over`). A streamed exchange (`stream=`)
resolves on the head instead: its body goes to the `StreamBody` as it arrives, which ends (or
fails) with the exchange.
"""

from __future__ import annotations

import asyncio
import re

from surge.engine.http.classify import ConnectionClosedError, RequestTimeoutError
from surge.engine.http.config import ClientConfig
from surge.engine.http.connection import Http1Connection, connect
from surge.engine.http.request import Origin
from surge.engine.http.response import final_head
from surge.engine.http.stream import StreamBody
from surge.engine.http.tls import client_ssl_context

_Waiter = asyncio.Future[BaseException | None]
_CONTENT_LENGTH = re.compile(rb"^content-length[ \t]*:[ \t]*(\d+)", re.IGNORECASE | re.MULTILINE)


class SessionConnection(Http1Connection):
    """A keep-alive connection of one session; one exchange at a time. HEAD-aware (see
    `HeadAwareConnection`): its callbacks are written out here, the hot path of scripted
    users, rather than inherited through `super()` calls."""

    __slots__ = (
        "body_over",
        "body_size",
        "chunks",
        "head_data",
        "keep_alive",
        "lost",
        "max_body",
        "status",
        "stream",
        "waiter",
    )

    def __init__(self, loop: asyncio.AbstractEventLoop, config: ClientConfig) -> None:
        super().__init__(loop, config)
        self.waiter: _Waiter | None = None
        self.status = 0
        self.keep_alive = False
        self.head_data = b""
        self.chunks: list[bytes] | None = None
        self.max_body = config.max_body_bytes
        self.body_size = 0  # bytes of the body received (kept or not)
        self.body_over = False  # over max_body: counted, not kept
        self.stream: StreamBody | None = None
        self.lost: asyncio.Future[None] = loop.create_future()

    def exchange(
        self,
        wire: bytes,
        start_ns: int,
        head: bool,
        total_ns: int,
        stream: StreamBody | None = None,
    ) -> _Waiter:
        """Send `wire` (an exchange that started at `start_ns` and must end `total_ns` later);
        with `stream`, the future resolves on the response's head and the body goes there."""
        waiter: _Waiter = self.loop.create_future()
        if self.dead:
            self.stale = self.reused
            waiter.set_result(ConnectionClosedError("connection closed while idle"))
            return waiter
        if total_ns != self.total_ns:
            self.total_ns = total_ns
            if self.timer is not None:  # armed for another deadline: re-armed by send()
                self.timer.cancel()
                self.timer = None
        self.head = head
        self.chunks = None
        self.body_size = 0
        self.body_over = False
        if stream is not None:
            stream.reader = self.transport
        self.stream = stream
        self.collecting = True
        self.waiter = waiter
        self.send(wire, start_ns)
        return waiter

    def take_body(self) -> list[bytes] | None:
        chunks, self.chunks = self.chunks, None
        return chunks

    # -- httptools callbacks ---------------------------------------------------------------------

    def on_headers_complete(self) -> None:
        status = self.parser.get_status_code()
        if status >= 200:
            self.collecting = False
            if self.head and self.start_ns:  # HEAD: complete on the headers
                self.done = status
                self.keep = self.parser.should_keep_alive()
                self.head_done = self.rare = True
            stream = self.stream
            if stream is not None and self.start_ns and not self.head_done:
                self.status = status  # a streamed exchange goes on from its head
                stream.head = self.head_bytes()
                self._resolve(None)

    def on_body(self, data: bytes) -> None:
        stream = self.stream
        if stream is not None:
            stream.feed(data)
            return
        size = self.body_size + len(data)
        self.body_size = size
        if self.body_over:
            return
        chunks = self.chunks
        if size > self.max_body:
            self.body_over = True
            self.chunks = None
        elif chunks is None:
            self.chunks = [data]  # the first read: most often the whole body
        elif len(chunks) == 1 and self._announced_over():
            # A body in several reads whose head announces more than max_body: none of it is
            # kept from its second read on (the first read's check cost 10,000 instructions).
            self.body_over = True
            self.chunks = None
        else:
            chunks.append(data)

    def _announced_over(self) -> bool:
        """The head announces a Content-Length over max_body: keep none of that body."""
        found = _CONTENT_LENGTH.search(final_head(self.head_bytes()))
        return found is not None and int(found.group(1)) > self.max_body

    def on_message_complete(self) -> None:
        if not self.head_done:
            Http1Connection.on_message_complete(self)

    # -- the core's hooks ----------------------------------------------------------------------

    def complete(self, status: int, start_ns: int, now_ns: int, keep_alive: bool) -> None:
        self.status = status
        self.keep_alive = keep_alive
        self.head_data = self.head_bytes()
        self.collecting = False
        stream = self.stream
        if stream is not None:
            self.stream = None
            if not stream.head:  # whole on its head (HEAD, 204, close-delimited)
                stream.head = self.head_data
            stream.finish()
        self._resolve(None)

    def failed(self, exc: BaseException, start_ns: int, at_ns: int) -> None:
        self.collecting = False
        self._resolve(exc)
        stream = self.stream
        if stream is not None:
            self.stream = None
            stream.fail(exc)

    def _resolve(self, result: BaseException | None) -> None:
        waiter = self.waiter
        if waiter is not None:
            self.waiter = None
            if not waiter.done():
                waiter.set_result(result)

    def gone(self) -> None:
        if not self.lost.done():
            self.lost.set_result(None)


async def open_connection(
    origin: Origin, config: ClientConfig, remaining_s: float
) -> SessionConnection:
    """Connect (and handshake TLS) within the connect timeout and what is left of the
    request's total timeout."""
    loop = asyncio.get_running_loop()
    ssl_ctx = client_ssl_context(config.insecure, config.ca_file) if origin.tls else None
    timeout_s = min(config.connect_timeout_s, remaining_s)
    if timeout_s <= 0:
        raise RequestTimeoutError("total timeout: no time left to connect")
    conn = SessionConnection(loop, config)
    await connect(loop, conn, origin, ssl_ctx, timeout_s)
    return conn
