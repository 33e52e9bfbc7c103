"""The WebSocket URL workload: echo-style load (`surge run ws://host/echo --message '…'`).

An iteration is one round trip: send the message, wait for the next message back. Each virtual
user (closed model) keeps one WebSocket open and drives it from picows's frame callback: the
reply is timed and recorded there and the next message written at once (or after the think
time), with no coroutine or future per message. In the open model each arrival takes an idle
socket (or opens one) and its round trip is timed from its intended start, so a slow server
cannot hide behind a late schedule.

Each opening is a request of the endpoint `GET <path>` (ok 101, or a failure in the taxonomy,
like a scripted `ws.connect`); round trips are the `reply` timing and the message counts. A
reply that does not come within the read timeout is a `timeout` error: the socket is dropped and
the user opens a new one. Sessions end with a clean close (1000) when the run ends.
"""

from __future__ import annotations

import asyncio
from time import perf_counter_ns

import picows

from surge.engine.closed import pause
from surge.engine.http.classify import InvalidUrlError
from surge.engine.http.config import ClientConfig
from surge.engine.http.request import USER_AGENT
from surge.engine.http.tls import client_ssl_context
from surge.engine.workload import IterationSink, RunContext, Ticket
from surge.engine.ws.client import split_ws_url
from surge.engine.ws.opening import classify_opening, open_websocket
from surge.metrics.errors import ErrorKind
from surge.metrics.protocol import Wire
from surge.metrics.recorder import EndpointRecorder, ProtocolRecorder

_BACKOFF_MIN_S = 0.01
_BACKOFF_MAX_S = 0.1
_CLOSE_WAIT_S = 1.0
_TEXT = picows.WSMsgType.TEXT
_BINARY = picows.WSMsgType.BINARY
_CLOSE = picows.WSMsgType.CLOSE
_NORMAL = frozenset({1000, 1001, 1005})


class WsEchoWorkload:
    """Round trips of one message over WebSockets; implements `Workload` (workload.py)."""

    def __init__(
        self,
        url: str,
        message: str | bytes,
        config: ClientConfig,
        *,
        headers: tuple[tuple[str, str], ...] = (),
        name: str | None = None,
        think_time_s: float = 0.0,
    ) -> None:
        self.origin, self.target = split_ws_url(url)  # InvalidUrlError before any traffic
        if not message:
            raise InvalidUrlError("the WebSocket message is empty: give --message TEXT")
        self.kind = _TEXT if isinstance(message, str) else _BINARY
        self.payload = message.encode() if isinstance(message, str) else message
        self.config = config
        self.headers = [("User-Agent", USER_AGENT), *headers]
        self.name = name or self.target.split("?", 1)[0]
        self.think_time_s = think_time_s
        self.read_ns = int(config.read_timeout_s * 1e9)
        self.ssl_ctx = (
            client_ssl_context(config.insecure, config.ca_file) if self.origin.tls else None
        )
        self.sockets: set[_EchoSocket] = set()
        self.idle: list[_EchoSocket] = []
        self.opening: dict[_Slot, asyncio.Task[None]] = {}  # open model: sockets being opened
        self.over = False
        self._ctx: RunContext | None = None
        self._endpoint: EndpointRecorder | None = None
        self._sink: IterationSink | None = None

    def bind(self, ctx: RunContext, sink: IterationSink | None) -> None:
        self._ctx, self._sink = ctx, sink
        self._endpoint = ctx.recorder.endpoint("GET", self.name)

    @property
    def ctx(self) -> RunContext:
        assert self._ctx is not None, "bind() first"
        return self._ctx

    @property
    def endpoint(self) -> EndpointRecorder:
        assert self._endpoint is not None, "bind() first"
        return self._endpoint

    async def open(self, owner: _Owner) -> _EchoSocket | None:
        """Open a socket for `owner` (the opening recorded); None when it failed."""
        endpoint = self.endpoint
        proto = endpoint.protocol()
        proto.carried(Wire.WEBSOCKET)
        t0 = perf_counter_ns()
        try:
            transport, listener, times = await open_websocket(
                self.origin,
                self.target,
                self.headers,
                lambda: _EchoSocket(self, owner, proto),
                ssl_ctx=self.ssl_ctx,
                timeout_s=self.config.connect_timeout_s,
            )
        except asyncio.CancelledError:
            endpoint.incomplete()
            raise
        except Exception as exc:  # every opening failure is recorded, never raised
            kind, message, status = classify_opening(exc)
            endpoint.fail((perf_counter_ns() - t0) // 1000, kind, status, 0, message)
            return None
        endpoint.ok((perf_counter_ns() - t0) // 1000, 101, 0)
        proto.sessions += 1
        proto.connect.record(times.connect_us)
        if times.tls_us:
            proto.tls.record(times.tls_us)
        proto.upgrade.record(times.upgrade_us)
        socket: _EchoSocket = listener
        socket.transport = transport
        socket.opened_ns = perf_counter_ns()
        if not socket.gone:
            self.sockets.add(socket)
        return socket

    # -- closed model ----------------------------------------------------------------------

    async def run_user(self, ticket: Ticket) -> None:
        """Open a socket and keep it busy until the ticket runs out; reopen after errors."""
        user = _EchoUser(self, ticket)
        backoff_s = _BACKOFF_MIN_S
        while user.issued < ticket.limit:
            socket = await self.open(user)
            if socket is None or socket.gone:
                if await pause(ticket, backoff_s):
                    return
                backoff_s = min(backoff_s * 2, _BACKOFF_MAX_S)
                continue
            backoff_s = _BACKOFF_MIN_S
            user.socket = socket
            user.done = asyncio.get_running_loop().create_future()
            ticket.wake = user.wake
            user.next(perf_counter_ns())
            try:
                finished = await user.done
            finally:
                ticket.wake = None
                user.socket = None
            if finished:
                await socket.close()
                return

    # -- open model ------------------------------------------------------------------------

    def start(self, k: int, intended_ns: int) -> None:
        idle = self.idle
        while idle:
            socket = idle.pop()
            owner = socket.owner
            if not socket.gone and isinstance(owner, _Slot):
                owner.carry(socket, intended_ns)
                return
        slot = _Slot(self)
        slot.intended_ns = intended_ns
        self.opening[slot] = asyncio.ensure_future(self._open_slot(slot))

    async def _open_slot(self, slot: _Slot) -> None:
        try:
            socket = await self.open(slot)
        finally:
            self.opening.pop(slot, None)
        if not slot.intended_ns:
            if socket is not None:
                socket.transport_close()
            return  # abandoned while opening
        if socket is None or socket.gone:  # the failure is recorded by open()
            slot.intended_ns = 0
            assert self._sink is not None
            self._sink.finished(True)
            return
        slot.carry(socket, slot.intended_ns)

    # -- the end -----------------------------------------------------------------------------

    def abandon(self) -> int:
        """Count round trips in flight as such (the open model's driver counts its own) and
        drop their sockets."""
        abandoned = 0
        for slot in list(self.opening):
            if slot.intended_ns:
                slot.intended_ns = 0
                abandoned += 1
        for socket in list(self.sockets):
            if socket.sent_ns:
                abandoned += 1
                socket.owner.abandoned()
                socket.sent_ns = 0
                socket.drop()
        return abandoned

    async def close(self) -> None:
        self.over = True
        if self.opening:
            await asyncio.gather(*self.opening.values(), return_exceptions=True)
        sockets = list(self.sockets)
        if sockets:
            await asyncio.gather(*(s.close() for s in sockets), return_exceptions=True)


class _Owner:
    """Who a socket works for: a closed-model user or an open-model slot."""

    def replied(self, socket: _EchoSocket, now_ns: int) -> None:
        raise NotImplementedError

    def lost(self, socket: _EchoSocket, in_flight: bool) -> None:
        raise NotImplementedError

    def abandoned(self) -> None:
        pass


class _EchoUser(_Owner):
    __slots__ = ("done", "issued", "socket", "think", "ticket", "work")

    def __init__(self, work: WsEchoWorkload, ticket: Ticket) -> None:
        self.work = work
        self.ticket = ticket
        self.issued = 0
        self.socket: _EchoSocket | None = None
        self.done: asyncio.Future[bool] | None = None
        self.think: asyncio.TimerHandle | None = None

    def next(self, now_ns: int) -> None:
        socket = self.socket
        if socket is None or socket.gone:
            return
        if self.issued >= self.ticket.limit:
            self._end(True)
            return
        self.issued += 1
        arrivals = self.work.ctx.recorder.arrivals
        arrivals.scheduled += 1
        socket.send(now_ns)

    def replied(self, socket: _EchoSocket, now_ns: int) -> None:
        self.work.ctx.recorder.arrivals.completed += 1
        think_s = self.work.think_time_s
        if think_s and self.issued < self.ticket.limit:
            self.think = socket.loop.call_later(think_s, self._thought)
        else:
            self.next(now_ns)

    def _thought(self) -> None:
        self.think = None
        self.next(perf_counter_ns())

    def wake(self) -> None:
        """Retired (ramp-down, end of run): finish after the round trip in flight."""
        socket = self.socket
        if socket is None or not socket.sent_ns:
            if self.think is not None:
                self.think.cancel()
                self.think = None
            self._end(True)

    def lost(self, socket: _EchoSocket, in_flight: bool) -> None:
        if in_flight:
            self.work.ctx.recorder.arrivals.failed += 1
        if self.think is not None:
            self.think.cancel()
            self.think = None
        self._end(False)

    def abandoned(self) -> None:
        self.work.ctx.recorder.arrivals.in_flight_at_end += 1
        self._end(True)

    def finish(self) -> None:
        """The user has made all its round trips."""
        self._end(True)

    def _end(self, finished: bool) -> None:
        done = self.done
        if done is not None and not done.done():
            done.set_result(finished)


class _Slot(_Owner):
    """One open-model socket's current arrival (`intended_ns`, 0 when idle)."""

    __slots__ = ("intended_ns", "work")

    def __init__(self, work: WsEchoWorkload) -> None:
        self.work = work
        self.intended_ns = 0

    def carry(self, socket: _EchoSocket, intended_ns: int) -> None:
        self.intended_ns = intended_ns
        socket.send(perf_counter_ns(), intended_ns)

    def replied(self, socket: _EchoSocket, now_ns: int) -> None:
        self.intended_ns = 0
        work = self.work
        if not work.over:
            work.idle.append(socket)
        assert work._sink is not None
        work._sink.finished(False)

    def lost(self, socket: _EchoSocket, in_flight: bool) -> None:
        if in_flight and self.intended_ns:
            self.intended_ns = 0
            assert self.work._sink is not None
            self.work._sink.finished(True)

    def abandoned(self) -> None:
        self.intended_ns = 0


class _EchoSocket(picows.WSListener):
    """One socket's callbacks: the hot path of WebSocket URL mode. Slotted: an attribute of a
    picows listener with an instance dict costs about twice what a slot does."""

    __slots__ = (
        "arrivals",
        "closing",
        "ended",
        "fast_user",
        "gone",
        "loop",
        "msg_kind",
        "nbytes",
        "note_reply",
        "opened_ns",
        "owner",
        "payload",
        "proto",
        "sent_ns",
        "timer",
        "transport",
        "work",
    )

    def __init__(self, work: WsEchoWorkload, owner: _Owner, proto: ProtocolRecorder) -> None:
        super().__init__()
        self.work = work
        self.owner = owner
        self.proto = proto
        self.note_reply = proto.reply.pending.append  # folded into `reply` per interval
        self.arrivals = work.ctx.recorder.arrivals
        self.msg_kind = work.kind
        self.payload = work.payload
        self.nbytes = len(work.payload)
        fast = isinstance(owner, _EchoUser) and not work.think_time_s
        self.fast_user: _EchoUser | None = owner if fast else None  # type: ignore[assignment]
        self.transport: picows.WSTransport | None = None
        self.loop = asyncio.get_running_loop()
        self.sent_ns = 0  # non-zero while a round trip is in flight: its start
        self.opened_ns = 0
        self.gone = False
        self.closing = False
        self.timer: asyncio.TimerHandle | None = None
        self.ended: asyncio.Future[None] = self.loop.create_future()

    def send(self, now_ns: int, start_ns: int = 0) -> None:
        """Send the message; the round trip runs from `start_ns` (the intended time) or now."""
        transport = self.transport
        if transport is None or self.gone:
            return
        self.sent_ns = start_ns or now_ns
        work = self.work
        transport.send(work.kind, work.payload)
        proto = self.proto
        proto.msgs_sent += 1
        proto.msg_bytes_sent += len(work.payload)
        if self.timer is None:
            self.timer = self.loop.call_later(work.config.read_timeout_s, self._on_timer)

    def on_ws_frame(self, transport: picows.WSTransport, frame: picows.WSFrame) -> None:
        kind = frame.msg_type
        if kind is _TEXT or kind is _BINARY:
            now = perf_counter_ns()
            proto = self.proto
            proto.msgs_received += 1
            proto.msg_bytes_received += frame.payload_size
            sent_ns = self.sent_ns
            if not sent_ns or not frame.fin:
                return
            self.note_reply((now - sent_ns) // 1000)
            user = self.fast_user
            if user is None:
                self.sent_ns = 0
                self.owner.replied(self, now)
                return
            # A closed-model user without think time: the next round trip, inline.
            arrivals = self.arrivals
            arrivals.completed += 1
            if user.issued < user.ticket.limit:
                user.issued += 1
                arrivals.scheduled += 1
                self.sent_ns = now
                transport.send(self.msg_kind, self.payload)
                proto.msgs_sent += 1
                proto.msg_bytes_sent += self.nbytes
                return
            self.sent_ns = 0
            user.finish()
        elif kind is _CLOSE:
            if not transport.is_close_frame_sent:
                transport.send_close(frame.get_close_code(), frame.get_close_message())
            transport.disconnect()

    def on_ws_disconnected(self, transport: picows.WSTransport) -> None:
        self.gone = True
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        work = self.work
        work.sockets.discard(self)
        handshake = transport.close_handshake
        received = handshake.recv if handshake is not None else None
        code = 1006 if received is None else (received.code.value or 1005)
        proto = self.proto
        if self.opened_ns:
            proto.closed(code)
            proto.session.record((perf_counter_ns() - self.opened_ns) // 1000)
        endpoint = work.endpoint
        if code == 1006 and not self.closing:
            endpoint.error(ErrorKind.RESET, "connection closed without a close frame (1006)")
        elif code not in _NORMAL and code < 3000 and code != 1006:
            endpoint.error(ErrorKind.OTHER, f"server closed the WebSocket with code {code}")
        in_flight = bool(self.sent_ns)
        self.sent_ns = 0
        if not self.ended.done():
            self.ended.set_result(None)
        self.owner.lost(self, in_flight)

    def _on_timer(self) -> None:
        self.timer = None
        sent_ns = self.sent_ns
        if not sent_ns or self.gone:
            return
        now = perf_counter_ns()
        waited_ns = now - sent_ns
        work = self.work
        if waited_ns + 1_000_000 >= work.read_ns:
            seconds = work.read_ns / 1e9
            work.endpoint.error(ErrorKind.TIMEOUT, f"no reply within {seconds:.3g} s")
            self.closing = True  # counted as a timeout, not again as a reset
            self.drop()
            return
        self.timer = self.loop.call_later((work.read_ns - waited_ns) / 1e9, self._on_timer)

    def drop(self) -> None:
        self.closing = True
        if self.transport is not None and not self.gone:
            self.transport.disconnect(graceful=False)

    def transport_close(self) -> None:
        self.closing = True
        if self.transport is not None and not self.gone:
            self.transport.send_close(picows.WSCloseCode.OK)
            self.transport.disconnect()

    async def close(self) -> None:
        """Close cleanly and wait (briefly) for the server's close frame."""
        if self.gone or self.transport is None:
            return
        self.closing = True
        self.transport.send_close(picows.WSCloseCode.OK)
        try:
            async with asyncio.timeout(_CLOSE_WAIT_S):
                await asyncio.shield(self.ended)
        except TimeoutError:
            self.transport.disconnect(graceful=False)
