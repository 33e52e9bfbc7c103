"""What `self.client.get(...)` returns in a locustfile: Locust's response API over surge's.

`Response` reads like a `requests.Response` (`status_code`, `text`, `content`, `json()`,
`headers`, `ok`, `raise_for_status()`, `url`, `reason`, `elapsed`, `cookies`). With
`catch_response=True` the client returns a `CatchResponse`: a context manager whose
`success()`/`failure(...)` decide how the request is recorded when the block ends.
"""

from __future__ import annotations

import datetime
import http
from collections.abc import Callable
from typing import Any, Protocol

from surge.locust.exceptions import CatchResponseError, ResponseError


class EngineResponse(Protocol):
    """The engine's response (surge.engine.http.HttpResponse), as this module reads it."""

    method: str
    url: str
    status: int
    elapsed_ns: int
    nbytes: int
    error_kind: Any
    error_message: str | None

    @property
    def headers(self) -> Any: ...
    @property
    def content(self) -> bytes: ...
    @property
    def text(self) -> str: ...
    def json(self) -> Any: ...


class HTTPError(ResponseError):
    """What `raise_for_status()` raises (requests' name), with the response attached."""

    def __init__(self, message: str, response: Response) -> None:
        super().__init__(message)
        self.response = response


class _Request:
    """`response.request`: what was sent (method, URL, path)."""

    __slots__ = ("method", "path_url", "url")

    def __init__(self, method: str, url: str, path_url: str) -> None:
        self.method = method
        self.url = url
        self.path_url = path_url


class Response:
    """A response as a locustfile sees it; see the module docstring."""

    __slots__ = ("_cookies", "_raw", "_request", "name")

    def __init__(self, raw: EngineResponse, name: str) -> None:
        self._raw = raw
        self.name = name
        self._cookies: dict[str, str] | None = None
        self._request: _Request | None = None

    @property
    def status_code(self) -> int:
        return self._raw.status

    @property
    def ok(self) -> bool:
        return self._raw.error_kind is None and 0 < self._raw.status < 400

    @property
    def text(self) -> str:
        return self._raw.text

    @property
    def content(self) -> bytes:
        return self._raw.content

    def json(self, **kwargs: Any) -> Any:
        return self._raw.json()

    @property
    def js(self) -> Any:
        """FastHttpUser's parsed JSON body."""
        return self._raw.json()

    @property
    def headers(self) -> Any:
        return self._raw.headers

    @property
    def url(self) -> str:
        return self._raw.url

    @property
    def reason(self) -> str:
        try:
            return http.HTTPStatus(self._raw.status).phrase
        except ValueError:
            return ""

    @property
    def elapsed(self) -> datetime.timedelta:
        return datetime.timedelta(microseconds=self._raw.elapsed_ns // 1000)

    @property
    def encoding(self) -> str:
        content_type = str(self._raw.headers.get("content-type", ""))
        for param in content_type.split(";")[1:]:
            key, _, value = param.partition("=")
            if key.strip().lower() == "charset":
                return value.strip().strip('"')
        return "utf-8"

    @property
    def history(self) -> list[Response]:
        return []

    @property
    def request(self) -> _Request:
        if self._request is None:
            from urllib.parse import urlsplit

            parts = urlsplit(self._raw.url)
            path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            self._request = _Request(self._raw.method, self._raw.url, path)
        return self._request

    @property
    def cookies(self) -> dict[str, str]:
        """The cookies this response set (name -> value)."""
        if self._cookies is None:
            found: dict[str, str] = {}
            get_all = getattr(self._raw.headers, "get_all", None)
            for header in get_all("set-cookie") if get_all is not None else ():
                name, sep, rest = header.partition("=")
                if sep:
                    found[name.strip()] = rest.split(";", 1)[0].strip()
            self._cookies = found
        return self._cookies

    @property
    def error(self) -> BaseException | None:
        """The failure as an exception (None when the request succeeded)."""
        raw = self._raw
        if raw.error_kind is None:
            return None
        return HTTPError(self._failure_text(), self)

    def _failure_text(self) -> str:
        raw = self._raw
        if 400 <= raw.status < 600:
            kind = "Client" if raw.status < 500 else "Server"
            return f"{raw.status} {kind} Error: {self.reason} for url: {raw.url}"
        return raw.error_message or "request failed"

    def raise_for_status(self) -> None:
        """Raise HTTPError when the request failed (status >= 400 or no response)."""
        error = self.error
        if error is not None:
            raise error

    def __bool__(self) -> bool:
        return self.ok

    def __repr__(self) -> str:
        return f"<Response [{self._raw.status}]>"


class CatchResponse(Response):
    """`catch_response=True`: the request is recorded when the `with` block ends, as the
    block decided (`success()`, `failure(...)`) or else by its status."""

    __slots__ = ("_done", "_manual", "_on_exit", "meta")

    def __init__(
        self, raw: EngineResponse, name: str, on_exit: Callable[[CatchResponse, Any], None]
    ) -> None:
        super().__init__(raw, name)
        self._manual: bool | BaseException | None = None
        self._done = False
        self._on_exit = on_exit
        self.meta: tuple[float, Any] | None = None  # (start time, context) for events.request

    def __enter__(self) -> CatchResponse:
        return self

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> bool:
        """Record the request; a ResponseError raised in the block (and not overruled by
        success()/failure()) is its failure and goes no further, as in Locust."""
        swallow = False
        if self._manual is None and isinstance(exc, ResponseError):
            self._manual, swallow = exc, True
        self.finish()
        return swallow

    def success(self) -> None:
        """Record this request as a success, whatever its status."""
        self._manual = True

    def failure(self, exc: Any) -> None:
        """Record this request as a failure with `exc` (a message or an exception)."""
        if not isinstance(exc, BaseException):
            exc = CatchResponseError(exc)
        self._manual = exc

    def finish(self) -> None:
        """Record it now (once)."""
        if not self._done:
            self._done = True
            self._on_exit(self, self._manual)
