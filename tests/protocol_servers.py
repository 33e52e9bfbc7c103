"""Loopback servers for the WebSocket and Server-Sent Events tests, each counting on its side.

`WsTestServer` (picows's server side, plain or TLS with a trustme certificate) routes by path:

    /echo?delay_ms=N     echoes every message, N ms later (a known server delay)
    /chat, /ws/chat      every message goes to every socket connected to the chat
    /close?code=N        closes with code N (default 1000) after the first message
    /drop                drops the connection (no close frame) after the first message
    /push?n=N            sends N messages right after the opening, then waits
    /forbidden           refuses the upgrade with 403

`SseTestServer` (a small asyncio HTTP/1.1 server) serves event streams:

    /events?n=N&gap_ms=G&retry_ms=R&end=close|hold
        N events (`id: <k>`, `data: event <k>`), G ms apart, starting after Last-Event-ID when
        the request has one; then closes the stream (end=close, the default) or holds it open.
    /status?code=N       a plain response with status N
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import picows


class _LoopThread:
    """An event loop in a daemon thread running one server; `start()` / `stop()`."""

    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self.port = 0
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._error: BaseException | None = None
        self._tmp = tempfile.TemporaryDirectory(prefix="surge-proto-tls-")
        self.ca_pem_path = Path(self._tmp.name) / "ca.pem"
        self._cert: Any = None

    def tls(self) -> ssl.SSLContext:
        """A server context with a trustme certificate for 127.0.0.1 (CA at `ca_pem_path`)."""
        import trustme

        ca = trustme.CA()
        self._cert = ca.issue_cert("localhost", "127.0.0.1")
        ca.cert_pem.write_to_path(str(self.ca_pem_path))
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._cert.configure_cert(context)
        return context

    async def serve(self) -> asyncio.AbstractServer:
        raise NotImplementedError

    def start(self) -> Any:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("server did not start")
        if self._error is not None:
            raise RuntimeError(f"server failed: {self._error}")
        return self

    def _run(self) -> None:
        loop = self.loop = asyncio.new_event_loop()
        loop.set_exception_handler(lambda _l, _c: None)
        try:
            loop.run_until_complete(self._main())
        finally:
            loop.close()

    async def _main(self) -> None:
        self._stop = asyncio.Event()
        try:
            server = await self.serve()
        except BaseException as exc:
            self._error = exc
            self._ready.set()
            return
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        await self._stop.wait()
        server.close()
        with contextlib.suppress(Exception):
            async with asyncio.timeout(2):
                await server.wait_closed()

    def call(self, func: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
        assert self.loop is not None
        return asyncio.run_coroutine_threadsafe(func(), self.loop).result(10)

    def stop(self) -> None:
        if self.loop is not None and self._stop is not None:
            self.loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(10)
        self._tmp.cleanup()

    def __enter__(self) -> Any:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class _WsHandler(picows.WSListener):  # type: ignore[misc]
    def __init__(self, server: WsTestServer, path: str, query: dict[str, str]) -> None:
        super().__init__()
        self.server = server
        self.path = path
        self.query = query
        self.transport: picows.WSTransport | None = None

    def on_ws_connected(self, transport: picows.WSTransport) -> None:
        self.transport = transport
        self.server.sessions[self.path] += 1
        if self.path == "/chat":
            self.server.chat.add(transport)
        if self.path == "/push":
            for k in range(int(self.query.get("n", "1"))):
                transport.send(picows.WSMsgType.TEXT, f"push {k}".encode())

    def on_ws_disconnected(self, transport: picows.WSTransport) -> None:
        self.server.chat.discard(transport)

    def on_ws_frame(self, transport: picows.WSTransport, frame: picows.WSFrame) -> None:
        kind = frame.msg_type
        if kind == picows.WSMsgType.CLOSE:
            # Counted before the reply goes out: the client returns from close() on the
            # reply, so a test that reads close_codes right after it sees this count.
            self.server.close_codes[frame.get_close_code().value] += 1
            transport.send_close(frame.get_close_code(), frame.get_close_message())
            transport.disconnect()
            return
        if kind not in (picows.WSMsgType.TEXT, picows.WSMsgType.BINARY):
            return
        server = self.server
        payload = frame.get_payload_as_bytes()
        server.received[self.path] += 1
        server.bytes_received += len(payload)
        if self.path == "/echo":
            delay_s = float(self.query.get("delay_ms", "0")) / 1000
            if delay_s > 0:
                assert server.loop is not None
                at = time.perf_counter_ns()
                server.loop.call_later(delay_s, _send, transport, kind, payload, server, at)
            else:
                _send(transport, kind, payload, server)
        elif self.path == "/chat":
            for peer in list(server.chat):
                _send(peer, kind, payload, server)
        elif self.path == "/close":
            code = int(self.query.get("code", "1000"))
            transport.send_close(picows.WSCloseCode(code), b"bye")
            transport.disconnect()
        elif self.path == "/drop":
            transport.disconnect(graceful=False)


def _send(
    transport: picows.WSTransport,
    kind: picows.WSMsgType,
    payload: bytes,
    server: WsTestServer,
    received_ns: int = 0,
) -> None:
    if not transport.is_disconnected:
        transport.send(kind, payload)
        server.sent += 1
        if received_ns:  # how long the server really held the message (its timer may be late)
            server.holds_us.append((time.perf_counter_ns() - received_ns) // 1000)


class WsTestServer(_LoopThread):
    """See the module docstring; counters are read from the test's thread."""

    def __init__(self, *, tls: bool = False) -> None:
        super().__init__()
        self.use_tls = tls
        self.sessions: Counter[str] = Counter()
        self.received: Counter[str] = Counter()
        self.close_codes: Counter[int] = Counter()
        self.bytes_received = 0
        self.sent = 0
        self.holds_us: list[int] = []
        self.chat: set[picows.WSTransport] = set()

    @property
    def url(self) -> str:
        return f"{'wss' if self.use_tls else 'ws'}://127.0.0.1:{self.port}"

    @property
    def http_url(self) -> str:
        return f"{'https' if self.use_tls else 'http'}://127.0.0.1:{self.port}"

    def reset(self) -> None:
        self.sessions.clear()
        self.received.clear()
        self.close_codes.clear()
        self.bytes_received = 0
        self.sent = 0
        self.holds_us.clear()

    async def serve(self) -> asyncio.AbstractServer:
        def factory(request: picows.WSUpgradeRequest) -> Any:
            parts = urlsplit(request.path.decode())
            if parts.path == "/forbidden":
                return picows.WSUpgradeResponseWithListener(
                    picows.WSUpgradeResponse.create_error_response(403, b"no"), None
                )
            route = "/chat" if parts.path.endswith("/chat") else parts.path  # /ws/chat too
            return _WsHandler(self, route, dict(parse_qsl(parts.query)))

        context = self.tls() if self.use_tls else None
        server: asyncio.AbstractServer = await picows.ws_create_server(
            factory, "127.0.0.1", 0, ssl=context, websocket_handshake_timeout=5
        )
        return server


class _SseConnection(asyncio.Protocol):
    def __init__(self, server: SseTestServer) -> None:
        self.server = server
        self.buffer = b""
        self.transport: asyncio.Transport | None = None
        self.task: asyncio.Task[None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if b"\r\n\r\n" in self.buffer and self.task is None:
            head = self.buffer.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
            target = head[0].split(" ")[1]
            headers = {
                k.strip().lower(): v.strip()
                for k, _, v in (line.partition(":") for line in head[1:])
            }
            self.task = asyncio.ensure_future(self.respond(target, headers))

    def connection_lost(self, exc: Exception | None) -> None:
        if self.task is not None:
            self.task.cancel()

    async def respond(self, target: str, headers: dict[str, str]) -> None:
        assert self.transport is not None
        parts = urlsplit(target)
        query = dict(parse_qsl(parts.query))
        server = self.server
        server.requests += 1
        if parts.path == "/status":
            code = int(query.get("code", "500"))
            self.transport.write(
                f"HTTP/1.1 {code} X\r\nContent-Length: 2\r\nConnection: close\r\n\r\nno".encode()
            )
            self.transport.close()
            return
        last = headers.get("last-event-id")
        server.last_event_ids.append(last)
        start = int(last) + 1 if last else 0
        n = int(query.get("n", "3"))
        gap_s = float(query.get("gap_ms", "0")) / 1000
        retry = query.get("retry_ms")
        self.transport.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
            b"Cache-Control: no-cache\r\nConnection: close\r\n\r\n"
        )
        if retry:
            self.transport.write(f"retry: {retry}\n\n".encode())
        self.transport.write(b": a comment line\n\n")
        for k in range(start, n):
            if gap_s:
                await asyncio.sleep(gap_s)
            self.transport.write(
                f"id: {k}\nevent: tick\ndata: event {k}\ndata: line 2\n\n".encode()
            )
            server.events_sent += 1
            server.sent_at_ns.append(time.perf_counter_ns())
        if query.get("end", "close") == "hold":
            await asyncio.sleep(3600)
        self.transport.close()


class SseTestServer(_LoopThread):
    """See the module docstring."""

    def __init__(self) -> None:
        super().__init__()
        self.requests = 0
        self.events_sent = 0
        self.sent_at_ns: list[int] = []  # when each event was written (the real gaps)
        self.last_event_ids: list[str | None] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def serve(self) -> asyncio.AbstractServer:
        loop = asyncio.get_running_loop()
        return await loop.create_server(lambda: _SseConnection(self), "127.0.0.1", 0)
