"""The seams a scenario sees: the per-user HTTP session and its responses.

The engine implements these; scenario code (User classes) is written against them only, so the
scenario stage never imports the engine.
"""

from __future__ import annotations

import datetime
from collections.abc import AsyncIterator, Callable, Mapping, MutableMapping, Sequence
from typing import Any, Protocol


class Response(Protocol):
    """What `await self.http.get(...)` returns. Transport errors do not raise: they set `error`."""

    @property
    def status(self) -> int:
        """HTTP status code, or 0 when no response arrived (see `error`)."""

    @property
    def headers(self) -> Mapping[str, str]:
        """Response headers, case-insensitive keys."""

    @property
    def content(self) -> bytes:
        """The body, decoded from gzip/deflate when the server sent it compressed. Raises
        BodyTooLargeError for a body over --max-body (counted, not kept: stream it)."""

    @property
    def text(self) -> str:
        """The body as text (charset from Content-Type, UTF-8 otherwise)."""

    @property
    def elapsed(self) -> datetime.timedelta:
        """Time from sending the request to the last byte of the response."""

    @property
    def url(self) -> str:
        """The final URL (after redirects)."""

    @property
    def ok(self) -> bool:
        """True when a response arrived with a status below 400."""

    @property
    def error(self) -> str | None:
        """The error class value (see surge.metrics.ErrorKind) when the request failed."""

    @property
    def error_message(self) -> str | None:
        """A human-readable description of the failure."""

    def json(self) -> Any:
        """The body parsed as JSON."""

    def stream(self) -> AsyncIterator[bytes]:
        """The body in chunks as they arrive (request it with `stream=True`); leaving the loop
        early discards the rest."""

    def close(self) -> None:
        """`stream=True`: discard the rest of the body (it is still counted)."""

    def check(self, *checks: Check) -> bool:
        """Evaluate `checks` (see surge.scenario.checks) on this response and count each under
        the request's endpoint; True when all passed. Never raises and never changes whether
        the request counted as a success (use `checks=` with `fail_on_check=True` for that)."""


class WsMessage(Protocol):
    """A WebSocket message (`data` is str for text, bytes for binary), or the error of a receive
    that got none (`error` set, see surge.metrics.ErrorKind)."""

    @property
    def data(self) -> str | bytes: ...
    @property
    def text(self) -> str: ...
    @property
    def content(self) -> bytes: ...
    @property
    def ok(self) -> bool: ...
    @property
    def error(self) -> str | None: ...
    @property
    def error_message(self) -> str | None: ...
    @property
    def elapsed_s(self) -> float:
        """A request's round trip (send to the matching reply), 0 otherwise."""

    def json(self) -> Any: ...


class WebSocket(Protocol):
    """An open WebSocket of a virtual user (see docs/websocket.md). Nothing raises for the
    network: a failed receive returns a message with `error` set."""

    @property
    def open(self) -> bool: ...
    @property
    def close_code(self) -> int | None: ...
    @property
    def error(self) -> str | None:
        """Why the opening failed (None when it opened)."""

    async def send(self, data: str | bytes) -> bool: ...
    async def recv(
        self, timeout_s: float | None = None, *, checks: Sequence[Check] = ()
    ) -> WsMessage: ...
    async def request(
        self,
        data: str | bytes,
        *,
        match: Callable[[Any], bool] | None = None,
        timeout_s: float | None = None,
        checks: Sequence[Check] = (),
    ) -> WsMessage:
        """Send `data` and wait for the first message `match` accepts: the round trip is the
        endpoint's `reply` timing."""
        ...

    async def ping(self, timeout_s: float | None = None) -> float | None: ...
    async def close(self, code: int = 1000, reason: str = "") -> int: ...
    def abort(self) -> None: ...
    async def __aenter__(self) -> WebSocket: ...
    async def __aexit__(self, *exc_info: object) -> None: ...


class WebSocketClient(Protocol):
    """`self.ws` of a virtual user: opens WebSockets recorded under `GET <path>`."""

    async def connect(
        self,
        path: str,
        *,
        headers: Mapping[str, str] | None = None,
        name: str | None = None,
        timeout_s: float | None = None,
    ) -> WebSocket: ...


class SseEvent(Protocol):
    """One Server-Sent Event: `event` ("message" unless named), `data`, `id`, `retry_ms`."""

    @property
    def event(self) -> str: ...
    @property
    def data(self) -> str: ...
    @property
    def id(self) -> str | None: ...
    @property
    def retry_ms(self) -> int | None: ...
    def json(self) -> Any: ...


class HttpSession(Protocol):
    """A virtual user's HTTP client: keep-alive connection, cookie jar, default headers."""

    @property
    def headers(self) -> MutableMapping[str, str]:
        """Default headers sent with every request of this user (mutable)."""

    @property
    def ws(self) -> WebSocketClient:
        """The user's WebSocket client (also `self.ws` on a User)."""

    def sse(
        self,
        path: str,
        *,
        headers: Mapping[str, str] | None = None,
        name: str | None = None,
        last_event_id: str | None = None,
        max_events: int | None = None,
        max_reconnects: int | None = None,
        retry_s: float | None = None,
    ) -> AsyncIterator[SseEvent]:
        """Server-Sent Events from `path` (`async for event in self.http.sse(path)`),
        reconnecting with `Last-Event-ID` when the stream ends; see docs/sse.md."""
        ...

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        json: Any = None,
        data: bytes | str | Mapping[str, Any] | None = None,
        name: str | None = None,
        follow_redirects: bool | None = None,
        timeout_s: float | None = None,
        checks: Sequence[Check] = (),
        fail_on_check: bool = False,
        stream: bool = False,
    ) -> Response:
        """Send a request and record it once under (method, name).

        `checks` are evaluated on the response before it is recorded, each counted under the
        endpoint; with `fail_on_check=True` a response that would be a success but fails a
        check is recorded as a failure of kind `check` ("check failed: <names>").
        `stream=True` returns on the response's head: read the body with `resp.stream()`;
        the request is recorded when its last byte arrives.
        """
        ...

    async def get(self, path: str, **kwargs: Any) -> Response: ...
    async def post(self, path: str, **kwargs: Any) -> Response: ...
    async def put(self, path: str, **kwargs: Any) -> Response: ...
    async def patch(self, path: str, **kwargs: Any) -> Response: ...
    async def delete(self, path: str, **kwargs: Any) -> Response: ...
    async def head(self, path: str, **kwargs: Any) -> Response: ...
    async def options(self, path: str, **kwargs: Any) -> Response: ...


class Check(Protocol):
    """What `checks=[...]` and `Response.check(...)` accept: a name and a pass/fail verdict.

    Write your own by giving any object these two members; if `__call__` raises, the check
    counts as failed (a check never ends a user's iteration).
    """

    @property
    def name(self) -> str: ...

    def __call__(self, response: Response, /) -> bool: ...
