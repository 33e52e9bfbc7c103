"""A real HTTP/1.1 server on 127.0.0.1 for integration tests, plain or TLS.

It runs an asyncio event loop (uvloop when available) in a background thread, parses requests
with httptools, supports keep-alive and pipelining, and counts requests server-side. Routes:

    /, /ok                 200 "ok"
    /delay?ms=N            sleeps N ms, then 200 "ok"
    /status?code=N         replies with status N (body "status N"; none for 204/304)
    /bytes?n=N             200 with an N-byte body
    /chunked?n=K&delay_ms= K chunks with Transfer-Encoding: chunked ("chunk-0\\n", "chunk-1\\n" …)
    /gzip                  GZIP_BODY, gzip-compressed, Content-Encoding: gzip
    /echo                  JSON of method, path, query, headers, body
    /login (POST JSON)     {"token": "tok-<n>"}; 405 for other methods, 400 for a non-JSON body
    /me                    200 {"token": ...} with Authorization: Bearer tok-…, else 401
    /cookie/set?value=     Set-Cookie: sid=<value or sid-<n>>; Path=/
    /cookie/get            {"cookie": <the Cookie header or null>}
    /redirect?to=/ok&code= redirect (302 by default) to `to`
    /reset                 aborts the connection with a TCP RST (SO_LINGER 0), no response
    /garbage               writes non-HTTP bytes, then closes
    /close                 200 with Connection: close, then closes
    /stall?ms=N            sends the headers, waits N ms (default 1000), then sends the body
    anything else          404

Knobs: ``server.delay_ms = 5`` delays every request; ``server.stall(period_s, stall_s)`` holds
every response that becomes ready during a stall window until the window ends (each period is
``period_s - stall_s`` of normal service followed by ``stall_s`` of stall, starting at the call);
``server.reset()`` zeroes the counters and turns both knobs off.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import http
import itertools
import json
import socket
import ssl
import struct
import tempfile
import threading
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Self, cast
from urllib.parse import parse_qsl

import httptools

__all__ = ["GARBAGE", "GZIP_BODY", "Connection", "HttpTestServer", "TlsTestServer"]

GZIP_BODY = json.dumps({"compressed": True, "words": ["surge"] * 200}).encode()
GARBAGE = b"\x00\xff\xfeTHIS IS NOT HTTP\r\n\r\n"
_GZIPPED = gzip.compress(GZIP_BODY, mtime=0)
_REASONS = {status.value: status.phrase.encode() for status in http.HTTPStatus}
_MAX_BYTES = 64 * 1024 * 1024


@dataclass(slots=True)
class Request:
    method: str
    path: str
    query_string: str
    headers: list[tuple[str, str]]
    body: bytes
    http_version: str
    keep_alive: bool

    def header(self, name: str) -> str | None:
        name = name.lower()
        for key, value in self.headers:
            if key.lower() == name:
                return value
        return None

    @property
    def query(self) -> dict[str, str]:
        return dict(parse_qsl(self.query_string, keep_blank_values=True))

    def int_param(self, name: str, default: int) -> int:
        try:
            return int(self.query.get(name, default))
        except ValueError:
            return default


@dataclass(slots=True)
class Reply:
    status: int = 200
    body: bytes = b"ok"
    headers: tuple[tuple[str, str], ...] = ()
    close: bool = False


def serialize_head(
    status: int, headers: tuple[tuple[str, str], ...] | list[tuple[str, str]]
) -> bytes:
    lines = [b"HTTP/1.1 %d %s" % (status, _REASONS.get(status, b"Unknown"))]
    lines.extend(f"{name}: {value}".encode("latin-1") for name, value in headers)
    return b"\r\n".join(lines) + b"\r\n\r\n"


def serialize(reply: Reply, request: Request, keep_alive: bool) -> bytes:
    headers = [("Server", "surge-test"), *reply.headers]
    bodyless = reply.status in (204, 304) or 100 <= reply.status < 200
    if not bodyless:
        headers.append(("Content-Length", str(len(reply.body))))
    if not keep_alive:
        headers.append(("Connection", "close"))
    elif request.http_version == "1.0":
        headers.append(("Connection", "keep-alive"))
    head = serialize_head(reply.status, headers)
    return head if bodyless or request.method == "HEAD" else head + reply.body


def _json(payload: Any, status: int = 200, *extra: tuple[str, str]) -> Reply:
    return Reply(
        status, json.dumps(payload).encode(), (("Content-Type", "application/json"), *extra)
    )


# --------------------------------------------------------------------------------------------
# Routes. Sync routes return a Reply; async routes drive the connection themselves and return
# whether it stays open.
# --------------------------------------------------------------------------------------------

SyncRoute = Callable[["HttpTestServer", Request], Reply]
AsyncRoute = Callable[["Connection", Request], Awaitable[bool]]


def _ok(server: HttpTestServer, request: Request) -> Reply:
    return Reply()


def _status(server: HttpTestServer, request: Request) -> Reply:
    code = request.int_param("code", 200)
    if not 200 <= code <= 599:
        return Reply(400, b"code must be between 200 and 599")
    return Reply(code, f"status {code}".encode())


def _bytes(server: HttpTestServer, request: Request) -> Reply:
    return Reply(body=b"x" * min(max(request.int_param("n", 0), 0), _MAX_BYTES))


def _gzip(server: HttpTestServer, request: Request) -> Reply:
    headers = (("Content-Type", "application/json"), ("Content-Encoding", "gzip"))
    return Reply(200, _GZIPPED, headers)


def _echo(server: HttpTestServer, request: Request) -> Reply:
    headers: dict[str, str] = {}
    for name, value in request.headers:
        key = name.lower()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    return _json(
        {
            "method": request.method,
            "path": request.path,
            "query": request.query,
            "query_string": request.query_string,
            "headers": headers,
            "raw_headers": request.headers,
            "body": request.body.decode("utf-8", errors="replace"),
            "body_length": len(request.body),
            "http_version": request.http_version,
        }
    )


def _login(server: HttpTestServer, request: Request) -> Reply:
    if request.method != "POST":
        return Reply(405, b"use POST", (("Allow", "POST"),))
    try:
        json.loads(request.body)
    except ValueError:
        return Reply(400, b"body must be JSON")
    return _json({"token": f"tok-{server.next_id('token')}"})


def _me(server: HttpTestServer, request: Request) -> Reply:
    scheme, _, token = (request.header("authorization") or "").partition(" ")
    if scheme.lower() == "bearer" and token.startswith("tok-"):
        return _json({"token": token})
    return _json({"detail": "unauthorized"}, 401, ("WWW-Authenticate", "Bearer"))


def _cookie_set(server: HttpTestServer, request: Request) -> Reply:
    value = request.query.get("value") or f"sid-{server.next_id('cookie')}"
    return _json({"sid": value}, 200, ("Set-Cookie", f"sid={value}; Path=/"))


def _cookie_get(server: HttpTestServer, request: Request) -> Reply:
    return _json({"cookie": request.header("cookie")})


def _redirect(server: HttpTestServer, request: Request) -> Reply:
    code = request.int_param("code", 302)
    return Reply(code, b"", (("Location", request.query.get("to", "/ok")),))


def _close(server: HttpTestServer, request: Request) -> Reply:
    return Reply(close=True)


def not_found(server: HttpTestServer, request: Request) -> Reply:
    return Reply(404, b"not found")


async def _delay(conn: Connection, request: Request) -> bool:
    await asyncio.sleep(request.int_param("ms", 0) / 1000)
    return await conn.send(Reply(), request)


async def _chunked(conn: Connection, request: Request) -> bool:
    delay_s = request.int_param("delay_ms", 0) / 1000
    await conn.hold()
    conn.write(
        serialize_head(200, [("Transfer-Encoding", "chunked"), ("Content-Type", "text/plain")])
    )
    for i in range(max(request.int_param("n", 3), 0)):
        if delay_s:
            await asyncio.sleep(delay_s)
        chunk = f"chunk-{i}\n".encode()
        conn.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
    conn.write(b"0\r\n\r\n")
    return request.keep_alive


async def _reset(conn: Connection, request: Request) -> bool:
    conn.abort_with_rst()
    return False


async def _garbage(conn: Connection, request: Request) -> bool:
    conn.write(GARBAGE)
    return False


async def _stall(conn: Connection, request: Request) -> bool:
    body = b"finally"
    await conn.hold()
    conn.write(serialize_head(200, [("Content-Length", str(len(body)))]))
    await asyncio.sleep(request.int_param("ms", 1000) / 1000)
    conn.write(body)
    return request.keep_alive


SYNC_ROUTES: dict[str, SyncRoute] = {
    "/": _ok,
    "/ok": _ok,
    "/status": _status,
    "/bytes": _bytes,
    "/gzip": _gzip,
    "/echo": _echo,
    "/login": _login,
    "/me": _me,
    "/cookie/set": _cookie_set,
    "/cookie/get": _cookie_get,
    "/redirect": _redirect,
    "/close": _close,
}
ASYNC_ROUTES: dict[str, AsyncRoute] = {
    "/delay": _delay,
    "/chunked": _chunked,
    "/reset": _reset,
    "/garbage": _garbage,
    "/stall": _stall,
}


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
        if self.closed:
            return  # pipelined after a request that closed the connection
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
        self.server._count(path)
        sync_route = SYNC_ROUTES.get(path) if path not in ASYNC_ROUTES else None
        if self.worker is None and sync_route is not None and self.server._fast_path_open():
            # Fast path: nothing queued, no delay, no stall: answer right here.
            reply = sync_route(self.server, request)
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
            while self.pending and not self.closed:
                request = self.pending.popleft()
                if self.server.delay_ms > 0:
                    await asyncio.sleep(self.server.delay_ms / 1000)
                async_route = ASYNC_ROUTES.get(request.path)
                if async_route is not None:
                    keep_alive = await async_route(self, request)
                else:
                    sync_route = SYNC_ROUTES.get(request.path, not_found)
                    keep_alive = await self.send(sync_route(self.server, request), request)
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

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()

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
            self._connections_total = 0

    # -- used by connections and routes (event-loop thread) ----------------------------------

    def next_id(self, kind: str) -> int:
        """1, 2, 3 … per kind ("token", "cookie"), for the values the routes hand out."""
        return next(self._ids.setdefault(kind, itertools.count(1)))

    def _count(self, path: str) -> None:
        with self._lock:
            self._total += 1
            self._by_path[path] += 1

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
