"""The engine tests' own HTTP/1.1 test server: its own event loop in a background thread.

Routes (query strings are ignored unless noted):
  /fixed            200, Content-Length body
  /chunked          200, chunked body in three chunks
  /gzip, /deflate   compressed JSON body with Content-Encoding
  /json             200, JSON_DOC as application/json, header X-Id: 42
  /json/N           status N with JSON_DOC (e.g. /json/404)
  /json-gzip        JSON_DOC gzip-compressed (Content-Encoding: gzip)
  /not-json         200, a body that is not JSON
  /delay?ms=N       200 after N ms
  /status/N         status N
  /redirect/N       302 → /redirect/N-1 … /redirect/0 (200); /redirect-307/N keeps the method
  /redirect-loop    302 to itself
  /set-cookie?k=v   Set-Cookie: k=v (Path=/); /set-cookie-expired?k expires k
  /cookies          JSON {"cookie": <Cookie header or null>}
  /echo             JSON of method, path, headers, body
  /close            200 with Connection: close, then closes
  /until-close      200 without Content-Length; body ends when the server closes
  /reset-mid        half a response, then a TCP reset
  /garbage          bytes that are not HTTP
  /stall            never answers
  /stall-body       headers and part of the body, then nothing
  /one-per-connection  200 for a connection's first request; closes silently on later ones
  /drop-idle        200 keep-alive, then closes the connection silently 50 ms later
"""

from __future__ import annotations

import asyncio
import collections
import gzip
import json
import socket
import ssl
import struct
import threading
import zlib
from collections.abc import Coroutine
from typing import Any, TypeVar

import httptools
import trustme

from surge.metrics.recorder import Recorder

T = TypeVar("T")
FIXED_BODY = b"hello world " * 100
JSON_DOC: dict[str, Any] = {
    "ok": True,
    "count": 1,
    "name": "surge",
    "items": [{"id": 3, "tags": ["a", "b"]}, {"id": 4, "tags": []}],
    "none": None,
}


class _ServerProtocol(asyncio.Protocol):
    def __init__(self, server: TestServer) -> None:
        self.server = server
        self.parser = httptools.HttpRequestParser(self)
        self.transport: asyncio.Transport | None = None
        self.url = b""
        self.headers: list[tuple[str, str]] = []
        self.body: list[bytes] = []
        self.served = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.server.connections += 1

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            assert self.transport is not None
            self.transport.close()

    def on_url(self, url: bytes) -> None:
        self.url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name.decode("latin-1"), value.decode("latin-1")))

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        url = httptools.parse_url(self.url)
        path = url.path.decode()
        query = url.query.decode() if url.query else ""
        method = self.parser.get_method().decode()
        self.server.requests[path] += 1
        self.server.total += 1
        self.served += 1
        request = {
            "method": method,
            "path": path,
            "query": query,
            "headers": self.headers,
            "body": b"".join(self.body),
            "nth": self.served,
        }
        self.url, self.headers, self.body = b"", [], []
        assert self.transport is not None
        self.server.dispatch(self.transport, request)


def _response(
    status: int, body: bytes = b"", headers: list[tuple[str, str]] | None = None, head: bool = False
) -> bytes:
    lines = [f"HTTP/1.1 {status} X"]
    hdrs = list(headers or [])
    if not any(k.lower() in ("content-length", "transfer-encoding") for k, _ in hdrs):
        hdrs.append(("Content-Length", str(len(body))))
    lines += [f"{k}: {v}" for k, v in hdrs]
    data = ("\r\n".join(lines) + "\r\n\r\n").encode()
    return data if head else data + body


class TestServer:
    """The server: `url(path)`, `tls_url(path)`, request counts per path and in total."""

    __test__ = False

    def __init__(self) -> None:
        self.requests: collections.Counter[str] = collections.Counter()
        self.total = 0
        self.connections = 0
        self.ca = trustme.CA()
        self.loop = asyncio.new_event_loop()
        self.port = 0
        self.tls_port = 0
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._stalled: list[asyncio.Transport] = []

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def tls_url(self, path: str) -> str:
        return f"https://127.0.0.1:{self.tls_port}{path}"

    def reset_counts(self) -> None:
        self.requests.clear()
        self.total = 0
        self.connections = 0

    def start(self) -> None:
        self._thread.start()
        self._ready.wait(10)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)

    def _serve(self) -> None:
        asyncio.set_event_loop(self.loop)
        cert = self.ca.issue_cert("127.0.0.1", "localhost")
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(ctx)
        plain = self.loop.run_until_complete(
            self.loop.create_server(lambda: _ServerProtocol(self), "127.0.0.1", 0)
        )
        tls = self.loop.run_until_complete(
            self.loop.create_server(lambda: _ServerProtocol(self), "127.0.0.1", 0, ssl=ctx)
        )
        self.port = plain.sockets[0].getsockname()[1]
        self.tls_port = tls.sockets[0].getsockname()[1]
        self._ready.set()
        try:
            self.loop.run_forever()
        finally:
            plain.close()
            tls.close()
            for transport in self._stalled:
                transport.abort()
            self.loop.run_until_complete(asyncio.sleep(0))
            self.loop.close()

    def dispatch(self, tr: asyncio.Transport, req: dict[str, Any]) -> None:
        path, query, head = req["path"], req["query"], req["method"] == "HEAD"
        if path == "/fixed":
            tr.write(_response(200, FIXED_BODY, head=head))
        elif path == "/chunked":
            chunks = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in (b"abc", b"defg", b"h" * 300))
            tr.write(_response(200, chunks + b"0\r\n\r\n", [("Transfer-Encoding", "chunked")]))
        elif path in ("/gzip", "/deflate"):
            raw = json.dumps({"compressed": True, "pad": "x" * 500}).encode()
            body = gzip.compress(raw) if path == "/gzip" else zlib.compress(raw)
            enc = [("Content-Encoding", path[1:]), ("Content-Type", "application/json")]
            tr.write(_response(200, body, enc))
        elif path == "/json" or path.startswith("/json/"):
            code = int(path.rsplit("/", 1)[1]) if path.startswith("/json/") else 200
            hdrs = [("Content-Type", "application/json"), ("X-Id", "42")]
            tr.write(_response(code, json.dumps(JSON_DOC).encode(), hdrs, head=head))
        elif path == "/json-gzip":
            packed = gzip.compress(json.dumps(JSON_DOC).encode())
            tr.write(_response(200, packed, [("Content-Encoding", "gzip")]))
        elif path == "/not-json":
            tr.write(_response(200, b"{not json", [("Content-Type", "application/json")]))
        elif path == "/delay":
            ms = int(query.split("=")[1]) if "=" in query else 100
            self.loop.call_later(ms / 1000, tr.write, _response(200, b"late"))
        elif path.startswith("/status/"):
            tr.write(_response(int(path.rsplit("/", 1)[1]), b"status body", head=head))
        elif path.startswith(("/redirect/", "/redirect-307/")):
            self._redirect(tr, path)
        elif path == "/redirect-loop":
            tr.write(_response(302, b"", [("Location", "/redirect-loop")]))
        elif path == "/set-cookie":
            tr.write(_response(200, b"set", [("Set-Cookie", f"{query}; Path=/")]))
        elif path == "/set-cookie-expired":
            gone = f"{query}=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT"
            tr.write(_response(200, b"gone", [("Set-Cookie", gone)]))
        elif path == "/cookies":
            cookie = next((v for k, v in req["headers"] if k.lower() == "cookie"), None)
            tr.write(_response(200, json.dumps({"cookie": cookie}).encode()))
        elif path == "/echo":
            echoed = {**req, "body": req["body"].decode()}
            tr.write(_response(200, json.dumps(echoed).encode(), head=head))
        else:
            self._misbehave(tr, path, req["nth"])

    def _redirect(self, tr: asyncio.Transport, path: str) -> None:
        prefix, n = path.rsplit("/", 1)
        if int(n) == 0:
            tr.write(_response(200, b"landed"))
            return
        status = 307 if prefix == "/redirect-307" else 302
        tr.write(_response(status, b"", [("Location", f"{prefix}/{int(n) - 1}")]))

    def _misbehave(self, tr: asyncio.Transport, path: str, nth: int) -> None:
        if path == "/close":
            tr.write(_response(200, b"bye", [("Connection", "close")]))
            tr.close()
        elif path == "/until-close":
            tr.write(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end")
            tr.close()
        elif path == "/reset-mid":
            tr.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\npartial")
            self.loop.call_later(0.02, _reset, tr)
        elif path == "/garbage":
            tr.write(b"\x00\x01garbage that is not HTTP at all\r\n\r\n")
        elif path in ("/stall", "/stall-body"):
            if path == "/stall-body":
                tr.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nsome")
            self._stalled.append(tr)
        elif path == "/one-per-connection":
            if nth > 1:  # what a server closing an idle keep-alive connection looks like
                tr.close()
            else:
                tr.write(_response(200, b"first"))
        elif path == "/drop-idle":
            tr.write(_response(200, b"ok"))
            self.loop.call_later(0.05, tr.close)
        else:
            tr.write(_response(404, b"not found"))


def _reset(tr: asyncio.Transport) -> None:
    sock = tr.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    tr.abort()


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine on a fresh default event loop."""
    return asyncio.run(coro)


def closed_port() -> int:
    """A loopback port nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def totals(recorder: Recorder) -> dict[str, int]:
    """Counts summed over every endpoint (takes a snapshot: call once, at the end)."""
    out: collections.Counter[str] = collections.Counter()
    for ep in recorder.snapshot(0.0, 1.0, 0).endpoints:
        out["ok"] += ep.requests - ep.failures
        out["fail"] += ep.failures
        out["incomplete"] += ep.incomplete
        out.update(ep.errors)
    return dict(out)


def names(recorder: Recorder) -> dict[tuple[str, str], int]:
    """Requests per (method, name) (takes a snapshot)."""
    return {(ep.method, ep.name): ep.requests for ep in recorder.snapshot(0.0, 1.0, 0).endpoints}
