"""URL mode's connections: the HTTP/1.1 core's hooks for a closed-model user (the fast path:
the next request is written from the completion callback) and for an open-model slot, with
their HEAD and body-collecting variants. See url.py for the workload they belong to."""

from __future__ import annotations

import asyncio
import enum
from time import perf_counter_ns
from typing import Protocol

from surge.engine.expect import ResponseJudge
from surge.engine.http.config import ClientConfig
from surge.engine.http.connection import HeadAwareConnection, Http1Connection, ParserErrors
from surge.engine.workload import IterationSink, Ticket
from surge.metrics.errors import ErrorKind
from surge.metrics.recorder import EndpointRecorder

_ParserError = ParserErrors


class UrlWorkloadSide(Protocol):
    """What the connections need of their workload (`url.UrlWorkloadSide` implements it)."""

    config: ClientConfig
    wire: bytes
    think_time_s: float
    judge: ResponseJudge | None
    live: set[UrlConnection]
    idle: list[SlotConnection]
    over: bool
    resend: bool

    @property
    def loop(self) -> asyncio.AbstractEventLoop: ...

    @property
    def endpoint(self) -> EndpointRecorder: ...

    @property
    def sink(self) -> IterationSink: ...

    def judged(
        self, status: int, latency_us: int, nbytes: int, body: bytes, encoding: str
    ) -> bool: ...

    def record_failure(self, exc: BaseException, latency_us: int, nbytes: int) -> None: ...

    def reopen(self, intended_ns: int, sent_ns: int) -> None: ...


class Ending(enum.IntEnum):
    """How a closed-model user's connection ended, as its coroutine sees it."""

    FINISHED = 0  # the user has issued all it may: stop
    RECONNECT = 1  # the server closed keep-alive (or the idle connection): reconnect now
    RETRY = 2  # the server closed a reused idle connection under our request: resend it once
    ERROR = 3  # a recorded failure: back off, reconnect, continue


class UrlUser:
    """A closed-model user's state across its connections. `t0` is non-zero while in flight."""

    __slots__ = ("conn", "issued", "t0", "ticket")

    def __init__(self, ticket: Ticket) -> None:
        self.ticket = ticket
        self.issued = 0
        self.t0 = 0
        self.conn: UserConnection | None = None


class UrlConnection(Http1Connection):
    __slots__ = ("body", "encoding", "work")

    def __init__(self, work: UrlWorkloadSide) -> None:
        super().__init__(work.loop, work.config)
        self.work = work
        self.body: list[bytes] = []  # the body and Content-Encoding, for a judge that reads
        self.encoding = ""  # them (collected by the body classes only, see `_collecting`)

    def gone(self) -> None:
        self.work.live.discard(self)

    def body_and_encoding(self) -> tuple[bytes, str]:
        body = b"".join(self.body)
        self.body = []
        return body, self.encoding

    # httptools calls only the callbacks a protocol defines: the body classes define these.
    def _begin_body(self) -> None:
        self.body = []
        self.encoding = ""

    def _note_encoding(self, name: bytes, value: bytes) -> None:
        if name.lower() == b"content-encoding":
            self.encoding = value.decode("latin-1")

    def _collect_body(self, body: bytes) -> None:
        self.body.append(body)


class UserConnection(UrlConnection):
    """One connection of one closed-model user; the fast path of URL mode."""

    __slots__ = (
        "endpoint",
        "finished",
        "judged",
        "ok",
        "plain",
        "think_handle",
        "think_s",
        "ticket",
        "user",
        "wire",
    )

    def __init__(self, work: UrlWorkloadSide, user: UrlUser) -> None:
        super().__init__(work)
        self.user = user
        self.ticket = user.ticket
        self.wire = work.wire
        self.think_s = work.think_time_s
        self.judged = work.judge is not None
        self.plain = not self.judged and not self.think_s  # the fast path applies
        self.endpoint = endpoint = work.endpoint
        self.ok = endpoint.ok
        self.finished: asyncio.Future[Ending] = work.loop.create_future()
        self.think_handle: asyncio.TimerHandle | None = None

    def data_received(self, data: bytes) -> None:
        """The fast path of URL mode: the core's `data_received` with a plain success (a
        keep-alive response below 400, no judge, no think time, requests left) written out:
        it is recorded and the next request written from here. Anything else goes through
        the core's `completed` and `complete` below."""
        now = perf_counter_ns()
        if not self.start_ns:  # bytes nobody asked for: the connection is unusable
            self._shut(abort=True)
            return
        if self.first is None:
            self.first = data
        self.rx += len(data)
        self.last_rx_ns = now
        try:
            self.parser.feed_data(data)
        except _ParserError as exc:
            if self.parse_failed(exc, now):
                return
        status = self.done
        if not status:
            return
        user = self.user
        if (
            status >= 400
            or self.rare
            or self.plain is False
            or not self.keep
            or user.issued >= self.ticket.limit
        ):
            self.completed(now)
            return
        self.done = 0
        self.reused = True
        self.first = None
        self.ok((now - self.start_ns) // 1000, status, self.rx)
        user.issued += 1
        user.t0 = t0 = perf_counter_ns()
        self.start_ns = t0
        self.rx = 0
        if self.timer is None:
            self._arm(t0)
        self.transport.write(self.wire)  # type: ignore[union-attr]  # connected: data came

    def complete(self, status: int, start_ns: int, now_ns: int, keep_alive: bool) -> None:
        user = self.user
        latency_us = (now_ns - start_ns) // 1000  # the exchange started when the user issued it
        if self.judged:
            body, encoding = self.body_and_encoding()
            self.work.judged(status, latency_us, self.rx, body, encoding)
        elif status < 400:
            self.ok(latency_us, status, self.rx)
        else:
            self.endpoint.fail(latency_us, ErrorKind.HTTP_STATUS, status, self.rx, f"HTTP {status}")
        if user.issued >= self.ticket.limit:
            user.t0 = 0
            self.end(Ending.FINISHED)
        elif not keep_alive:
            user.t0 = 0
            self.end(Ending.RECONNECT)
        elif self.think_s:
            user.t0 = 0
            self.think_handle = self.loop.call_later(self.think_s, self.send_next)
            self.ticket.wake = self.wake
        else:  # the next request, written from inside this callback
            user.issued += 1
            user.t0 = t0 = perf_counter_ns()
            self.start_ns = t0
            self.rx = 0
            if self.timer is None:
                self._arm(t0)
            self.transport.write(self.wire)  # type: ignore[union-attr]  # connected: data came

    def send_next(self) -> None:
        """The think time is over: issue the next request on this connection."""
        self.think_handle = None
        user = self.user
        user.ticket.wake = None
        if self.dead:
            return
        if user.issued >= user.ticket.limit:
            self.end(Ending.FINISHED)
            return
        user.issued += 1
        user.t0 = t0 = perf_counter_ns()
        self.send(self.wire, t0)

    def wake(self) -> None:
        """Retired while thinking: end now."""
        if self.think_handle is not None:
            self.think_handle.cancel()
            self.think_handle = None
            self.end(Ending.FINISHED)

    def failed(self, exc: BaseException, start_ns: int, at_ns: int) -> None:
        user = self.user
        if self.stale and self.work.resend:
            self.endpoint.retry()
            self.end(Ending.RETRY)  # stale keep-alive race: resend once on a fresh connection
            return
        if user.t0:
            self.work.record_failure(exc, (at_ns - user.t0) // 1000, self.rx)
            user.t0 = 0
        self.end(Ending.ERROR)

    def idle_lost(self) -> None:
        if self.think_handle is not None:
            self.think_handle.cancel()
            self.think_handle = None
            self.user.ticket.wake = None
        self.end(Ending.RECONNECT)  # the server closed the idle keep-alive connection

    def end(self, how: Ending) -> None:
        if how in (Ending.FINISHED, Ending.RECONNECT):
            self.close()
        if not self.finished.done():
            self.finished.set_result(how)


class HeadUserConnection(HeadAwareConnection, UserConnection):
    __slots__ = ()

    def __init__(self, work: UrlWorkloadSide, user: UrlUser) -> None:
        UserConnection.__init__(self, work, user)
        self.head = True


class BodyUserConnection(UserConnection):
    __slots__ = ()
    on_message_begin = UrlConnection._begin_body
    on_header = UrlConnection._note_encoding
    on_body = UrlConnection._collect_body


class SlotConnection(UrlConnection):
    """One open-model connection; carries at most one arrival at a time."""

    __slots__ = ("intended_ns",)

    def __init__(self, work: UrlWorkloadSide) -> None:
        super().__init__(work)
        self.intended_ns = 0  # non-zero while an arrival is in flight

    def carry(self, intended_ns: int, now_ns: int) -> None:
        self.intended_ns = intended_ns
        self.send(self.work.wire, now_ns)

    def complete(self, status: int, start_ns: int, now_ns: int, keep_alive: bool) -> None:
        work = self.work
        intended_ns = self.intended_ns
        if not intended_ns:
            return  # abandoned
        self.intended_ns = 0
        endpoint = work.endpoint
        latency_us = (now_ns - intended_ns) // 1000
        if work.judge is not None:
            body, encoding = self.body_and_encoding()
            failed = work.judged(status, latency_us, self.rx, body, encoding)
        elif status < 400:
            endpoint.ok(latency_us, status, self.rx)
            failed = False
        else:
            endpoint.fail(latency_us, ErrorKind.HTTP_STATUS, status, self.rx, f"HTTP {status}")
            failed = True
        endpoint.timing((now_ns - start_ns) // 1000, (start_ns - intended_ns) // 1000)
        if keep_alive and not work.over:
            work.idle.append(self)
        else:
            self.close()
        work.sink.finished(failed)

    def failed(self, exc: BaseException, start_ns: int, at_ns: int) -> None:
        work = self.work
        intended_ns = self.intended_ns
        if not intended_ns:
            return  # abandoned
        if self.stale and work.resend:
            # Stale keep-alive race: the server closed the idle connection as we wrote. Resend
            # (an idempotent request) once on a fresh connection, keeping the request's
            # intended and sent times.
            work.endpoint.retry()
            self.intended_ns = 0
            work.reopen(intended_ns, start_ns)
            return
        self.intended_ns = 0
        work.record_failure(exc, (at_ns - intended_ns) // 1000, self.rx)
        work.endpoint.timing((at_ns - start_ns) // 1000, (start_ns - intended_ns) // 1000)
        work.sink.finished(True)


class HeadSlotConnection(HeadAwareConnection, SlotConnection):
    __slots__ = ()

    def __init__(self, work: UrlWorkloadSide) -> None:
        SlotConnection.__init__(self, work)
        self.head = True


class BodySlotConnection(SlotConnection):
    __slots__ = ()
    on_message_begin = UrlConnection._begin_body
    on_header = UrlConnection._note_encoding
    on_body = UrlConnection._collect_body
