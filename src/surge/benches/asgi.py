"""Calling an ASGI app (Starlette, FastAPI, …) in-process: a handler benchmarked without sockets.

    call = AsgiRequest(app, "GET", "/users/42", expect_status=200)
    surge.benchmark(call, kind=surge.Kind.API_ENDPOINT)

Each call runs the app once through the ASGI interface (scope, `receive`, `send`), the way a
server would, reads the response and discards its body. A status other than `expect_status`
raises `AsgiStatusError`, which the bench counts as an error. The app's lifespan is not run:
start what the handler needs (a database pool) in the bench's setup, or before it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
AsgiApp = Callable[
    [Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]],
    Awaitable[None],
]


class AsgiStatusError(Exception):
    """The app answered with a status the bench did not expect."""


class AsgiRequest:
    """An async callable that sends one request to an ASGI app and returns the status."""

    def __init__(
        self,
        app: AsgiApp,
        method: str = "GET",
        path: str = "/",
        *,
        query: str = "",
        headers: Iterable[tuple[str, str]] = (),
        body: bytes = b"",
        expect_status: int | None = None,
    ) -> None:
        if not path.startswith("/"):
            raise ValueError(f"AsgiRequest: path must start with '/', got {path!r}")
        self.app = app
        self.body = body
        self.expect_status = expect_status
        raw_headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers]
        if body and not any(k == b"content-length" for k, _ in raw_headers):
            raw_headers.append((b"content-length", str(len(body)).encode()))
        self.scope: dict[str, Any] = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": method.upper(),
            "scheme": "http",
            "path": path,
            "raw_path": path.encode("latin-1"),
            "root_path": "",
            "query_string": query.encode("latin-1"),
            "headers": raw_headers,
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 80),
        }

    async def __call__(self) -> int:
        sent = False
        status = 0

        async def receive() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": self.body, "more_body": False}
            return {"type": "http.disconnect"}

        async def send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])

        await self.app(dict(self.scope), receive, send)
        if self.expect_status is not None and status != self.expect_status:
            raise AsgiStatusError(
                f"{self.scope['method']} {self.scope['path']} answered {status}, "
                f"expected {self.expect_status}"
            )
        return status
