"""The scripted session's connection: the HTTP/1.1 core with an awaitable exchange.

`exchange(wire, start_ns, head, total_ns)` returns a future that resolves to None when the
response is whole (its status, head bytes and body chunks are then on the connection, until the
next exchange) or to the exception it failed with. The head is kept as the bytes it arrived in
and the body as the chunks received: the response parses and joins them only when a task asks.
"""

from __future__ import annotations

import asyncio

from surge.engine.http.classify import ConnectionClosedError, RequestTimeoutError
from surge.engine.http.config import ClientConfig
from surge.engine.http.connection import HeadAwareConnection, connect
from surge.engine.http.request import Origin
from surge.engine.http.tls import client_ssl_context

_Waiter = asyncio.Future[BaseException | None]


class SessionConnection(HeadAwareConnection):
    """A keep-alive connection of one session; one exchange at a time."""

    __slots__ = ("body", "head_parts", "keep_alive", "lost", "parts", "status", "waiter")

    def __init__(self, loop: asyncio.AbstractEventLoop, config: ClientConfig) -> None:
        super().__init__(loop, config)
        self.waiter: _Waiter | None = None
        self.status = 0
        self.keep_alive = False
        self.body: list[bytes] | None = None
        self.parts: list[bytes] | None = None  # chunks received until the head is complete
        self.head_parts: list[bytes] = []
        self.lost: asyncio.Future[None] = loop.create_future()

    def exchange(self, wire: bytes, start_ns: int, head: bool, total_ns: int) -> _Waiter:
        """Send `wire` (an exchange that started at `start_ns` and must end `total_ns` later)."""
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
        self.body = None
        self.parts = []
        self.waiter = waiter
        self.send(wire, start_ns)
        return waiter

    def head_bytes(self) -> bytes:
        """The bytes the response's head arrived in (a body may follow it in them)."""
        parts = self.head_parts
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def take_body(self) -> list[bytes] | None:
        body, self.body = self.body, None
        return body

    # -- httptools and asyncio callbacks ------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        parts = self.parts
        if parts is not None:
            parts.append(data)
        super().data_received(data)

    def on_headers_complete(self) -> None:
        if self.parser.get_status_code() >= 200 and self.parts is not None:
            self.head_parts, self.parts = self.parts, None
        super().on_headers_complete()

    def on_body(self, data: bytes) -> None:
        body = self.body
        if body is None:
            self.body = [data]
        else:
            body.append(data)

    def complete(self, status: int, start_ns: int, now_ns: int, keep_alive: bool) -> None:
        self.status = status
        self.keep_alive = keep_alive
        if self.parts is not None:  # a head without its blank line yet (close-delimited)
            self.head_parts, self.parts = self.parts, None
        waiter = self.waiter
        self.waiter = None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def failed(self, exc: BaseException, start_ns: int, at_ns: int) -> None:
        self.parts = None
        waiter = self.waiter
        self.waiter = None
        if waiter is not None and not waiter.done():
            waiter.set_result(exc)

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
