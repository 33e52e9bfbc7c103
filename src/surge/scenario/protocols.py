"""The seams a scenario sees: the per-user HTTP session and its responses.

The engine implements these; scenario code (User classes) is written against them only, so the
scenario stage never imports the engine.
"""

from __future__ import annotations

import datetime
from collections.abc import AsyncIterator, Mapping, MutableMapping, Sequence
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


class HttpSession(Protocol):
    """A virtual user's HTTP client: keep-alive connection, cookie jar, default headers."""

    @property
    def headers(self) -> MutableMapping[str, str]:
        """Default headers sent with every request of this user (mutable)."""

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
