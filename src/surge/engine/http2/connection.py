"""The engine's HTTP/2 client connection: the `h2` sans-IO state machine over an asyncio
Protocol of surge's own, many request streams multiplexed on one connection.

Over TLS the connection offers only `h2` by ALPN and fails (`protocol`) when the server does not
agree; over plain TCP it speaks HTTP/2 with prior knowledge (h2c, RFC 9113 §3.3). A request is an
`H2Stream` handed to `start`; exactly one of its owner's hooks runs for it: `stream_done(stream,
now_ns)` when the response ended (`status`, `rx`, and — when the stream keeps them — `headers`
and `body`), or `stream_failed(stream, exc, at_ns)`. Failures use the error taxonomy: a stream
reset by the server or a GOAWAY that leaves it unprocessed is `reset`, a violation of the protocol
`protocol`, the read timeout (no byte of the stream for `read_timeout_s`) and total timeout
`timeout` — enforced by one timer per connection and recorded at the instant they expired.

`capacity` is how many more streams the connection may open now: the smaller of `max_streams`
and the server's SETTINGS_MAX_CONCURRENT_STREAMS, less the streams open.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable, Sequence
from time import perf_counter_ns
from typing import Protocol

import h2.config
import h2.connection
import h2.errors
import h2.events
import h2.exceptions
import h2.settings

from surge.engine.http.classify import (
    ConnectionClosedError,
    ProtocolViolationError,
    RequestTimeoutError,
)
from surge.engine.http.config import ClientConfig

_SLACK_NS = 1_000_000
_WINDOW = 16 * 1024 * 1024  # our receive window: large, so flow control never throttles reads
Header = tuple[bytes, bytes]


def _code(error_code: int | None) -> str:
    try:
        return h2.errors.ErrorCodes(error_code or 0).name
    except ValueError:
        return f"error {error_code}"


class H2ProtocolError(ProtocolViolationError):
    """The server broke HTTP/2 or refused it (ALPN); classified as `protocol`."""


class StreamOwner(Protocol):
    """Who is told how a stream ended (a URL-mode user, an open-model slot, a session)."""

    def stream_done(self, stream: H2Stream, now_ns: int) -> None: ...

    def stream_failed(self, stream: H2Stream, exc: BaseException, at_ns: int) -> None: ...


class H2Stream:
    """One request in flight: when it started, what came back so far, and who to tell."""

    __slots__ = ("body", "headers", "id", "keep", "last_rx_ns", "owner", "rx", "start_ns", "status")

    def __init__(self, owner: StreamOwner, start_ns: int, keep: bool = False) -> None:
        self.owner = owner
        self.start_ns = start_ns
        self.keep = keep  # keep the response headers and body (scripted sessions)
        self.id = 0
        self.status = 0
        self.rx = 0
        self.last_rx_ns = 0
        self.headers: list[Header] = []
        self.body: list[bytes] = []


class H2Connection(asyncio.Protocol):
    """One HTTP/2 connection; see the module docstring."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        config: ClientConfig,
        max_streams: int,
        on_gone: Callable[[H2Connection], None] | None = None,
    ) -> None:
        self.loop = loop
        self.read_ns = int(config.read_timeout_s * 1e9)
        self.total_ns = int(config.total_timeout_s * 1e9)
        self.max_streams = max_streams
        self.h2 = h2.connection.H2Connection(
            config=h2.config.H2Configuration(client_side=True, header_encoding=None)
        )
        self.transport: asyncio.Transport | None = None
        self.streams: dict[int, H2Stream] = {}
        self.pending: dict[int, memoryview] = {}  # request bodies waiting for flow control
        self.remote_max = 100  # the server's limit, until its SETTINGS say otherwise
        self.dead = False
        self.timer: asyncio.TimerHandle | None = None
        self.settled: asyncio.Future[None] = loop.create_future()  # the server's SETTINGS came
        self._on_gone = on_gone

    @property
    def capacity(self) -> int:
        if self.dead:
            return 0
        return min(self.max_streams, self.remote_max) - len(self.streams)

    # -- the owner's side ---------------------------------------------------------------------

    def start(self, stream: H2Stream, headers: Sequence[Header], body: bytes | None) -> None:
        """Open `stream` with `headers` (pseudo-headers first) and `body`."""
        if self.dead or self.transport is None:
            stream.owner.stream_failed(stream, ConnectionClosedError("connection closed"), 0)
            return
        conn = self.h2
        try:
            stream_id = conn.get_next_available_stream_id()
            stream.id = stream_id
            self.streams[stream_id] = stream
            conn.send_headers(stream_id, headers, end_stream=not body)
            if body:
                self.pending[stream_id] = memoryview(body)
                self._send_pending(stream_id)
        except h2.exceptions.ProtocolError as exc:
            self.streams.pop(stream.id, None)
            stream.owner.stream_failed(stream, H2ProtocolError(str(exc)), perf_counter_ns())
            return
        self.transport.write(conn.data_to_send())
        if self.timer is None:
            self._arm(stream.start_ns)

    def cancel(self, stream: H2Stream) -> None:
        """Forget `stream` (abandoned): reset it, record nothing."""
        if self.streams.pop(stream.id, None) is not None and not self.dead:
            self.h2.reset_stream(stream.id, h2.errors.ErrorCodes.CANCEL)
            self._flush()

    def close(self) -> None:
        """Close gracefully (GOAWAY), failing nothing: the streams left are abandoned."""
        if not self.dead and self.transport is not None:
            self.h2.close_connection()
            self._flush()
        self._shut(abort=False)

    def abort(self) -> None:
        self._shut(abort=True)

    # -- asyncio.Protocol ---------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop: not a subclass
        ssl_object = transport.get_extra_info("ssl_object")
        if ssl_object is not None and ssl_object.selected_alpn_protocol() != "h2":
            self.dead = True  # the connecting side reports it (see `connect_h2`)
            return
        conn = self.h2
        conn.initiate_connection()
        conn.increment_flow_control_window(_WINDOW - 65535)
        conn.update_settings({h2.settings.SettingCodes.INITIAL_WINDOW_SIZE: _WINDOW})
        self._flush()

    def data_received(self, data: bytes) -> None:
        now = perf_counter_ns()
        try:
            events = self.h2.receive_data(data)
        except h2.exceptions.ProtocolError as exc:
            self._fail_all(H2ProtocolError(f"HTTP/2 protocol error: {exc}"), now)
            return
        streams = self.streams
        for event in events:
            if isinstance(event, h2.events.DataReceived):
                stream = streams.get(event.stream_id)
                self.h2.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                if stream is not None:
                    stream.rx += len(event.data)
                    stream.last_rx_ns = now
                    if stream.keep:
                        stream.body.append(event.data)
            elif isinstance(event, h2.events.ResponseReceived):
                stream = streams.get(event.stream_id)
                if stream is not None:
                    self._headers(stream, event.headers, now)
            elif isinstance(event, h2.events.StreamEnded):
                stream = streams.pop(event.stream_id, None)
                if stream is not None:
                    stream.owner.stream_done(stream, now)
            else:
                self._other(event, now)
        self._flush()

    def connection_lost(self, exc: Exception | None) -> None:
        was_dead = self.dead
        self.dead = True
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        if self.streams and not was_dead:
            why = exc or ConnectionClosedError("connection closed with streams in flight")
            self._fail_all(why, perf_counter_ns())
        if not self.settled.done():
            self.settled.set_exception(exc or ConnectionClosedError("connection closed at once"))
            self.settled.exception()  # retrieved: the connecting side raises its own
        if self._on_gone is not None:
            self._on_gone(self)

    # -- internals ------------------------------------------------------------------------------

    def _headers(self, stream: H2Stream, headers: Sequence[Header], now: int) -> None:
        stream.last_rx_ns = now
        for name, value in headers:
            if name == b":status":
                stream.status = int(value)
                break
        if stream.keep:
            stream.headers = list(headers)
        stream.rx += sum(len(n) + len(v) for n, v in headers)

    def _other(self, event: h2.events.Event, now: int) -> None:
        if isinstance(event, h2.events.StreamReset):
            stream = self.streams.pop(event.stream_id, None)
            self.pending.pop(event.stream_id, None)
            if stream is not None:
                why = ConnectionResetError(
                    f"stream reset by the server ({_code(event.error_code)})"
                )
                stream.owner.stream_failed(stream, why, now)
        elif isinstance(event, h2.events.RemoteSettingsChanged):
            self.remote_max = self.h2.remote_settings.max_concurrent_streams
            if not self.settled.done():
                self.settled.set_result(None)
        elif isinstance(event, h2.events.WindowUpdated):
            for stream_id in list(self.pending):
                self._send_pending(stream_id)
        elif isinstance(event, h2.events.ConnectionTerminated):
            last = event.last_stream_id or 0
            self.remote_max = 0  # no new streams on this connection
            for stream_id in [s for s in self.streams if s > last]:
                stream = self.streams.pop(stream_id)
                why = ConnectionResetError("GOAWAY: the server will not process the stream")
                stream.owner.stream_failed(stream, why, now)
            if not self.streams:
                self._shut(abort=False)

    def _send_pending(self, stream_id: int) -> None:
        body = self.pending.get(stream_id)
        if body is None:
            return
        conn = self.h2
        window = min(conn.local_flow_control_window(stream_id), len(body))
        frame = conn.max_outbound_frame_size
        sent = 0
        while sent < window:
            size = min(frame, window - sent)
            end = sent + size == len(body)
            conn.send_data(stream_id, bytes(body[sent : sent + size]), end_stream=end)
            sent += size
        if sent == len(body):
            del self.pending[stream_id]
        else:
            self.pending[stream_id] = body[sent:]

    def _flush(self) -> None:
        data = self.h2.data_to_send()
        if data and self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    def _fail_all(self, exc: BaseException, at_ns: int) -> None:
        streams, self.streams = self.streams, {}
        self.pending.clear()
        self._shut(abort=True)
        for stream in streams.values():
            stream.owner.stream_failed(stream, exc, at_ns)

    def _shut(self, *, abort: bool) -> None:
        self.dead = True
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        transport = self.transport
        if transport is not None and not transport.is_closing():
            if abort:
                transport.abort()
            else:
                transport.close()

    def _arm(self, now_ns: int) -> None:
        due = min(
            (
                min(s.start_ns + self.total_ns, max(s.last_rx_ns, s.start_ns) + self.read_ns)
                for s in self.streams.values()
            ),
            default=0,
        )
        if due:
            self.timer = self.loop.call_later(max(due - now_ns, 0) / 1e9, self._on_timer)

    def _on_timer(self) -> None:
        self.timer = None
        if self.dead:
            return
        now = perf_counter_ns() + _SLACK_NS
        for stream in list(self.streams.values()):
            total_at = stream.start_ns + self.total_ns
            read_at = max(stream.last_rx_ns, stream.start_ns) + self.read_ns
            if now >= total_at and total_at <= read_at:
                why, at = "total timeout: response not complete in time", total_at
            elif now >= read_at:
                why, at = f"read timeout: no data for {self.read_ns / 1e9:.3g} s", read_at
            else:
                continue
            self.cancel(stream)
            stream.owner.stream_failed(stream, RequestTimeoutError(why), at)
        self._arm(now - _SLACK_NS)


async def connect_h2(
    conn: H2Connection,
    host: str,
    port: int,
    ssl_ctx: ssl.SSLContext | None,
    timeout_s: float,
) -> None:
    """Connect `conn` (TLS with ALPN `h2` when `ssl_ctx`, else h2c prior knowledge) within
    `timeout_s`; RequestTimeoutError, H2ProtocolError (no `h2` by ALPN) or the transport's own.
    It returns once the server's SETTINGS arrived, so that its stream limit is known before the
    first stream opens."""
    try:
        async with asyncio.timeout(timeout_s):
            transport, _ = await conn.loop.create_connection(
                lambda: conn, host, port, ssl=ssl_ctx, server_hostname=host if ssl_ctx else None
            )
            ssl_object = transport.get_extra_info("ssl_object")
            if ssl_object is not None and ssl_object.selected_alpn_protocol() != "h2":
                transport.abort()
                chosen = ssl_object.selected_alpn_protocol() or "none"
                why = f"the server did not agree to HTTP/2 by ALPN (it chose {chosen})"
                raise H2ProtocolError(why)
            await asyncio.shield(conn.settled)
    except TimeoutError as exc:
        conn.abort()
        raise RequestTimeoutError(f"connect timeout after {timeout_s:.3g} s") from exc
