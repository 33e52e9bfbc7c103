"""A virtual user's WebSocket client: `ws = await self.ws.connect("/ws/chat")`.

Each `connect` is one request of the endpoint `GET <path>` (the upgrade is an HTTP GET): a
success with status 101 whose latency is the whole opening (TCP + TLS + upgrade, each also kept
as the `connect`, `tls` and `upgrade` timings), or a failure in the error taxonomy. A failed
opening does not raise: it returns a socket that is already closed, with `error` set, so that a
script goes on with `if not ws.open: return`. What happens after the opening is recorded under
the same endpoint by the socket (socket.py). Sockets still open when the user stops are closed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from time import perf_counter_ns
from urllib.parse import urlsplit

from surge.engine.http.config import ClientConfig
from surge.engine.http.request import USER_AGENT, Origin, split_url
from surge.engine.http.tls import client_ssl_context
from surge.engine.ws.opening import classify_opening, open_websocket
from surge.engine.ws.socket import Listener, WebSocket, WsMessage
from surge.metrics.errors import ErrorKind
from surge.metrics.protocol import Wire
from surge.metrics.recorder import EndpointRecorder

EndpointOf = Callable[[str, str], EndpointRecorder]
LagOf = Callable[[int], int]
_SCHEMES = {"ws": "http", "wss": "https", "http": "http", "https": "https"}


def split_ws_url(url: str) -> tuple[Origin, str]:
    """The origin (as http/https, which the connection is) and target of a ws(s):// URL."""
    return split_url(url, _SCHEMES, "ws:// or wss://")


class ClosedWebSocket(WebSocket):
    """What a failed opening returns: closed from the start, `error` saying why."""

    def __init__(self, kind: ErrorKind, message: str) -> None:  # no transport, no recording
        self.close_code = 1006
        self.error: str | None = kind.value
        self.error_message = message
        self._closing = True

    async def send(self, data: str | bytes) -> bool:
        return False

    async def recv(self, timeout_s: float | None = None, *, checks: object = ()) -> WsMessage:
        return WsMessage(b"", 0.0, ErrorKind.RESET, "the WebSocket never opened")

    async def request(self, data: str | bytes, **kwargs: object) -> WsMessage:
        return WsMessage(b"", 0.0, ErrorKind.RESET, "the WebSocket never opened")

    async def ping(self, timeout_s: float | None = None) -> float | None:
        return None

    async def close(self, code: int = 1000, reason: str = "") -> int:
        return 1006

    def abort(self) -> None:
        pass


class WebSocketClient:
    """`self.ws` of a scripted user (implements `surge.scenario.protocols.WebSocketClient`)."""

    def __init__(
        self, base_url: str, config: ClientConfig, endpoint_of: EndpointOf, lag_of: LagOf
    ) -> None:
        self.base_url = base_url
        self.config = config
        self._endpoint_of = endpoint_of
        self._lag_of = lag_of
        self._open: set[WebSocket] = set()

    async def connect(
        self,
        path: str,
        *,
        headers: Mapping[str, str] | None = None,
        name: str | None = None,
        timeout_s: float | None = None,
    ) -> WebSocket:
        """Open a WebSocket to `path` (relative to the host, or a ws(s):// URL); see the module
        docstring. `timeout_s` bounds the opening and is the default wait of recv/request."""
        origin, target = split_ws_url(self._resolve(path))
        endpoint = self._endpoint_of("GET", name or urlsplit(target).path or "/")
        proto = endpoint.protocol()
        proto.carried(Wire.WEBSOCKET)
        wait_s = self.config.connect_timeout_s if timeout_s is None else timeout_s
        extra = [("User-Agent", USER_AGENT), *(headers or {}).items()]
        ssl_ctx = (
            client_ssl_context(self.config.insecure, self.config.ca_file) if origin.tls else None
        )
        t0 = perf_counter_ns()
        try:
            transport, listener, times = await open_websocket(
                origin, target, extra, Listener, ssl_ctx=ssl_ctx, timeout_s=wait_s
            )
        except asyncio.CancelledError:
            endpoint.incomplete()
            raise
        except Exception as exc:
            kind, message, status = classify_opening(exc)
            lag_ns = self._lag_of(t0)
            endpoint.fail((perf_counter_ns() - t0 + lag_ns) // 1000, kind, status, 0, message)
            return ClosedWebSocket(kind, message)
        now = perf_counter_ns()
        lag_ns = self._lag_of(t0)
        endpoint.ok((now - t0 + lag_ns) // 1000, 101, 0)
        proto.sessions += 1
        proto.connect.record(times.connect_us)
        if times.tls_us:
            proto.tls.record(times.tls_us)
        proto.upgrade.record(times.upgrade_us)
        read_s = self.config.read_timeout_s if timeout_s is None else timeout_s
        socket = WebSocket(transport, listener, endpoint, now, read_s, self._open.discard)
        if socket.close_code is None:
            self._open.add(socket)
        return socket

    async def close(self) -> None:
        """Close every socket still open (the user stops)."""
        sockets = list(self._open)
        if sockets:
            await asyncio.gather(*(s.close() for s in sockets), return_exceptions=True)

    def abandon(self) -> None:
        for socket in list(self._open):
            socket.abort()

    def _resolve(self, path: str) -> str:
        if "://" in path:
            return path
        base = self.base_url.rstrip("/")
        return base + path if path.startswith("/") else f"{base}/{path}"
