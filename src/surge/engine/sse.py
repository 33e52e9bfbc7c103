"""Server-Sent Events: `async for event in self.http.sse("/events")`, reconnecting as a
browser's EventSource does.

Each connection of a stream is one request of the endpoint `GET <path>`: a success (status 200
and `Content-Type: text/event-stream`) whose latency runs to the response's headers, or a
failure in the error taxonomy. An HTTP error status or a response that is not an event stream
ends the stream (EventSource does not reconnect after those either); a stream the server ended,
or one that broke (reset, read timeout: counted under `errors` and `session_errors`), is opened
again after the retry delay (the server's `retry:` field, else `retry_s`) with `Last-Event-ID`,
counted as a reconnect. Inside the stream the endpoint records `events`, the time from each
connection's request to its first event (`first_event`) and the gaps between events
(`event_gap`). The connection is the engine's HTTP/1.1 core with its total timeout lifted: the
read timeout still bounds silence.

Streams end with `max_events`, `max_reconnects`, `break` (the connection closes when the stream
is closed: `async with self.http.sse(...) as events`, or when the user stops) or the run's end.
"""

from __future__ import annotations

import asyncio
import json as jsonlib
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from time import perf_counter_ns
from typing import Any

from surge.engine.http.classify import classify_error, describe_error
from surge.engine.http.config import ClientConfig
from surge.engine.http.connection import Http1Connection, connect
from surge.engine.http.request import USER_AGENT, build_request, merge_headers, split_url
from surge.engine.http.tls import client_ssl_context
from surge.metrics.errors import ErrorKind
from surge.metrics.protocol import Wire
from surge.metrics.recorder import EndpointRecorder

DEFAULT_RETRY_S = 3.0
_NEVER_NS = 1 << 62


@dataclass(frozen=True, slots=True)
class SseEvent:
    """One dispatched event (see the HTML standard's event-stream interpretation)."""

    event: str
    data: str
    id: str | None
    retry_ms: int | None

    def json(self) -> Any:
        return jsonlib.loads(self.data)


class EventParser:
    """The event-stream format, fed bytes as they come: `feed(chunk)` returns the events a
    blank line dispatched. Tracks the last event ID and the server's reconnection time."""

    def __init__(self) -> None:
        self._buffer = b""
        self._data: list[str] = []
        self._event = ""
        self._id: str | None = None
        self.last_id: str | None = None
        self.retry_ms: int | None = None
        self._first = True
        self._skip_lf = False  # the last chunk ended in CR: a LF starting the next one is its pair

    def feed(self, chunk: bytes) -> list[SseEvent]:
        if self._skip_lf and chunk.startswith(b"\n"):
            chunk = chunk[1:]
        self._skip_lf = chunk.endswith(b"\r")
        buffer = self._buffer + chunk
        if self._first and buffer:
            if len(buffer) < 3 and b"\xef\xbb\xbf".startswith(buffer):
                self._buffer = buffer
                return []
            buffer = buffer.removeprefix(b"\xef\xbb\xbf")
            self._first = False
        events: list[SseEvent] = []
        lines = buffer.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
        self._buffer = lines.pop()
        for line in lines:
            event = self._line(line.decode("utf-8", "replace"))
            if event is not None:
                events.append(event)
        return events

    def _line(self, line: str) -> SseEvent | None:
        if not line:
            return self._dispatch()
        if line.startswith(":"):
            return None
        name, colon, value = line.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id":
            if "\0" not in value:
                self._id = value
                self.last_id = value
        elif name == "retry" and value.isdigit():
            self.retry_ms = int(value)
        return None

    def _dispatch(self) -> SseEvent | None:
        data, self._data = self._data, []
        event, self._event = self._event, ""
        if not data:
            return None
        return SseEvent(event or "message", "\n".join(data), self.last_id, self.retry_ms)


class _StreamConnection(Http1Connection):
    """One connection of a stream: the HTTP/1.1 core handing body bytes to the stream."""

    __slots__ = ("content_type", "stream")

    def __init__(self, loop: asyncio.AbstractEventLoop, config: ClientConfig, stream: EventStream):
        super().__init__(loop, config)
        self.total_ns = _NEVER_NS  # a stream may last the whole run; the read timeout bounds it
        self.stream = stream
        self.content_type = ""

    def on_header(self, name: bytes, value: bytes) -> None:
        if name.lower() == b"content-type":
            self.content_type = value.decode("latin-1")

    def on_headers_complete(self) -> None:
        status = self.parser.get_status_code()
        if status >= 200:
            self.stream.opened(self, status, self.content_type)

    def on_body(self, data: bytes) -> None:
        self.stream.body(self, data)

    def complete(self, status: int, start_ns: int, now_ns: int, keep_alive: bool) -> None:
        self.close()
        self.stream.ended(self, None)

    def failed(self, exc: BaseException, start_ns: int, at_ns: int) -> None:
        self.stream.ended(self, exc)


class EventStream:
    """The async iterator `Session.sse` returns; see the module docstring."""

    def __init__(
        self,
        url: str,
        headers: Iterable[tuple[str, str]],
        endpoint: EndpointRecorder,
        config: ClientConfig,
        *,
        last_event_id: str | None = None,
        max_events: int | None = None,
        max_reconnects: int | None = None,
        retry_s: float | None = None,
        lag_of: Callable[[int], int] = lambda t0: 0,
        on_close: Callable[[EventStream], None] = lambda stream: None,
    ) -> None:
        self.origin, self.target = split_url(url)
        self.headers = list(headers)
        self.endpoint = endpoint
        self.proto = endpoint.protocol()
        self.config = config
        self.parser = EventParser()
        self.parser.last_id = last_event_id
        self.max_events = max_events
        self.max_reconnects = max_reconnects
        self.retry_s = DEFAULT_RETRY_S if retry_s is None else retry_s
        self._lag_of = lag_of
        self._on_close = on_close
        self._queue: deque[SseEvent] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self._conn: _StreamConnection | None = None
        self._t0 = 0
        self._last_event_ns = 0
        self._connections = 0
        self._delivered = 0
        self._live = False  # the current connection is open and streaming
        self._over = False  # no more connections: the stream ends when the queue is empty
        self._closed = False

    # -- the script's side ------------------------------------------------------------------

    def __aiter__(self) -> EventStream:
        return self

    async def __anext__(self) -> SseEvent:
        while True:
            if self.max_events is not None and self._delivered >= self.max_events:
                await self.aclose()
            if self._queue and not self._closed:
                self._delivered += 1
                return self._queue.popleft()
            if self._closed or (self._over and not self._live):
                await self.aclose()
                raise StopAsyncIteration
            if not self._live and self._conn is None:
                await self._reconnect()
                continue
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None

    async def aclose(self) -> None:
        """Close the stream's connection (counted as nothing: the script ended it)."""
        if not self._closed:
            self._closed = True
            if self._conn is not None:
                self._conn.close()
                self._conn = None
            self._on_close(self)

    def abort(self) -> None:
        self._closed = True
        if self._conn is not None:
            self._conn.abort()
            self._conn = None

    async def __aenter__(self) -> EventStream:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    # -- connecting ---------------------------------------------------------------------------

    async def _reconnect(self) -> None:
        if self._connections:
            if self.max_reconnects is not None and self._connections > self.max_reconnects:
                self._over = True
                return
            retry_ms = self.parser.retry_ms
            await asyncio.sleep(retry_ms / 1000 if retry_ms is not None else self.retry_s)
            if self._closed:
                return
            self.proto.reconnects += 1
        self._connections += 1
        await self._open()

    async def _open(self) -> None:
        loop = asyncio.get_running_loop()
        conn = _StreamConnection(loop, self.config, self)
        self._conn = conn
        own = [("Last-Event-ID", self.parser.last_id)] if self.parser.last_id else []
        headers = merge_headers(
            [
                ("Host", self.origin.host_header),
                ("User-Agent", USER_AGENT),
                ("Accept", "text/event-stream"),
                ("Cache-Control", "no-cache"),
            ],
            self.headers,
            own,
        )
        self._t0 = t0 = perf_counter_ns()
        self._last_event_ns = 0
        conn.send(build_request("GET", self.target, headers, None), t0)
        ssl_ctx = (
            client_ssl_context(self.config.insecure, self.config.ca_file)
            if self.origin.tls
            else None
        )
        try:
            await connect(loop, conn, self.origin, ssl_ctx, self.config.connect_timeout_s)
        except Exception as exc:  # every connect failure is recorded, never raised
            conn.connect_failed(exc)

    # -- the connection's side ----------------------------------------------------------------

    def opened(self, conn: _StreamConnection, status: int, content_type: str) -> None:
        if conn is not self._conn:
            return
        now = perf_counter_ns()
        latency_us = (now - self._t0 + self._lag_of(self._t0)) // 1000
        endpoint = self.endpoint
        self.proto.carried(Wire.SSE)
        if status >= 400:
            endpoint.fail(latency_us, ErrorKind.HTTP_STATUS, status, 0, f"HTTP {status}")
            self._finish(conn)
        elif status == 204:  # the server asks the client not to reconnect
            endpoint.ok(latency_us, status, 0)
            self._finish(conn)
        elif not content_type.lower().startswith("text/event-stream"):
            why = f"not an event stream (Content-Type: {content_type or 'none'})"
            endpoint.fail(latency_us, ErrorKind.PROTOCOL, status, 0, why)
            self._finish(conn)
        else:
            endpoint.ok(latency_us, status, 0)
            self.proto.sessions += 1
            self._live = True

    def body(self, conn: _StreamConnection, data: bytes) -> None:
        if conn is not self._conn or not self._live:
            return
        now = perf_counter_ns()
        self.endpoint.bytes_received += len(data)
        events = self.parser.feed(data)
        if not events:
            return
        proto = self.proto
        proto.events += len(events)
        if self._last_event_ns:
            proto.event_gap.record((now - self._last_event_ns) // 1000)
        else:
            proto.first_event.record((now - self._t0) // 1000)
        for _ in range(len(events) - 1):
            proto.event_gap.record(0)  # dispatched by the same read
        self._last_event_ns = now
        self._queue.extend(events)
        self._wake()

    def ended(self, conn: _StreamConnection, exc: BaseException | None) -> None:
        if conn is not self._conn:
            return
        self._conn = None
        if exc is not None and not self._closed:
            kind, message = classify_error(exc), describe_error(exc)
            if self._live:
                self.endpoint.error(kind, message)  # the stream broke after it opened
            else:
                latency_us = (perf_counter_ns() - self._t0) // 1000
                self.endpoint.fail(latency_us, kind, 0, conn.rx, message)
        self._live = False
        self._wake()

    def _finish(self, conn: _StreamConnection) -> None:
        self._over = True
        self._live = False
        self._conn = None
        conn.abort()
        self._wake()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)


def open_stream(
    base_url: str,
    path: str,
    headers: Iterable[tuple[str, str]],
    endpoint: EndpointRecorder,
    config: ClientConfig,
    **options: Any,
) -> EventStream:
    """An event stream of `path` (relative to `base_url`, or an absolute URL)."""
    if "://" in path:
        url = path
    else:
        base = base_url.rstrip("/")
        url = base + path if path.startswith("/") else f"{base}/{path}"
    return EventStream(url, headers, endpoint, config, **options)
