"""What a scripted request returns: status, headers and body decoded on first use, and any error.

A response keeps the bytes its headers arrived in (`head`) and its body chunks as received;
`headers` parses the former and `content` joins and decodes the latter only when a task asks,
so a task that looks at the status alone costs no header or body objects.
"""

from __future__ import annotations

import datetime
import json as jsonlib
import zlib
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from typing import Any

from surge.engine.http.stream import BodyUnavailableError, StreamBody
from surge.metrics.errors import ErrorKind
from surge.metrics.recorder import EndpointRecorder
from surge.scenario.checks import Check, evaluate


class BodyTooLargeError(BodyUnavailableError):
    """The task read a body larger than `--max-body`: surge counted it and discarded it as it
    arrived instead of holding it in memory."""


class HttpStatusError(Exception):
    """Raised by `HttpResponse.raise_for_status()` for a failed response."""

    def __init__(self, message: str, response: HttpResponse) -> None:
        super().__init__(message)
        self.response = response


class Headers(Mapping[str, str]):
    """Response headers: case-insensitive lookup; repeated headers joined with ", "."""

    __slots__ = ("_map", "raw")

    @classmethod
    def parse(cls, head: bytes) -> Headers:
        """The headers of the final response in `head` (the bytes up to its blank line, any
        interim 1xx responses before it skipped)."""
        return cls(parse_head(head))

    def __init__(self, raw: list[tuple[str, str]]) -> None:
        self.raw = raw
        self._map: dict[str, tuple[str, str]] = {}
        for name, value in raw:
            key = name.lower()
            found = self._map.get(key)
            self._map[key] = (found[0], f"{found[1]}, {value}") if found else (name, value)

    def __getitem__(self, key: str) -> str:
        return self._map[key.lower()][1]

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.lower() in self._map

    def __iter__(self) -> Iterator[str]:
        return (name for name, _ in self._map.values())

    def __len__(self) -> int:
        return len(self._map)

    def get_all(self, key: str) -> list[str]:
        """Every value of a repeated header (e.g. Set-Cookie), in order."""
        lowered = key.lower()
        return [value for name, value in self.raw if name.lower() == lowered]

    def __repr__(self) -> str:
        return f"Headers({dict(self._map.values())!r})"


_EMPTY_HEADERS = Headers([])


def head_end(data: bytes, start: int = 0) -> int:
    """The index just past the blank line that ends a response head in `data` (-1: none)."""
    end = data.find(b"\r\n\r\n", start)
    if end >= 0:
        return end + 4
    end = data.find(b"\n\n", start)
    return end + 2 if end >= 0 else -1


def _final_head_span(data: bytes) -> tuple[int, int]:
    """Where the head of the final response in `data` starts and ends (interim 1xx heads
    before it skipped); the end is len(data) when its blank line is missing."""
    start = 0
    while True:
        end = head_end(data, start)
        if end < 0:
            return start, len(data)
        if data[start + 9 : start + 10] != b"1" or data[start + 9 : start + 12] == b"101":
            return start, end
        start = end


def final_head_end(data: bytes) -> int:
    """The index just past the final response's head in `data` (len(data) if incomplete)."""
    return _final_head_span(data)[1]


def final_head(data: bytes) -> bytes:
    """The head of the final response in `data`: interim 1xx heads before it are skipped."""
    start, end = _final_head_span(data)
    return data[start:end]


def parse_head(head: bytes) -> list[tuple[str, str]]:
    """The (name, value) pairs of the final response head in `head` (latin-1 text)."""
    lines = final_head(head).decode("latin-1").splitlines()
    pairs: list[tuple[str, str]] = []
    for line in lines[1:]:
        if not line:
            break
        if line[0] in " \t" and pairs:  # obsolete line folding: continues the previous value
            name, value = pairs[-1]
            pairs[-1] = (name, f"{value} {line.strip()}")
            continue
        name, sep, value = line.partition(":")
        if sep:
            pairs.append((name.strip(), value.strip()))
    return pairs


def decode_body(raw: bytes, encoding: str) -> bytes:
    """The body with its Content-Encoding (gzip, deflate, or a chain of them) undone."""
    for coding in reversed([c.strip().lower() for c in encoding.split(",") if c.strip()]):
        if coding in ("gzip", "x-gzip"):
            raw = zlib.decompress(raw, wbits=zlib.MAX_WBITS | 16)
        elif coding == "deflate":
            try:
                raw = zlib.decompress(raw)
            except zlib.error:
                raw = zlib.decompress(raw, wbits=-zlib.MAX_WBITS)
        elif coding != "identity":
            raise ValueError(f"unsupported Content-Encoding {coding!r}")
    return raw


def _charset(content_type: str) -> str:
    for param in content_type.split(";")[1:]:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset" and value.strip():
            return value.strip().strip('"')
    return "utf-8"


class HttpResponse:
    """One (possibly redirected) request's outcome. Transport errors set `error`, never raise."""

    __slots__ = (
        "__weakref__",
        "_chunks",
        "_content",
        "_endpoint",
        "_head",
        "_headers",
        "_stream",
        "body_over",
        "elapsed_ns",
        "error_kind",
        "error_message",
        "method",
        "nbytes",
        "sent_ns",
        "status",
        "url",
    )

    def __init__(
        self,
        method: str,
        url: str,
        status: int,
        headers: Headers | bytes | None,
        chunks: list[bytes] | None,
        elapsed_ns: int,
        error_kind: ErrorKind | None = None,
        error_message: str | None = None,
        endpoint: EndpointRecorder | None = None,
    ) -> None:
        """`headers` is a Headers value, or the raw bytes of the response head (parsed on
        first use), or None for none; `chunks` the body as received (None: empty)."""
        self.method = method
        self.url = url
        self.status = status
        self.nbytes = 0  # bytes received for it (the whole redirect chain)
        self.sent_ns = 0  # when it was sent (perf_counter_ns), kept for a deferred record
        if isinstance(headers, bytes):
            self._head: bytes | None = headers
            self._headers: Headers | None = None
        else:
            self._head = None
            self._headers = headers if headers is not None else _EMPTY_HEADERS
        self._chunks = chunks
        self._content: bytes | None = None
        self._stream: StreamBody | None = None  # stream=True: the body as it arrives
        self.body_over = 0  # the size of a body over --max-body, counted and not kept
        self.elapsed_ns = elapsed_ns
        self.error_kind = error_kind
        self.error_message = error_message
        self._endpoint = endpoint

    @property
    def headers(self) -> Headers:
        found = self._headers
        if found is None:
            assert self._head is not None
            found = self._headers = Headers.parse(self._head)
            self._head = None
        return found

    @property
    def endpoint(self) -> EndpointRecorder | None:
        """Where the request records (by method and name)."""
        return self._endpoint

    @property
    def error(self) -> str | None:
        """The ErrorKind value when the request failed (HTTP status ≥ 400 included)."""
        return self.error_kind.value if self.error_kind is not None else None

    @property
    def ok(self) -> bool:
        return self.error_kind is None and 0 < self.status < 400

    @property
    def elapsed(self) -> datetime.timedelta:
        return datetime.timedelta(microseconds=self.elapsed_ns // 1000)

    @property
    def content(self) -> bytes:
        if self._content is None:
            self._check_kept()
            chunks = self._chunks
            raw = (chunks[0] if len(chunks) == 1 else b"".join(chunks)) if chunks else b""
            self._chunks = None
            encoding = self.headers.get("content-encoding")
            self._content = decode_body(raw, encoding) if encoding and raw else raw
        return self._content

    @property
    def text(self) -> str:
        return self.content.decode(_charset(self.headers.get("content-type", "")), "replace")

    def json(self) -> Any:
        return jsonlib.loads(self.content)

    def _check_kept(self) -> None:
        if self._stream is not None:
            raise BodyUnavailableError(
                f"{self.method} {self.url} was sent with stream=True: read its body with "
                "`async for chunk in resp.stream()`"
            )
        if self.body_over:
            raise BodyTooLargeError(
                f"the body of {self.method} {self.url} is {_size(self.body_over)}, over "
                "--max-body: surge counted it and discarded it as it arrived. Send the request "
                "with stream=True and read it with `async for chunk in resp.stream()`, or raise "
                "--max-body"
            )

    async def stream(self) -> AsyncIterator[bytes]:
        """The body in chunks as they arrive (`stream=True`: never all in memory at once); a
        response read whole yields its content once. Leaving the loop early discards the
        rest of the body."""
        if self._stream is None:
            content = self.content
            if content:
                yield content
            return
        async for chunk in self._stream.chunks():
            yield chunk

    def close(self) -> None:
        """Stream responses: discard the rest of the body (it is still counted)."""
        if self._stream is not None:
            self._stream.discard()

    def check(self, *checks: Check) -> bool:
        """Evaluate `checks` and count each under this request's endpoint; True when all passed.

        Never raises (a check that raises counts as failed) and never changes how the request
        itself was recorded.
        """
        return run_checks(checks, self, self._endpoint) is None

    def raise_for_status(self) -> None:
        """Raise HttpStatusError when the request failed (status ≥ 400 or a transport error)."""
        if self.error_kind is None and self.status < 400:
            return
        if self.status >= 400:
            message = f"HTTP {self.status} for {self.method} {self.url}"
        else:
            message = f"{self.error}: {self.error_message} ({self.method} {self.url})"
        raise HttpStatusError(message, self)

    def __repr__(self) -> str:
        state = f"error={self.error!r}" if self.error_kind is not None else "ok"
        return f"<HttpResponse {self.method} {self.url} {self.status} {state}>"


def _size(count: int) -> str:
    """`1.0 GiB`, `65.0 MiB`, `12,345 bytes`."""
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if count >= scale:
            return f"{count / scale:,.1f} {unit}"
    return f"{count:,} bytes"


def run_checks(
    checks: Iterable[Check], response: HttpResponse, endpoint: EndpointRecorder | None
) -> list[str] | None:
    """Evaluate every check (each counted on `endpoint` when given); the failed names, or None."""
    failed: list[str] | None = None
    for check in checks:
        passed = evaluate(check, response)
        name = check.name
        if endpoint is not None:
            endpoint.check(name, passed)
        if not passed:
            if failed is None:
                failed = []
            failed.append(name)
    return failed
