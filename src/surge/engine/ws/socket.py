"""A scripted user's open WebSocket: send, recv, request (a timed round trip), ping, close.

Received messages are timed where they arrive (in picows's frame callback), not where a task
wakes up to read them: a reply's round trip is `arrival - send`, whatever the loop was busy with.
A message goes to the oldest `request` whose matcher accepts it, else to a waiting `recv`, else
to the queue `recv` reads (at most `QUEUE_MAX` unread messages; older ones are dropped).

Nothing here raises for the network: a reply that never came, a message that did not arrive in
time or a session that ended comes back as a `WsMessage` whose `error` is set, and is counted
(`session_errors`, by kind) under the endpoint — once: operations on a socket that has already
ended return such a message without counting again. Close codes follow RFC 6455 §7.1.5: the code
of the close frame received, 1005 when it had none, 1006 when none came.
"""

from __future__ import annotations

import asyncio
import json as jsonlib
from collections import deque
from collections.abc import Callable, Sequence
from time import perf_counter_ns
from typing import TYPE_CHECKING, Any

import picows

from surge.metrics.errors import ErrorKind
from surge.scenario.checks import Check, evaluate

if TYPE_CHECKING:
    from surge.metrics.recorder import EndpointRecorder, ProtocolRecorder

QUEUE_MAX = 1000
CLOSE_WAIT_S = 1.0
_NORMAL_CLOSES = frozenset({1000, 1001, 1005})
_PROTOCOL_CLOSES = frozenset({1002, 1003, 1007, 1009, 1010})
_TEXT = picows.WSMsgType.TEXT
_BINARY = picows.WSMsgType.BINARY
_CONTINUATION = picows.WSMsgType.CONTINUATION
_PONG = picows.WSMsgType.PONG
_CLOSE = picows.WSMsgType.CLOSE
_TIMED_OUT = object()

Matcher = Callable[["WsMessage"], bool]


class WsMessage:
    """One WebSocket message (text or binary), or the error of a receive that got none.

    `data` is `str` for a text message and `bytes` for a binary one (`b""` with an error).
    `elapsed_s` is the round trip of a `request` (0 otherwise). Checks (`surge.checks`) read
    `content`, `text` and `json()` like on an HTTP response.
    """

    __slots__ = ("data", "elapsed_s", "error", "error_message")

    def __init__(
        self,
        data: str | bytes,
        elapsed_s: float = 0.0,
        error: ErrorKind | None = None,
        error_message: str | None = None,
    ) -> None:
        self.data = data
        self.elapsed_s = elapsed_s
        self.error = None if error is None else error.value
        self.error_message = error_message

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def is_text(self) -> bool:
        return isinstance(self.data, str)

    @property
    def text(self) -> str:
        data = self.data
        return data if isinstance(data, str) else data.decode("utf-8", "replace")

    @property
    def content(self) -> bytes:
        data = self.data
        return data.encode() if isinstance(data, str) else data

    @property
    def status(self) -> int:
        return 0 if self.error is not None else 101

    @property
    def headers(self) -> dict[str, str]:
        return {}

    def json(self) -> Any:
        return jsonlib.loads(self.data)

    def __repr__(self) -> str:
        if self.error is not None:
            return f"<WsMessage error={self.error}: {self.error_message}>"
        return f"<WsMessage {self.data!r:.60}>"


def _failed(kind: ErrorKind, message: str) -> WsMessage:
    return WsMessage(b"", 0.0, kind, message)


class _Request:
    __slots__ = ("future", "match", "sent_ns")

    def __init__(self, future: asyncio.Future[Any], match: Matcher | None, sent_ns: int) -> None:
        self.future = future
        self.match = match
        self.sent_ns = sent_ns


class Listener(picows.WSListener):
    """picows's callbacks for one scripted socket: hands frames to its `WebSocket`."""

    __slots__ = ("parts", "parts_text", "socket")

    def __init__(self) -> None:
        super().__init__()
        self.socket: WebSocket | _Early = _Early()  # until the opening returns
        self.parts: list[bytes] | None = None  # a fragmented message so far
        self.parts_text = False

    def on_ws_frame(self, transport: picows.WSTransport, frame: picows.WSFrame) -> None:
        now = perf_counter_ns()
        socket = self.socket
        kind = frame.msg_type
        if kind is _TEXT or kind is _BINARY:
            if frame.fin:
                data = frame.get_payload_as_utf8_text() if kind is _TEXT else None
                socket.received(data if data is not None else frame.get_payload_as_bytes(), now)
            else:
                self.parts, self.parts_text = [frame.get_payload_as_bytes()], kind is _TEXT
        elif kind is _CONTINUATION:
            if self.parts is not None:
                self.parts.append(frame.get_payload_as_bytes())
                if frame.fin:
                    whole = b"".join(self.parts)
                    self.parts = None
                    socket.received(whole.decode() if self.parts_text else whole, now)
        elif kind is _PONG:
            socket.ponged(now)
        elif kind is _CLOSE:
            if not transport.is_close_frame_sent:
                transport.send_close(frame.get_close_code(), frame.get_close_message())
            transport.disconnect()

    def on_ws_disconnected(self, transport: picows.WSTransport) -> None:
        self.socket.ended(transport)


class _Early:
    """Keeps what arrives in the same read as the upgrade response, before the socket exists."""

    def __init__(self) -> None:
        self.messages: list[tuple[str | bytes, int]] = []
        self.pongs: list[int] = []
        self.gone: picows.WSTransport | None = None

    def received(self, data: str | bytes, now_ns: int) -> None:
        self.messages.append((data, now_ns))

    def ponged(self, now_ns: int) -> None:
        self.pongs.append(now_ns)

    def ended(self, transport: picows.WSTransport) -> None:
        self.gone = transport


class WebSocket:
    """An open WebSocket of a virtual user (`await self.ws.connect(path)`); see the module
    docstring. Use it in `async with` to close it at the end of the block."""

    def __init__(
        self,
        transport: picows.WSTransport,
        listener: Listener,
        endpoint: EndpointRecorder,
        opened_ns: int,
        timeout_s: float,
        on_end: Callable[[WebSocket], None],
    ) -> None:
        self.transport = transport
        self.endpoint = endpoint
        self.proto: ProtocolRecorder = endpoint.protocol()
        self.timeout_s = timeout_s
        self.opened_ns = opened_ns
        self.close_code: int | None = None  # once ended
        self.error: str | None = None  # why the opening failed (see ClosedWebSocket)
        self.error_message: str | None = None
        self._on_end = on_end
        self._queue: deque[WsMessage] = deque()
        self._requests: list[_Request] = []
        self._receiver: asyncio.Future[Any] | None = None
        self._pong: asyncio.Future[Any] | None = None
        self._closing = False
        self._ended: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        early = listener.socket
        listener.socket = self
        if isinstance(early, _Early):
            for data, at_ns in early.messages:
                self.received(data, at_ns)
            if early.gone is not None:
                self.ended(early.gone)

    @property
    def open(self) -> bool:
        return self.close_code is None and not self._closing

    # -- the script's side ------------------------------------------------------------------

    async def send(self, data: str | bytes) -> bool:
        """Send a text (str) or binary (bytes) message; False when the socket has ended."""
        if not self.open:
            return False
        self._send(data)
        return True

    async def recv(
        self, timeout_s: float | None = None, *, checks: Sequence[Check] = ()
    ) -> WsMessage:
        """The next message (queued or arriving within `timeout_s`); with `checks`, each is
        evaluated on it and counted under the endpoint."""
        if self._queue:
            return self._checked(self._queue.popleft(), checks)
        if self.close_code is not None:
            return _failed(ErrorKind.RESET, "the WebSocket is closed")
        future = asyncio.get_running_loop().create_future()
        self._receiver = future
        got = await self._wait(future, timeout_s)
        self._receiver = None
        if got is _TIMED_OUT:
            return self._timed_out("no message", timeout_s)
        return self._checked(got, checks)

    async def request(
        self,
        data: str | bytes,
        *,
        match: Matcher | None = None,
        timeout_s: float | None = None,
        checks: Sequence[Check] = (),
    ) -> WsMessage:
        """Send `data` and wait for the first message `match` accepts (any message when None);
        its round trip is recorded as the endpoint's `reply` timing and set as `elapsed_s`."""
        if not self.open:
            return _failed(ErrorKind.RESET, "the WebSocket is closed")
        future = asyncio.get_running_loop().create_future()
        pending = _Request(future, match, perf_counter_ns())
        self._requests.append(pending)
        self._send(data)
        got = await self._wait(future, timeout_s)
        if got is _TIMED_OUT:
            if pending in self._requests:
                self._requests.remove(pending)
            return self._timed_out("no reply", timeout_s)
        return self._checked(got, checks)

    async def ping(self, timeout_s: float | None = None) -> float | None:
        """Ping and wait for the pong: the round trip in seconds (recorded as `ping_rtt`), or
        None when the socket has ended or no pong came in time (counted as an error)."""
        if not self.open or self._pong is not None:
            return None
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pong = future
        sent_ns = perf_counter_ns()
        self.transport.send_ping(b"surge")
        got = await self._wait(future, timeout_s)
        self._pong = None
        if got is _TIMED_OUT or not isinstance(got, int):
            if got is _TIMED_OUT:
                self._timed_out("no pong", timeout_s)
            return None
        rtt_ns = got - sent_ns
        self.proto.pings += 1
        self.proto.ping_rtt.record(rtt_ns // 1000)
        return rtt_ns / 1e9

    async def close(self, code: int = 1000, reason: str = "") -> int:
        """Close cleanly (send a close frame, wait for the server's); the session's close code."""
        if self.close_code is None:
            if not self._closing:
                self._closing = True
                self.transport.send_close(picows.WSCloseCode(code), reason.encode())
            try:
                async with asyncio.timeout(CLOSE_WAIT_S):
                    await asyncio.shield(self._ended)
            except TimeoutError:
                self.transport.disconnect(graceful=False)
                await asyncio.shield(self._ended)
        assert self.close_code is not None
        return self.close_code

    def abort(self) -> None:
        """Drop the connection without a close frame (an abnormal close, 1006)."""
        self._closing = True
        self.transport.disconnect(graceful=False)

    async def __aenter__(self) -> WebSocket:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # -- picows's side (through the listener) -------------------------------------------------

    def received(self, data: str | bytes, now_ns: int) -> None:
        proto = self.proto
        proto.msgs_received += 1
        proto.msg_bytes_received += len(data)
        message = WsMessage(data)
        for pending in self._requests:
            match = pending.match
            if match is None or _accepts(match, message):
                self._requests.remove(pending)
                elapsed_ns = now_ns - pending.sent_ns
                proto.reply.record(elapsed_ns // 1000)
                message.elapsed_s = elapsed_ns / 1e9
                if not pending.future.done():
                    pending.future.set_result(message)
                return
        receiver = self._receiver
        if receiver is not None and not receiver.done():
            receiver.set_result(message)
            return
        queue = self._queue
        queue.append(message)
        if len(queue) > QUEUE_MAX:
            queue.popleft()

    def ponged(self, now_ns: int) -> None:
        pong = self._pong
        if pong is not None and not pong.done():
            pong.set_result(now_ns)

    def ended(self, transport: picows.WSTransport) -> None:
        now = perf_counter_ns()
        handshake = transport.close_handshake
        received = handshake.recv if handshake is not None else None
        code = 1006 if received is None else (received.code.value or 1005)
        self.close_code = code
        proto = self.proto
        proto.closed(code)
        proto.session.record((now - self.opened_ns) // 1000)
        if code == 1006 and not self._closing:
            self.endpoint.error(ErrorKind.RESET, "connection closed without a close frame (1006)")
        elif code not in _NORMAL_CLOSES and code < 3000 and code != 1006:
            kind = ErrorKind.PROTOCOL if code in _PROTOCOL_CLOSES else ErrorKind.OTHER
            self.endpoint.error(kind, f"server closed the WebSocket with code {code}")
        for waiter in (self._receiver, self._pong, *(r.future for r in self._requests)):
            if waiter is not None and not waiter.done():
                waiter.set_result(_failed(ErrorKind.RESET, f"the WebSocket closed ({code})"))
        self._requests.clear()
        if not self._ended.done():
            self._ended.set_result(None)
        self._on_end(self)

    # -- internals ----------------------------------------------------------------------------

    def _send(self, data: str | bytes) -> None:
        if isinstance(data, str):
            payload = data.encode()
            self.transport.send(_TEXT, payload)
        else:
            payload = data
            self.transport.send(_BINARY, payload)
        proto = self.proto
        proto.msgs_sent += 1
        proto.msg_bytes_sent += len(payload)

    async def _wait(self, future: asyncio.Future[Any], timeout_s: float | None) -> Any:
        wait_s = self.timeout_s if timeout_s is None else timeout_s
        handle = asyncio.get_running_loop().call_later(wait_s, _expire, future)
        try:
            return await future
        finally:
            handle.cancel()

    def _timed_out(self, what: str, timeout_s: float | None) -> WsMessage:
        wait_s = self.timeout_s if timeout_s is None else timeout_s
        message = f"{what} within {wait_s:.3g} s"
        self.endpoint.error(ErrorKind.TIMEOUT, message)
        return _failed(ErrorKind.TIMEOUT, message)

    def _checked(self, message: WsMessage, checks: Sequence[Check]) -> WsMessage:
        endpoint = self.endpoint
        for check in checks:
            endpoint.check(check.name, evaluate(check, message))  # type: ignore[arg-type]
        return message


def _expire(future: asyncio.Future[Any]) -> None:
    if not future.done():
        future.set_result(_TIMED_OUT)


def _accepts(match: Matcher, message: WsMessage) -> bool:
    try:
        return bool(match(message))
    except Exception:  # a matcher that cannot read the message does not match it
        return False
