"""Request/response values and the routes of the test server (see servers.py for the list)."""

from __future__ import annotations

import asyncio
import gzip
import http
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

if TYPE_CHECKING:
    from servers import Connection, HttpTestServer

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
