"""Opening a WebSocket: TCP connect, TLS handshake and the HTTP upgrade, each timed.

The client is picows (a Cython WebSocket implementation: the fastest asyncio client measured,
see docs/benchmarks.md). Its `ws_connect` opens all three steps at once; surge opens them one by
one so that each is timed: `loop.create_connection` for TCP, `loop.start_tls` for TLS (the
client context verifies certificates unless `insecure`), then picows's protocol takes over the
transport and performs the upgrade, exactly as picows itself does behind a proxy.

Failures use the error taxonomy: an answer other than `101 Switching Protocols` is `http_status`
(with its status), a malformed or refused upgrade `protocol`, and the transport's failures are
classified like HTTP's (refused, TLS, timeout …).
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from time import perf_counter_ns
from typing import Any

import picows
from picows.picows import WSProtocol  # type: ignore[attr-defined]

from surge.engine.http.classify import (
    ConnectionClosedError,
    RequestTimeoutError,
    classify_error,
    describe_error,
)
from surge.engine.http.request import Origin
from surge.metrics.errors import ErrorKind

_LOG = logging.getLogger("surge.ws")
MAX_FRAME_BYTES = 16 * 1024 * 1024
_READ_BUFFER_BYTES = 16 * 1024


class UpgradeError(Exception):
    """The server did not switch to WebSocket: `status` is its answer (0: no valid answer)."""

    def __init__(self, message: str, status: int = 0) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True, slots=True)
class OpenTimes:
    """How long each step of an opening took, in µs (`tls_us` 0 without TLS)."""

    connect_us: int
    tls_us: int
    upgrade_us: int

    @property
    def total_us(self) -> int:
        return self.connect_us + self.tls_us + self.upgrade_us


class _Placeholder(asyncio.Protocol):
    """Holds the TCP transport until TLS and the WebSocket protocol take it over."""

    def __init__(self) -> None:
        self.lost = False

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost = True


async def open_websocket(
    origin: Origin,
    target: str,
    headers: Iterable[tuple[str, str]],
    listener_factory: Callable[[], picows.WSListener],
    *,
    ssl_ctx: ssl.SSLContext | None,
    timeout_s: float,
) -> tuple[picows.WSTransport, Any, OpenTimes]:
    """Open a WebSocket to `origin` + `target` within `timeout_s`; (transport, listener, times).

    Raises RequestTimeoutError, UpgradeError or the transport's own exception."""
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(timeout_s):
            return await _open(loop, origin, target, headers, listener_factory, ssl_ctx)
    except TimeoutError as exc:
        raise RequestTimeoutError(f"WebSocket opening timeout after {timeout_s:.3g} s") from exc


async def _open(
    loop: asyncio.AbstractEventLoop,
    origin: Origin,
    target: str,
    headers: Iterable[tuple[str, str]],
    listener_factory: Callable[[], picows.WSListener],
    ssl_ctx: ssl.SSLContext | None,
) -> tuple[picows.WSTransport, Any, OpenTimes]:
    t0 = perf_counter_ns()
    transport, placeholder = await loop.create_connection(_Placeholder, origin.host, origin.port)
    t1 = perf_counter_ns()
    try:
        if ssl_ctx is not None:
            upgraded = await loop.start_tls(
                transport, placeholder, ssl_ctx, server_hostname=origin.host
            )
            if upgraded is None:
                raise ConnectionClosedError("connection closed during the TLS handshake")
            transport = upgraded
        t2 = perf_counter_ns()
        protocol = WSProtocol(
            origin.host_header,
            target,
            True,  # client side
            listener_factory,
            _LOG,
            True,  # disconnect when the listener raises
            None,  # no handshake timeout of its own: the caller's deadline covers it
            False,  # no auto-ping: scripts ping when they mean to
            10,
            10,
            picows.WSAutoPingStrategy.PING_WHEN_IDLE,
            True,  # answer the server's pings
            MAX_FRAME_BYTES,
            list(headers) or None,
            _READ_BUFFER_BYTES,
        )
        transport.set_protocol(protocol)
        protocol.connection_made(transport)
        try:
            await protocol.wait_until_handshake_complete()
        except picows.WSHandshakeError as exc:
            raise _upgrade_error(exc) from exc
        if protocol.listener is None:
            raise ConnectionClosedError("connection closed before the WebSocket upgrade")
    except BaseException:
        transport.abort()
        raise
    t3 = perf_counter_ns()
    times = OpenTimes((t1 - t0) // 1000, (t2 - t1) // 1000 if ssl_ctx else 0, (t3 - t2) // 1000)
    return protocol.transport, protocol.listener, times


def _upgrade_error(exc: picows.WSHandshakeError) -> UpgradeError:
    response = exc.response
    status = int(response.status) if response is not None else 0
    if status and status != 101:
        return UpgradeError(f"HTTP {status}: the server did not switch to WebSocket", status)
    return UpgradeError(f"invalid WebSocket upgrade: {exc}", status)


def classify_opening(exc: BaseException) -> tuple[ErrorKind, str, int]:
    """(kind, message, status) of an opening that failed."""
    if isinstance(exc, UpgradeError):
        if exc.status and exc.status != 101:
            return ErrorKind.HTTP_STATUS, str(exc), exc.status
        return ErrorKind.PROTOCOL, str(exc), exc.status
    if isinstance(exc, picows.WSError):
        return ErrorKind.PROTOCOL, f"WebSocket: {exc}", 0
    return classify_error(exc), describe_error(exc), 0
