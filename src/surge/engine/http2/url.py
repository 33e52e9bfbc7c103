"""The URL workload over HTTP/2 (`surge run URL --http2`): every iteration one request stream.

All users of a worker share the origin's connections (pool.py): a closed-model user sends its
next request from the completion callback of the last (or after its think time), on any
connection with a free stream, so `--users 10 --max-streams 10` is ten streams on one connection
(h2load's `-c 1 -m 10`). An open-model arrival takes a free stream, or waits for the connection
being opened; its latency runs from its intended time. Latency, status codes, expectations and
the error taxonomy are those of HTTP/1.1; each request also counts under `protocols["HTTP/2"]`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from time import perf_counter_ns

from surge.engine.closed import pause
from surge.engine.expect import ResponseJudge
from surge.engine.http.classify import classify_error, describe_error
from surge.engine.http.config import ClientConfig
from surge.engine.http.request import USER_AGENT, Origin, split_url
from surge.engine.http2.connection import H2Connection, H2Stream, Header
from surge.engine.http2.pool import H2Pool
from surge.engine.workload import IterationSink, RunContext, Ticket
from surge.metrics.errors import ErrorKind
from surge.metrics.protocol import Wire
from surge.metrics.recorder import EndpointRecorder, ProtocolRecorder
from surge.scenario.spec import EndpointSpec

_BACKOFF_MIN_S = 0.01
_BACKOFF_MAX_S = 0.1
_HOP_BY_HOP = frozenset({"host", "connection", "keep-alive", "transfer-encoding", "upgrade"})
_FINISHED, _AGAIN, _ERROR = 0, 1, 2


def h2_headers(
    method: str, origin: Origin, target: str, headers: Sequence[tuple[str, str]]
) -> list[Header]:
    """HTTP/2 request headers: pseudo-headers first, names in lower case, no hop-by-hop ones."""
    out: list[Header] = [
        (b":method", method.upper().encode()),
        (b":scheme", origin.scheme.encode()),
        (b":authority", origin.host_header.encode()),
        (b":path", target.encode()),
    ]
    own = {name.lower() for name, _ in headers}
    defaults = [("user-agent", USER_AGENT), ("accept", "*/*")]
    for name, value in [*(d for d in defaults if d[0] not in own), *headers]:
        lower = name.lower()
        if lower not in _HOP_BY_HOP:
            out.append((lower.encode(), value.encode("latin-1")))
    return out


class H2UrlWorkload:
    """One endpoint over HTTP/2; implements `Workload` (see workload.py)."""

    def __init__(
        self,
        spec: EndpointSpec,
        config: ClientConfig,
        *,
        max_streams: int = 100,
        think_time_s: float = 0.0,
    ) -> None:
        origin, target = split_url(spec.url)  # InvalidUrlError before any traffic
        self.headers = h2_headers(spec.method, origin, target, spec.headers)
        self.body = spec.body
        self.spec = spec
        self.config = config
        self.think_time_s = think_time_s
        self.pool = H2Pool(origin, config, max_streams)
        expect = spec.expect
        self.judge = ResponseJudge(expect) if expect is not None and not expect.empty else None
        self.users: set[_H2User] = set()
        self.arrivals: set[_Arrival] = set()  # open model: in flight
        self.waiting: list[_Arrival] = []  # open model: waiting for a connection
        self._opener: asyncio.Task[None] | None = None
        self._endpoint: EndpointRecorder | None = None
        self._proto: ProtocolRecorder | None = None
        self._sink: IterationSink | None = None

    def bind(self, ctx: RunContext, sink: IterationSink | None) -> None:
        self._endpoint = ctx.recorder.endpoint(self.spec.method.upper(), self.spec.endpoint_name)
        self._proto = self._endpoint.protocol()
        self._sink = sink

    @property
    def endpoint(self) -> EndpointRecorder:
        assert self._endpoint is not None, "bind() first"
        return self._endpoint

    @property
    def proto(self) -> ProtocolRecorder:
        assert self._proto is not None, "bind() first"
        return self._proto

    def send(self, owner: _H2User | _Arrival, conn: H2Connection, start_ns: int) -> H2Stream:
        stream = H2Stream(owner, start_ns, keep=self.judge is not None)
        conn.start(stream, self.headers, self.body)
        return stream

    def record(self, stream: H2Stream, latency_us: int) -> bool:
        """Record a whole response; True when it counts as a failure."""
        endpoint, status = self.endpoint, stream.status
        self.proto.carried(Wire.HTTP2)
        if self.judge is not None:
            encoding = next(
                (v.decode("latin-1") for n, v in stream.headers if n == b"content-encoding"), ""
            )
            verdict = self.judge.judge(status, b"".join(stream.body), encoding, endpoint)
            if verdict is None:
                endpoint.ok(latency_us, status, stream.rx)
                return False
            endpoint.fail(latency_us, verdict[0], status, stream.rx, verdict[1])
            return True
        if status < 400:
            endpoint.ok(latency_us, status, stream.rx)
            return False
        endpoint.fail(latency_us, ErrorKind.HTTP_STATUS, status, stream.rx, f"HTTP {status}")
        return True

    def record_failure(self, exc: BaseException, latency_us: int, nbytes: int) -> None:
        self.proto.carried(Wire.HTTP2)
        self.endpoint.fail(latency_us, classify_error(exc), 0, nbytes, describe_error(exc))

    # -- closed model ----------------------------------------------------------------------

    async def run_user(self, ticket: Ticket) -> None:
        user = _H2User(self, ticket)
        self.users.add(user)
        backoff_s = _BACKOFF_MIN_S
        try:
            while True:
                if not user.t0:
                    if user.issued >= ticket.limit:
                        return
                    user.issued += 1
                    user.t0 = perf_counter_ns()
                try:
                    conn = await self.pool.acquire(self.proto)
                except Exception as exc:  # the opening failed: so did the request
                    self.record_failure(exc, (perf_counter_ns() - user.t0) // 1000, 0)
                    user.t0 = 0
                    if await pause(ticket, backoff_s):
                        return
                    backoff_s = min(backoff_s * 2, _BACKOFF_MAX_S)
                    continue
                user.done = asyncio.get_running_loop().create_future()
                ticket.wake = user.wake
                user.stream = self.send(user, conn, user.t0)
                how = await user.done
                ticket.wake = None
                if how == _FINISHED:
                    return
                if how == _ERROR and await pause(ticket, backoff_s):
                    return
                backoff_s = _BACKOFF_MIN_S if how == _AGAIN else min(backoff_s * 2, 0.1)
        finally:
            if user.t0:  # cancelled in flight without abandon(): still counted
                user.t0 = 0
                self.endpoint.incomplete()
            self.users.discard(user)

    # -- open model ------------------------------------------------------------------------

    def start(self, k: int, intended_ns: int) -> None:
        arrival = _Arrival(self, intended_ns)
        self.arrivals.add(arrival)
        conn = self.pool.pick()
        if conn is not None:
            self.send(arrival, conn, perf_counter_ns())
            return
        self.waiting.append(arrival)
        if self._opener is None or self._opener.done():
            self._opener = asyncio.ensure_future(self._open_for_waiting())

    async def _open_for_waiting(self) -> None:
        while self.waiting:
            try:
                conn = await self.pool.acquire(self.proto)
            except Exception as exc:  # every waiting arrival fails with the opening
                waiting, self.waiting = self.waiting, []
                now = perf_counter_ns()
                for arrival in waiting:
                    arrival.stream_failed(None, exc, now)
                continue
            while self.waiting and conn.capacity > 0:
                self.send(self.waiting.pop(0), conn, perf_counter_ns())

    # -- the end -----------------------------------------------------------------------------

    def abandon(self) -> int:
        abandoned = 0
        for user in list(self.users):
            if user.t0:
                user.t0 = 0
                self.endpoint.incomplete()
                abandoned += 1
            user.end(_FINISHED)
        for arrival in list(self.arrivals):
            arrival.abandoned = True
            self.endpoint.incomplete()
            abandoned += 1
        self.arrivals.clear()
        self.waiting.clear()
        self.pool.abort()
        return abandoned

    async def close(self) -> None:
        if self._opener is not None and not self._opener.done():
            self._opener.cancel()
        await self.pool.close()


class _H2User:
    """A closed-model user; `t0` is non-zero while its request is in flight."""

    __slots__ = ("done", "issued", "stream", "t0", "think", "ticket", "work")

    def __init__(self, work: H2UrlWorkload, ticket: Ticket) -> None:
        self.work = work
        self.ticket = ticket
        self.issued = 0
        self.t0 = 0
        self.stream: H2Stream | None = None
        self.done: asyncio.Future[int] | None = None
        self.think: asyncio.TimerHandle | None = None

    def stream_done(self, stream: H2Stream, now_ns: int) -> None:
        if not self.t0:
            return  # abandoned
        self.work.record(stream, (now_ns - self.t0) // 1000)
        self.t0 = 0
        if self.work.think_time_s and self.issued < self.ticket.limit:
            loop = asyncio.get_running_loop()
            self.think = loop.call_later(self.work.think_time_s, self._next)
        else:
            self._next()

    def _next(self) -> None:
        self.think = None
        if self.issued >= self.ticket.limit:
            self.end(_FINISHED)
            return
        conn = self.work.pool.pick()
        if conn is None:
            self.end(_AGAIN)
            return
        self.issued += 1
        self.t0 = t0 = perf_counter_ns()
        self.stream = self.work.send(self, conn, t0)

    def stream_failed(self, stream: H2Stream | None, exc: BaseException, at_ns: int) -> None:
        if self.t0:
            nbytes = stream.rx if stream is not None else 0
            self.work.record_failure(exc, (max(at_ns, self.t0) - self.t0) // 1000, nbytes)
            self.t0 = 0
        self.end(_ERROR)

    def wake(self) -> None:
        """Retired: end now when thinking (else after the request in flight)."""
        if self.think is not None:
            self.think.cancel()
            self.think = None
            self.end(_FINISHED)

    def end(self, how: int) -> None:
        done = self.done
        if done is not None and not done.done():
            done.set_result(how)


class _Arrival:
    """One open-model request."""

    __slots__ = ("abandoned", "intended_ns", "work")

    def __init__(self, work: H2UrlWorkload, intended_ns: int) -> None:
        self.work = work
        self.intended_ns = intended_ns
        self.abandoned = False

    def stream_done(self, stream: H2Stream, now_ns: int) -> None:
        if self.abandoned:
            return
        work = self.work
        work.arrivals.discard(self)
        failed = work.record(stream, (now_ns - self.intended_ns) // 1000)
        work.endpoint.timing((now_ns - stream.start_ns) // 1000, self._lag(stream))
        assert work._sink is not None
        work._sink.finished(failed)

    def stream_failed(self, stream: H2Stream | None, exc: BaseException, at_ns: int) -> None:
        if self.abandoned:
            return
        work = self.work
        work.arrivals.discard(self)
        nbytes = stream.rx if stream is not None else 0
        work.record_failure(exc, (max(at_ns, self.intended_ns) - self.intended_ns) // 1000, nbytes)
        if stream is not None:
            work.endpoint.timing((at_ns - stream.start_ns) // 1000, self._lag(stream))
        assert work._sink is not None
        work._sink.finished(True)

    def _lag(self, stream: H2Stream) -> int:
        return max(stream.start_ns - self.intended_ns, 0) // 1000
