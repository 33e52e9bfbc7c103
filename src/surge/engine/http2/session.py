"""A scripted user's HTTP/2 side (`User.http2 = True`, `--http2`): the session's requests go as
streams on the user's own connection to each origin (one connection per user and origin; more
only when a user has more requests in flight than `max_streams`), concurrent requests of one user
(`asyncio.gather`) multiplexed on it.

The session keeps doing everything else (preparing, cookies, redirects, checks, recording): this
module only turns a prepared request into a stream and its response into what the session reads
from an HTTP/1.1 exchange (status, size, head, body). The response head is given in HTTP/1.1
form (`HTTP/2.0 200` and `name: value` lines), so headers parse lazily as they do for HTTP/1.1.
"""

from __future__ import annotations

import asyncio

from surge.engine.http.classify import ConnectionClosedError
from surge.engine.http.config import ClientConfig
from surge.engine.http.request import Origin, Prepared
from surge.engine.http2.connection import H2Stream
from surge.engine.http2.pool import H2Pool
from surge.engine.http2.url import h2_headers
from surge.metrics.protocol import Wire


class H2Result:
    """A finished stream, read by the session like an HTTP/1.1 exchange."""

    __slots__ = ("_body", "body_over", "body_size", "head_data", "rx", "status")

    def __init__(self, stream: H2Stream) -> None:
        self.status = stream.status
        self.rx = stream.rx
        self.body_size = sum(len(chunk) for chunk in stream.body)
        self.body_over = False  # an HTTP/2 body is kept whole (no --max-body yet)
        lines = [f"HTTP/2.0 {stream.status}".encode()]
        lines += [name + b": " + value for name, value in stream.headers if name[:1] != b":"]
        self.head_data = b"\r\n".join(lines) + b"\r\n\r\n"
        self._body: list[bytes] | None = stream.body or None

    def take_body(self) -> list[bytes] | None:
        body, self._body = self._body, None
        return body


class _Waiter:
    """The stream owner of one awaited request."""

    __slots__ = ("future",)

    def __init__(self, future: asyncio.Future[BaseException | None]) -> None:
        self.future = future

    def stream_done(self, stream: H2Stream, now_ns: int) -> None:
        if not self.future.done():
            self.future.set_result(None)

    def stream_failed(self, stream: H2Stream, exc: BaseException, at_ns: int) -> None:
        if not self.future.done():
            self.future.set_result(exc)


def _request_of(prep: Prepared) -> tuple[str, list[tuple[str, str]]]:
    """The request target and headers of a prepared HTTP/1.1 request (Host becomes
    `:authority`, Content-Length is the stream's to tell)."""
    head = prep.wire.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
    target = head[0].split(" ", 2)[1]
    pairs = []
    for line in head[1:]:
        name, _, value = line.partition(":")
        if name.lower() not in ("host", "content-length"):
            pairs.append((name, value.strip()))
    return target, pairs


class H2Sessions:
    """One user's HTTP/2 connections, one pool per origin."""

    def __init__(self, config: ClientConfig, max_streams: int) -> None:
        self.config = config
        self.max_streams = max_streams
        self.pools: dict[Origin, H2Pool] = {}
        self.closed = False

    async def exchange(self, prep: Prepared, t0: int) -> H2Result:
        """Send `prep` as a stream and wait for its response; raises what it failed with."""
        if self.closed:
            raise ConnectionClosedError("session is closed")
        origin = prep.origin
        pool = self.pools.get(origin)
        if pool is None:
            pool = self.pools[origin] = H2Pool(origin, self.config, self.max_streams)
        proto = prep.endpoint.protocol()
        proto.carried(Wire.HTTP2)
        conn = await pool.acquire(proto)
        target, pairs = _request_of(prep)
        future: asyncio.Future[BaseException | None] = asyncio.get_running_loop().create_future()
        stream = H2Stream(_Waiter(future), t0, keep=True)
        conn.start(stream, h2_headers(prep.method, origin, target, pairs), prep.body)
        try:
            error = await future
        except asyncio.CancelledError:
            conn.cancel(stream)
            raise
        if error is not None:
            raise error
        return H2Result(stream)

    async def close(self) -> None:
        self.closed = True
        pools = list(self.pools.values())
        if pools:
            await asyncio.gather(*(pool.close() for pool in pools))

    def abandon(self) -> None:
        self.closed = True
        for pool in self.pools.values():
            pool.abort()
