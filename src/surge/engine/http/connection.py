"""The engine's one HTTP/1.1 client connection: an asyncio Protocol driving an httptools parser.

Every workload sends its requests through a subclass of `Http1Connection`: URL mode's callback
fast path (closed users and open-model slots) and the scripted `Session` alike. What a response
is, and how an exchange fails, is decided here and nowhere else:

- A response is complete on its last byte (Content-Length, or chunked with any trailers), on its
  headers for HEAD (`HeadAwareConnection`), without a body for 204 and 304, and for a body
  without a length (close-delimited) when the server closes the connection after the headers.
- Interim 1xx responses (100 Continue, 103 Early Hints) are skipped; an upgrade is a protocol
  error.
- Bytes that arrive while no request is in flight (a second response, pipelined garbage) make
  the connection unusable: it is closed, and the response before them stands.
- Failures use the error taxonomy (`classify.py`): a parse error is `protocol`, a close before or
  in the middle of a response `reset`, and the read timeout (no byte for `read_timeout_s`) and
  total timeout (`total_timeout_s` from the exchange's start) are `timeout`, enforced by one timer
  per connection and reported at the instant the timeout expired, not when the timer noticed.
  A connection is never reused after a failure.
- A reused keep-alive connection that the server closed before sending a byte of the response
  is `stale` when it fails: the owner may resend the request once on a fresh connection.

Subclasses implement three hooks (`complete`, `failed`, `idle_lost`); httptools calls only the
callbacks a protocol defines, so a subclass pays only for what it asks for (`on_body` to keep
the body, `on_headers_complete` for HEAD).
"""

from __future__ import annotations

import asyncio
import ssl
from time import perf_counter_ns
from typing import cast

import httptools

from surge.engine.http.classify import ConnectionClosedError, RequestTimeoutError
from surge.engine.http.config import ClientConfig
from surge.engine.http.request import Origin
from surge.engine.http.resolve import Address, DnsTimeoutError, resolver_for

_SLACK_NS = 1_000_000  # loop timers have millisecond resolution: one may fire that much early
ParserErrors = (httptools.HttpParserError, httptools.HttpParserUpgrade)
_ParserError = ParserErrors


class _NoCallbacks:
    """A parser's protocol with no callbacks (see `_UNBOUND_PARSER`)."""


_UNBOUND_PARSER = httptools.HttpResponseParser(_NoCallbacks())
"""What a closed connection holds instead of its parser (nothing parses for it any more)."""


class Http1Connection(asyncio.Protocol):
    """One client connection carrying one exchange at a time; see the module docstring.

    `send(wire, start_ns)` writes a request (or queues it until the connection is made). Then
    exactly one hook runs for it: `complete(status, start_ns, now_ns, keep_alive)` when the
    response is whole, or `failed(exc, start_ns, at_ns)` when it cannot be (the connection is
    closed by then; `stale` tells whether a resend is safe). `idle_lost()` runs when the
    connection closes idle. `rx` is the response's size in bytes during either hook.
    """

    __slots__ = (
        "collecting",
        "dead",
        "done",
        "first",
        "head",
        "head_done",
        "interim",
        "keep",
        "last_rx_ns",
        "loop",
        "more",
        "parser",
        "pending",
        "rare",
        "read_ns",
        "reused",
        "rx",
        "stale",
        "start_ns",
        "timer",
        "total_ns",
        "transport",
    )

    def __init__(self, loop: asyncio.AbstractEventLoop, config: ClientConfig) -> None:
        self.loop = loop
        self.read_ns = int(config.read_timeout_s * 1e9)
        self.total_ns = int(config.total_timeout_s * 1e9)
        self.parser = httptools.HttpResponseParser(self)
        self.transport: asyncio.Transport | None = None
        self.pending: bytes | None = None  # a request waiting for the connection to be made
        self.start_ns = 0  # non-zero while an exchange is in flight: when it started
        self.last_rx_ns = 0
        self.rx = 0  # bytes of the response in flight so far
        self.done = 0  # the final status, once the response in flight is complete
        self.keep = False  # ... and whether the connection may carry another exchange
        self.first: bytes | None = None  # the response's first chunk (its headers, usually)
        self.interim: bytes | None = None  # the chunk that held a 1xx response before it
        self.collecting = False  # keep the chunks after `first` until the head is complete
        self.more: list[bytes] | None = None  # ... here (a head longer than one read)
        self.timer: asyncio.TimerHandle | None = None
        self.reused = False
        self.stale = False
        self.dead = False
        self.head = False  # the exchange is a HEAD request (see HeadAwareConnection)
        self.head_done = False
        self.rare = False  # something above needs tidying after the response (off the hot path)

    # -- the owner's side ---------------------------------------------------------------------

    def send(self, wire: bytes, start_ns: int) -> None:
        """Start an exchange that began at `start_ns` (its total timeout counts from there)."""
        self.start_ns = start_ns
        self.rx = 0
        if self.timer is None:
            self._arm(start_ns)
        transport = self.transport
        if transport is not None:
            transport.write(wire)
        else:
            self.pending = wire

    def complete(self, status: int, start_ns: int, now_ns: int, keep_alive: bool) -> None:
        """Hook: the response in flight arrived whole at `now_ns` (the connection is idle now)."""
        raise NotImplementedError

    def failed(self, exc: BaseException, start_ns: int, at_ns: int) -> None:
        """Hook: the exchange in flight failed at `at_ns`; the connection is closed."""
        raise NotImplementedError

    def connect_failed(self, exc: BaseException) -> None:
        """The connection could not be made: fail the exchange waiting for it."""
        if self.transport is None:
            self.gone()  # no transport, so no connection_lost to say so
        if self.start_ns and not self.dead:
            self._fail(exc, perf_counter_ns())
        else:
            self._shut(abort=True)

    def idle_lost(self) -> None:
        """Hook: the connection closed while no exchange was in flight."""

    def gone(self) -> None:
        """Hook: the transport is gone, whatever the reason (called once, first)."""

    def head_bytes(self) -> bytes:
        """During `complete`: the bytes the response's head arrived in (its first read, any 1xx
        response before it and, when `collecting`, the reads until the head was complete). A
        body may follow the head in them."""
        first = self.first or b""
        if self.interim is None and self.more is None:
            return first
        return b"".join([self.interim or b"", first, *(self.more or ())])

    def close(self) -> None:
        """Close gracefully (idle, or abandoning what is in flight without recording it)."""
        self._shut(abort=False)

    def abort(self) -> None:
        self._shut(abort=True)

    # -- asyncio.Protocol ---------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport = cast(asyncio.Transport, transport)  # uvloop: not a subclass
        if self.dead:  # its exchange timed out (or was abandoned) while it connected
            transport.abort()
            return
        wire = self.pending
        if wire is not None:
            self.pending = None
            transport.write(wire)

    def data_received(self, data: bytes) -> None:
        now = perf_counter_ns()
        if not self.start_ns:  # bytes nobody asked for: the connection is unusable
            self._shut(abort=True)
            return
        if self.first is None:
            self.first = data
        elif self.collecting:
            self._collect(data)
        self.rx += len(data)
        self.last_rx_ns = now
        try:
            self.parser.feed_data(data)
        except _ParserError as exc:
            if self.parse_failed(exc, now):
                return
        if self.done:
            self.completed(now)

    def parse_failed(self, exc: Exception, now: int) -> bool:
        """The parser stopped: fail the exchange (True), or — garbage after a whole response —
        let the response stand and mark the connection unusable (False)."""
        if not self.done:
            self._fail(exc if isinstance(exc, httptools.HttpParserError) else _upgrade(), now)
            return True
        self.dead = self.rare = True
        return False

    def completed(self, now: int) -> None:
        """The response in flight is whole (`done` holds its status): run `complete`."""
        status, start_ns = self.done, self.start_ns
        self.done = 0
        self.start_ns = 0
        self.reused = True
        self.complete(status, start_ns, now, self.keep and not self.dead)
        self.first = None  # (after the hook: it may read the head from it)
        if self.rare:
            self._tidy()

    def on_message_complete(self) -> None:
        status = self.parser.get_status_code()
        if status < 200:  # interim response: the final one follows
            self.interim, self.first = self.first, None
            self.rare = True
        elif self.done:  # a second response in one read: unsolicited
            self.dead = self.rare = True
        else:
            self.done = status
            self.keep = self.parser.should_keep_alive()  # valid until the callback returns

    def eof_received(self) -> bool | None:
        return None  # close the transport; connection_lost decides what the EOF meant

    def connection_lost(self, exc: Exception | None) -> None:
        try:
            self._lost(exc)
        finally:
            # The parser's callbacks are this connection's bound methods: a reference cycle
            # that only the garbage collector's full passes free, and those are rare in a run
            # (start-up's objects are frozen): every connection a long run closed stayed in
            # memory until one came (a creeping soak). Without the cycle it goes at once.
            self.parser = _UNBOUND_PARSER

    def _lost(self, exc: Exception | None) -> None:
        self.gone()
        timer = self.timer
        if timer is not None:
            timer.cancel()
            self.timer = None
        was_dead = self.dead
        self.dead = True
        if was_dead:
            return
        if not self.start_ns:
            self.idle_lost()
            return
        now = perf_counter_ns()
        if exc is None and self.rx and not self.done:
            status = self._close_delimited_status()
            if status:
                self._completed_at_close(status, now)
                return
        if self.reused and not self.rx and (exc is None or isinstance(exc, ConnectionError)):
            self.stale = True
        if exc is None:
            where = "mid-response" if self.rx else "before response"
            exc = ConnectionClosedError(f"connection closed {where}")
        self._fail(exc, now)

    # -- internals ------------------------------------------------------------------------------

    def _tidy(self) -> None:
        """After a response that needed more than the plain path (see `rare`)."""
        self.rare = False
        self.interim = self.more = None
        if self.head_done:  # the parser still expects the body a HEAD announced
            self.head_done = False
            self.parser = httptools.HttpResponseParser(self)
        if self.dead:
            self._shut(abort=True)  # marked unusable while parsing; the response stood

    def _collect(self, data: bytes) -> None:
        self.rare = True
        if self.more is None:
            self.more = [data]
        else:
            self.more.append(data)

    def _completed_at_close(self, status: int, now: int) -> None:
        start_ns = self.start_ns
        self.done = 0
        self.start_ns = 0
        self.complete(status, start_ns, now, False)
        self.first = self.interim = self.more = None

    def _fail(self, exc: BaseException, at_ns: int) -> None:
        start_ns = self.start_ns
        self.start_ns = 0
        self.done = 0
        self._shut(abort=True)
        self.failed(exc, start_ns, at_ns)

    def _shut(self, *, abort: bool) -> None:
        self.dead = True
        self.pending = None
        timer = self.timer
        if timer is not None:
            timer.cancel()
            self.timer = None
        transport = self.transport
        if transport is not None and not transport.is_closing():
            if abort:
                transport.abort()
            else:
                transport.close()

    def _arm(self, now_ns: int) -> None:
        """One timer per connection, at the earliest moment the exchange in flight can time out;
        when it fires early (the exchange moved on) it re-arms itself for the next such moment."""
        start_ns = self.start_ns
        due_ns = min(start_ns + self.total_ns, max(self.last_rx_ns, start_ns) + self.read_ns)
        self.timer = self.loop.call_later(max(due_ns - now_ns, 0) / 1e9, self._on_timer)

    def _on_timer(self) -> None:
        self.timer = None
        start_ns = self.start_ns
        if not start_ns or self.dead:
            return  # idle: the next exchange arms a timer again
        now = perf_counter_ns() + _SLACK_NS
        total_at = start_ns + self.total_ns
        read_at = max(self.last_rx_ns, start_ns) + self.read_ns
        if now >= total_at and total_at <= read_at:
            why = "total timeout: response not complete in time"
            self._fail(RequestTimeoutError(why, total_at), total_at)
        elif now >= read_at:
            gap = f"{self.read_ns / 1e9:.3g}"
            self._fail(RequestTimeoutError(f"read timeout: no data for {gap} s", read_at), read_at)
        else:
            self._arm(now - _SLACK_NS)

    def _close_delimited_status(self) -> int:
        """The status of the response in flight when its body was meant to end with the
        connection (no Content-Length, not chunked, a status that has a body); else 0."""
        head = self.first
        if head is None:
            return 0
        if self.interim is not None:
            head = self.interim + head
        probe = _HeadProbe()
        parser = httptools.HttpResponseParser(probe)
        probe.parser = parser
        try:
            parser.feed_data(head)
        except _ParserError:
            return 0
        return probe.close_delimited_status


class HeadAwareConnection(Http1Connection):
    """A connection that can carry HEAD requests: their response is complete on its headers
    (the parser, told a Content-Length, would wait for a body that never comes)."""

    __slots__ = ()

    def on_headers_complete(self) -> None:
        if self.head and self.start_ns:
            status = self.parser.get_status_code()
            if status >= 200:
                self.done = status
                self.keep = self.parser.should_keep_alive()
                self.head_done = self.rare = True

    def on_message_complete(self) -> None:
        if not self.head_done:
            super().on_message_complete()


class _HeadProbe:
    """Re-reads a response's head to tell whether its body runs until the connection closes."""

    __slots__ = ("close_delimited_status", "length", "parser")

    def __init__(self) -> None:
        self.parser: httptools.HttpResponseParser | None = None
        self.length = False
        self.close_delimited_status = 0

    def on_header(self, name: bytes, value: bytes) -> None:
        if name.lower() in (b"content-length", b"transfer-encoding"):
            self.length = True

    def on_headers_complete(self) -> None:
        assert self.parser is not None
        status = self.parser.get_status_code()
        if status < 200:
            self.length = False  # an interim response: the final one follows
        elif not self.length and status not in (204, 304):
            self.close_delimited_status = status


def _upgrade() -> httptools.HttpParserError:
    return httptools.HttpParserError("unexpected protocol upgrade (101) in the response")


async def connect(
    loop: asyncio.AbstractEventLoop,
    protocol: asyncio.Protocol,
    origin: Origin,
    ssl_ctx: ssl.SSLContext | None,
    timeout_s: float,
) -> None:
    """Connect `protocol` to `origin` (TLS when `ssl_ctx`) within `timeout_s`, its host name
    resolved once for the run (resolve.py): DnsTimeoutError when the lookup took all of it,
    RequestTimeoutError when the connect did."""
    host, port = origin.host, origin.port
    resolver = resolver_for(loop)
    deadline = loop.time() + timeout_s
    addresses = resolver.known(host, port)
    if addresses is None:
        try:
            async with asyncio.timeout_at(deadline):
                addresses = await resolver.lookup(host, port)
        except TimeoutError:
            why = f"lookup of {host} took longer than {timeout_s:.3g} s"
            raise DnsTimeoutError(why) from None
    try:
        async with asyncio.timeout_at(deadline):
            await _connect_any(loop, protocol, addresses, ssl_ctx, host)
    except TimeoutError as exc:
        raise RequestTimeoutError(f"connect timeout after {timeout_s:.3g} s") from exc


async def _connect_any(
    loop: asyncio.AbstractEventLoop,
    protocol: asyncio.Protocol,
    addresses: tuple[Address, ...],
    ssl_ctx: ssl.SSLContext | None,
    host: str,
) -> None:
    """Connect to the first of `addresses` that accepts (a TLS failure ends it there)."""
    error: OSError | None = None
    for family, sockaddr in addresses:
        try:
            await loop.create_connection(
                lambda: protocol,
                sockaddr[0],
                sockaddr[1],
                ssl=ssl_ctx,
                family=family,
                server_hostname=host if ssl_ctx is not None else None,
            )
            return
        except ssl.SSLError:
            raise
        except OSError as exc:
            error = exc
    assert error is not None, "a resolver never answers with no address"
    raise error
