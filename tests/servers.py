"""The shared HTTP/1.1 test server on 127.0.0.1, plain or TLS, for every test that needs one.

It runs an asyncio event loop (uvloop when available) in a background thread, parses requests
with httptools, supports keep-alive and pipelining, and counts requests and connections
server-side. What each path answers (well-behaved and misbehaving) is listed in routes.py.

Knobs: ``server.delay_ms = 5`` delays every request; ``server.stall(period_s, stall_s)`` holds
every response that becomes ready during a stall window until the window ends (each period is
``period_s - stall_s`` of normal service followed by ``stall_s`` of stall, starting at the call);
``server.reset()`` zeroes the counters and turns both knobs off.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import socket
import ssl
import struct
import tempfile
import threading
import time
from collections import Counter, deque
from pathlib import Path
from types import TracebackType
from typing import Any, Self, cast

import httptools

from routes import (
    ASYNC_ROUTES,
    FIXED_BODY,
    GARBAGE,
    GZIP_BODY,
    JSON_DOC,
    Reply,
    Request,
    not_found,
    serialize,
    serialize_head,
    sync_route,
)

__all__ = [
    "FIXED_BODY",
    "GARBAGE",
    "GZIP_BODY",
    "JSON_DOC",
    "Connection",
    "HttpTestServer",
    "TlsTestServer",
    "closed_port",
]


# --------------------------------------------------------------------------------------------
# The connection protocol
# --------------------------------------------------------------------------------------------


class Connection(asyncio.Protocol):
    def __init__(self, server: HttpTestServer) -> None:
        self.server = server
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpRequestParser(self)
        self.pending: deque[Request] = deque()
        self.worker: asyncio.Task[None] | None = None
        self.closed = False
        self.served = 0  # requests received on this connection
        self._held = False
        self._url = b""
        self._headers: list[tuple[str, str]] = []
        self._body: list[bytes] = []

    # -- asyncio.Protocol --------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        self.server._connection_opened(self)

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except (httptools.HttpParserError, httptools.HttpParserUpgrade):
            self.write(serialize_head(400, [("Content-Length", "0"), ("Connection", "close")]))
            self.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.worker is not None:
            self.worker.cancel()
        self.server._connection_closed(self)

    # -- httptools callbacks -----------------------------------------------------------------

    def on_message_begin(self) -> None:
        self._url, self._headers, self._body = b"", [], []

    def on_url(self, url: bytes) -> None:
        self._url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers.append((name.decode("latin-1"), value.decode("latin-1")))

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        if self.closed or self._held:
            return  # pipelined after a request that closed (or stopped answering on) it
        path, _, query = self._url.decode("latin-1").partition("?")
        request = Request(
            method=self.parser.get_method().decode(),
            path=path,
            query_string=query,
            headers=self._headers,
            body=b"".join(self._body),
            http_version=self.parser.get_http_version(),
            keep_alive=self.parser.should_keep_alive(),
        )
        self.server._count(path, request.method)
        self.served += 1
        route = sync_route(path)
        if self.worker is None and route is not None and self.server._fast_path_open():
            # Fast path: nothing queued, no delay, no stall: answer right here.
            reply = route(self.server, request)
            keep_alive = request.keep_alive and not reply.close
            self.write(serialize(reply, request, keep_alive))
            if not keep_alive:
                self.close()
            return
        self.pending.append(request)
        if self.worker is None:
            self.worker = asyncio.get_running_loop().create_task(self._work())

    # -- responding --------------------------------------------------------------------------

    async def _work(self) -> None:
        try:
            while self.pending and not self.closed and not self._held:
                request = self.pending.popleft()
                if self.server.delay_ms > 0:
                    await asyncio.sleep(self.server.delay_ms / 1000)
                async_route = ASYNC_ROUTES.get(request.path)
                if async_route is not None:
                    keep_alive = await async_route(self, request)
                else:
                    route = sync_route(request.path) or not_found
                    keep_alive = await self.send(route(self.server, request), request)
                if not keep_alive:
                    self.close()
                    return
        finally:
            self.worker = None

    async def hold(self) -> None:
        """Wait out the server's current stall window, if any."""
        remaining_s = self.server._stall_remaining_s()
        if remaining_s > 0:
            await asyncio.sleep(remaining_s)

    async def send(self, reply: Reply, request: Request) -> bool:
        await self.hold()
        keep_alive = request.keep_alive and not reply.close
        self.write(serialize(reply, request, keep_alive))
        return keep_alive

    def write(self, data: bytes) -> None:
        if self.transport is not None and not self.closed:
            self.transport.write(data)

    async def drain(self, high_bytes: int = 4 * 1024 * 1024) -> bool:
        """Wait while more than `high_bytes` wait to be sent (the client reads slowly or not
        at all); False when the connection went away meanwhile."""
        while self.transport is not None and not self.closed:
            if self.transport.is_closing():
                return False
            if self.transport.get_write_buffer_size() <= high_bytes:
                return True
            await asyncio.sleep(0.001)
        return False

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    def hold_open(self) -> None:
        """Answer nothing more on this connection (it stays open until the client goes)."""
        self._held = True

    def abort_with_rst(self) -> None:
        if self.transport is None:
            return
        sock = self.transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.closed = True
        self.transport.abort()


# --------------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------------


def _new_event_loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    loop: asyncio.AbstractEventLoop = uvloop.new_event_loop()
    return loop


class HttpTestServer:
    """The test server. Use as a context manager, or ``start()`` / ``stop()``."""

    __test__ = False  # not a pytest test class
    scheme = "http"

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.delay_ms: float = 0.0
        self._requested_port = port
        self._port: int | None = None
        self._lock = threading.Lock()
        self._by_path: Counter[str] = Counter()
        self._by_method: Counter[tuple[str, str]] = Counter()
        self._total = 0
        self._connections_total = 0
        self._connections: set[Connection] = set()
        self._stall: tuple[float, float, float] | None = None  # (start, period_s, stall_s)
        self._ids: dict[str, itertools.count[int]] = {}
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._ready = threading.Event()
        self._startup_error: BaseException | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def ssl_context(self) -> ssl.SSLContext | None:
        return None

    def start(self) -> Self:
        if self._thread is not None:
            raise RuntimeError("test server already started")
        self._ready.clear()
        self._thread = threading.Thread(target=self._run, name="surge-test-server", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("test server did not start within 10 s")
        if self._startup_error is not None:
            self._thread.join()
            self._thread = None
            raise RuntimeError(f"test server failed to start: {self._startup_error}")
        return self

    def stop(self) -> None:
        thread, self._thread = self._thread, None
        if thread is None:
            return
        if self._loop is not None and self._stopping is not None:
            self._loop.call_soon_threadsafe(self._stopping.set)
        thread.join(10)
        if thread.is_alive():
            raise RuntimeError("test server thread did not stop within 10 s")

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _run(self) -> None:
        loop = _new_event_loop()
        loop.set_exception_handler(_quiet_exception_handler)
        try:
            loop.run_until_complete(self._serve())
        except BaseException as exc:  # surfaced to start() if it happens before ready
            self._startup_error = exc
            self._ready.set()
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    async def _serve(self) -> None:
        loop = asyncio.get_running_loop()
        self._loop, self._stopping = loop, asyncio.Event()
        server = await loop.create_server(
            lambda: Connection(self),
            self.host,
            self._requested_port,
            ssl=self.ssl_context(),
            backlog=2048,
        )
        self._port = server.sockets[0].getsockname()[1]
        self._ready.set()
        await self._stopping.wait()
        server.close()
        for conn in list(self._connections):
            if conn.transport is not None:
                conn.transport.abort()
        await server.wait_closed()
        await asyncio.sleep(0)  # let connection_lost callbacks run
        others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in others:
            task.cancel()
        await asyncio.gather(*others, return_exceptions=True)

    # -- public state ------------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("test server not started")
        return self._port

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"

    @property
    def requests_total(self) -> int:
        with self._lock:
            return self._total

    @property
    def requests_by_path(self) -> dict[str, int]:
        with self._lock:
            return dict(self._by_path)

    @property
    def requests_by_method(self) -> dict[tuple[str, str], int]:
        """Requests received per (method, path)."""
        with self._lock:
            return dict(self._by_method)

    @property
    def connections_total(self) -> int:
        """Connections accepted since start (or the last reset): 1 per keep-alive client."""
        with self._lock:
            return self._connections_total

    @property
    def connections_open(self) -> int:
        with self._lock:
            return len(self._connections)

    def stall(self, period_s: float, stall_s: float) -> None:
        """Each ``period_s``, stall for its last ``stall_s``; ``stall(0, 0)`` turns it off."""
        if period_s == 0 and stall_s == 0:
            self._stall = None
            return
        if not 0 < stall_s < period_s:
            raise ValueError(f"need 0 < stall_s < period_s, got {stall_s=} {period_s=}")
        self._stall = (time.monotonic(), period_s, stall_s)

    def reset(self) -> None:
        """Zero the counters and turn off the delay and the stall mode."""
        self.delay_ms = 0.0
        self._stall = None
        with self._lock:
            self._total = 0
            self._by_path.clear()
            self._by_method.clear()
            self._connections_total = 0

    # -- used by connections and routes (event-loop thread) ----------------------------------

    def next_id(self, kind: str) -> int:
        """1, 2, 3 … per kind ("token", "cookie"), for the values the routes hand out."""
        return next(self._ids.setdefault(kind, itertools.count(1)))

    def _count(self, path: str, method: str = "GET") -> None:
        with self._lock:
            self._total += 1
            self._by_path[path] += 1
            self._by_method[(method, path)] += 1

    def _connection_opened(self, conn: Connection) -> None:
        with self._lock:
            self._connections_total += 1
            self._connections.add(conn)

    def _connection_closed(self, conn: Connection) -> None:
        with self._lock:
            self._connections.discard(conn)

    def _fast_path_open(self) -> bool:
        return self.delay_ms <= 0 and self._stall is None

    def _stall_remaining_s(self) -> float:
        stall = self._stall
        if stall is None:
            return 0.0
        start, period_s, stall_s = stall
        phase_s = (time.monotonic() - start) % period_s
        stall_begins_s = period_s - stall_s
        return period_s - phase_s if phase_s >= stall_begins_s else 0.0


def _quiet_exception_handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """Clients that vanish mid-handshake or mid-response are expected here; anything else is not."""
    if isinstance(context.get("exception"), OSError):  # includes ssl.SSLError
        return
    loop.default_exception_handler(context)


class TlsTestServer(HttpTestServer):
    """The same server behind TLS, with a certificate for localhost/127.0.0.1 from a trustme CA.

    ``ca_pem_path`` is the CA certificate to trust; ``client_ssl_context()`` is a ready-made
    client context that trusts it.
    """

    scheme = "https"

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        import trustme

        super().__init__(host, port)
        self._ca = trustme.CA()
        self._cert = self._ca.issue_cert("localhost", "127.0.0.1", "::1")
        self._tmp = tempfile.TemporaryDirectory(prefix="surge-test-tls-")
        self.ca_pem_path = Path(self._tmp.name) / "ca.pem"
        self._ca.cert_pem.write_to_path(str(self.ca_pem_path))

    def ssl_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._cert.configure_cert(context)
        return context

    def client_ssl_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca_pem_path))

    def stop(self) -> None:
        super().stop()
        self._tmp.cleanup()


def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
