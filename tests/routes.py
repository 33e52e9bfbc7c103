"""The routes of the shared loopback test server (tests/servers.py): what each path answers.

Sync routes return a `Reply`; async routes drive the connection themselves (misbehaving servers
among them) and return whether it stays open. HEAD requests get the headers of the GET reply and
no body; 1xx, 204 and 304 replies never carry a body. Query strings are ignored unless noted.

General:
    /, /ok                 200 "ok"
    /any/…                 200 "ok" for any path below /any/ (many distinct URLs)
    /delay?ms=N            sleeps N ms, then 200 "ok"
    /status?code=N         replies with status N (body "status N"; none for 204/304)
    /status/N              status N with the body "status body" (none for 204/304)
    /bytes?n=N             200 with an N-byte body
    /fixed                 200 with FIXED_BODY (1,200 bytes, Content-Length)
    /chunked?n=K&delay_ms= K chunks with Transfer-Encoding: chunked ("chunk-0\\n", "chunk-1\\n" …)
    /chunked-abc           chunked: "abc", "defg", "h" * 300
    /chunked-trailers      chunked "abcdef" in two chunks, then trailers (X-Checksum, X-Count)
    /gzip                  GZIP_BODY, gzip-compressed, Content-Encoding: gzip
    /deflate               GZIP_BODY, deflate-compressed, Content-Encoding: deflate
    /json                  JSON_DOC as application/json, header X-Id: 42; /json/N: status N
    /json-gzip             JSON_DOC gzip-compressed; /not-json: 200, a body that is not JSON
    /echo                  JSON of method, path, query, query_string, headers, raw_headers, body
    /login (POST JSON)     {"token": "tok-<n>"}; 405 for other methods, 400 for a non-JSON body
    /me                    200 {"token": ...} with Authorization: Bearer tok-…, else 401
    /basic                 200 with Authorization: Basic for BASIC_USER:BASIC_PASSWORD, else 401
    /big?n=N&chunked=1     N bytes (1 GiB is fine), written as the client reads them
    /cookie/set?value=     Set-Cookie: sid=<value or sid-<n>>; Path=/
    /cookie/get            {"cookie": <the Cookie header or null>}
    /set-cookie?k=v        Set-Cookie: k=v; Path=/   /set-cookie-expired?k: expires cookie k
    /cookies               {"cookie": <the Cookie header or null>}
    /redirect?to=/ok&code= redirect (302 by default) to `to`
    /redirect/N            302 → /redirect/N-1 … /redirect/0 (200 "landed");
                           /redirect-307/N keeps the method; /redirect-loop redirects to itself
Connection handling and misbehaviour:
    /close                 200 "ok" with Connection: close, then closes
    /bye                   200 "bye" with Connection: close, then closes
    /close-delimited       200 without Content-Length or chunking: the body ("until the end")
                           ends when the server closes the connection; /until-close: the same
                           with Connection: close
    /continue              "100 Continue" first, then (5 ms later) 200 "continued"
    /early-hints           "103 Early Hints" and 200 "hinted" in one write
    /pipelined-garbage     200 "ok" followed in the same write by GARBAGE (connection kept open)
    /split-head            a 200 whose head comes in two writes 20 ms apart (Set-Cookie in the
                           second), body "ok"
    /reset                 aborts the connection with a TCP RST (SO_LINGER 0), no response
    /reset-mid             half a response, then a TCP reset
    /garbage               writes non-HTTP bytes, then closes
    /stall?ms=N            sends the headers, waits N ms (default 1000), then sends the body
    /stall-body            headers and part of the body, then nothing
    /hang                  never answers
    /one-per-connection    200 "first" for a connection's first request; closes silently on
                           later ones (what a server closing an idle keep-alive connection does)
    /drop-idle             200 "ok" keep-alive, then closes the connection silently 50 ms later
    anything else          404
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import http
import json
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

if TYPE_CHECKING:
    from servers import Connection, HttpTestServer

FIXED_BODY = b"hello world " * 100
JSON_DOC: dict[str, Any] = {
    "ok": True,
    "count": 1,
    "name": "surge",
    "items": [{"id": 3, "tags": ["a", "b"]}, {"id": 4, "tags": []}],
    "none": None,
}

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


BASIC_USER, BASIC_PASSWORD = "alice", "s3cret-pw"  # as in docs/redaction.md


def _basic(server: HttpTestServer, request: Request) -> Reply:
    """200 for `Authorization: Basic` with BASIC_USER:BASIC_PASSWORD, else 401."""
    scheme, _, token = (request.header("authorization") or "").partition(" ")
    expected = base64.b64encode(f"{BASIC_USER}:{BASIC_PASSWORD}".encode()).decode()
    if scheme.lower() == "basic" and token == expected:
        return _json({"user": BASIC_USER})
    return _json({"detail": "unauthorized"}, 401, ("WWW-Authenticate", 'Basic realm="test"'))


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


_BIG_PIECE = b"x" * (256 * 1024)


async def _big(conn: Connection, request: Request) -> bool:
    """`n` bytes (any size: 1 GiB is fine) with a Content-Length (`chunked=1`: chunked instead),
    written as the client reads them, never all in memory."""
    n = max(request.int_param("n", 0), 0)
    chunked = request.query.get("chunked") == "1"
    length = ("Transfer-Encoding", "chunked") if chunked else ("Content-Length", str(n))
    conn.write(serialize_head(200, [length, ("Content-Type", "application/octet-stream")]))
    left = n
    while left > 0:
        piece = _BIG_PIECE if left >= len(_BIG_PIECE) else _BIG_PIECE[:left]
        conn.write(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
        left -= len(piece)
        if not await conn.drain():
            return False
    if chunked:
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


def _fixed(server: HttpTestServer, request: Request) -> Reply:
    return Reply(body=FIXED_BODY)


def _status_path(server: HttpTestServer, request: Request) -> Reply:
    return Reply(int(request.path.rsplit("/", 1)[1]), b"status body")


def _deflate(server: HttpTestServer, request: Request) -> Reply:
    headers = (("Content-Type", "application/json"), ("Content-Encoding", "deflate"))
    return Reply(200, zlib.compress(GZIP_BODY), headers)


def _json_doc(server: HttpTestServer, request: Request) -> Reply:
    code = int(request.path.rsplit("/", 1)[1]) if request.path.startswith("/json/") else 200
    return _json(JSON_DOC, code, ("X-Id", "42"))


def _json_gzip(server: HttpTestServer, request: Request) -> Reply:
    packed = gzip.compress(json.dumps(JSON_DOC).encode(), mtime=0)
    return Reply(200, packed, (("Content-Encoding", "gzip"),))


def _not_json(server: HttpTestServer, request: Request) -> Reply:
    return Reply(200, b"{not json", (("Content-Type", "application/json"),))


def _redirect_path(server: HttpTestServer, request: Request) -> Reply:
    prefix, n = request.path.rsplit("/", 1)
    if int(n) == 0:
        return Reply(200, b"landed")
    status = 307 if prefix == "/redirect-307" else 302
    return Reply(status, b"", (("Location", f"{prefix}/{int(n) - 1}"),))


def _redirect_loop(server: HttpTestServer, request: Request) -> Reply:
    return Reply(302, b"", (("Location", "/redirect-loop"),))


def _set_cookie(server: HttpTestServer, request: Request) -> Reply:
    return Reply(200, b"set", (("Set-Cookie", f"{request.query_string}; Path=/"),))


def _set_cookie_expired(server: HttpTestServer, request: Request) -> Reply:
    gone = f"{request.query_string}=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT"
    return Reply(200, b"gone", (("Set-Cookie", gone),))


def _bye(server: HttpTestServer, request: Request) -> Reply:
    return Reply(body=b"bye", close=True)


async def _chunked_abc(conn: Connection, request: Request) -> bool:
    head = serialize_head(200, [("Transfer-Encoding", "chunked")])
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in (b"abc", b"defg", b"h" * 300))
    conn.write(head + chunks + b"0\r\n\r\n")
    return request.keep_alive


async def _chunked_trailers(conn: Connection, request: Request) -> bool:
    head = serialize_head(200, [("Transfer-Encoding", "chunked"), ("Trailer", "X-Checksum")])
    chunks = b"3\r\nabc\r\n3\r\ndef\r\n"
    conn.write(head + chunks + b"0\r\nX-Checksum: 7ac66c0f\r\nX-Count: 2\r\n\r\n")
    return request.keep_alive


async def _close_delimited(conn: Connection, request: Request) -> bool:
    close = [("Connection", "close")] if request.path == "/until-close" else []
    conn.write(serialize_head(200, [("Content-Type", "text/plain"), *close]) + b"until the end")
    return False


async def _continue(conn: Connection, request: Request) -> bool:
    conn.write(b"HTTP/1.1 100 Continue\r\n\r\n")
    await asyncio.sleep(0.005)
    return await conn.send(Reply(body=b"continued"), request)


async def _early_hints(conn: Connection, request: Request) -> bool:
    hints = serialize_head(103, [("Link", "</style.css>; rel=preload")])
    conn.write(hints + serialize(Reply(body=b"hinted"), request, request.keep_alive))
    return request.keep_alive


async def _split_head(conn: Connection, request: Request) -> bool:
    conn.write(b"HTTP/1.1 200 OK\r\nX-First: 1\r\n")
    await asyncio.sleep(0.02)
    conn.write(b"Set-Cookie: split=yes; Path=/\r\nContent-Length: 2\r\n\r\nok")
    return request.keep_alive


async def _pipelined_garbage(conn: Connection, request: Request) -> bool:
    conn.write(serialize(Reply(), request, True) + GARBAGE)
    conn.hold_open()
    return True


async def _reset_mid(conn: Connection, request: Request) -> bool:
    conn.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\npartial")
    await asyncio.sleep(0.02)
    conn.abort_with_rst()
    return False


async def _stall_body(conn: Connection, request: Request) -> bool:
    conn.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nsome")
    conn.hold_open()
    return True


async def _hang(conn: Connection, request: Request) -> bool:
    conn.hold_open()
    return True


async def _one_per_connection(conn: Connection, request: Request) -> bool:
    if conn.served > 1:  # what a server closing an idle keep-alive connection looks like
        conn.close()
        return False
    return await conn.send(Reply(body=b"first"), request)


async def _drop_idle(conn: Connection, request: Request) -> bool:
    keep_alive = await conn.send(Reply(), request)
    asyncio.get_running_loop().call_later(0.05, conn.close)
    return keep_alive


SYNC_ROUTES: dict[str, SyncRoute] = {
    "/": _ok,
    "/ok": _ok,
    "/status": _status,
    "/bytes": _bytes,
    "/fixed": _fixed,
    "/gzip": _gzip,
    "/deflate": _deflate,
    "/json": _json_doc,
    "/json-gzip": _json_gzip,
    "/not-json": _not_json,
    "/echo": _echo,
    "/login": _login,
    "/me": _me,
    "/basic": _basic,
    "/cookie/set": _cookie_set,
    "/cookie/get": _cookie_get,
    "/set-cookie": _set_cookie,
    "/set-cookie-expired": _set_cookie_expired,
    "/cookies": _cookie_get,
    "/redirect": _redirect,
    "/redirect-loop": _redirect_loop,
    "/close": _close,
    "/bye": _bye,
}
ASYNC_ROUTES: dict[str, AsyncRoute] = {
    "/big": _big,
    "/delay": _delay,
    "/chunked": _chunked,
    "/chunked-abc": _chunked_abc,
    "/chunked-trailers": _chunked_trailers,
    "/close-delimited": _close_delimited,
    "/until-close": _close_delimited,
    "/continue": _continue,
    "/early-hints": _early_hints,
    "/pipelined-garbage": _pipelined_garbage,
    "/split-head": _split_head,
    "/reset": _reset,
    "/reset-mid": _reset_mid,
    "/garbage": _garbage,
    "/stall": _stall,
    "/stall-body": _stall_body,
    "/hang": _hang,
    "/one-per-connection": _one_per_connection,
    "/drop-idle": _drop_idle,
}
_PREFIX_ROUTES: tuple[tuple[str, SyncRoute], ...] = (
    ("/status/", _status_path),
    ("/json/", _json_doc),
    ("/redirect/", _redirect_path),
    ("/redirect-307/", _redirect_path),
)


def sync_route(path: str) -> SyncRoute | None:
    """The sync route answering `path` (None: an async route does, or none)."""
    if path in ASYNC_ROUTES:
        return None
    found = SYNC_ROUTES.get(path)
    if found is None and path.startswith("/any/"):
        return _ok
    if found is None:
        for prefix, route in _PREFIX_ROUTES:
            if path.startswith(prefix) and path[len(prefix) :].isdigit():
                return route
    return found
