"""HTTP/2 connections to one origin, shared by whoever sends requests there: a request takes a
connection with a free stream, and a new connection is opened only when none has one.

Each connection opened is counted (`connections`) and its opening timed (`connect`: TCP and TLS
with ALPN) under the endpoint that needed it. While one connection is being opened, others who
need one wait for it rather than opening their own.
"""

from __future__ import annotations

import asyncio
import ssl
from time import perf_counter_ns

from surge.engine.http.config import ClientConfig
from surge.engine.http.request import Origin
from surge.engine.http.tls import client_ssl_context
from surge.engine.http2.connection import H2Connection, connect_h2
from surge.metrics.recorder import ProtocolRecorder

_CLOSE_WAIT_S = 1.0


class H2Pool:
    """The connections to one origin; see the module docstring."""

    def __init__(self, origin: Origin, config: ClientConfig, max_streams: int) -> None:
        self.origin = origin
        self.config = config
        self.max_streams = max_streams
        self.ssl_ctx: ssl.SSLContext | None = (
            client_ssl_context(config.insecure, config.ca_file, ("h2", "http/1.1"))
            if origin.tls
            else None
        )
        self.conns: list[H2Connection] = []
        self.live: set[H2Connection] = set()
        self._opening: asyncio.Future[None] | None = None
        self.closed = False

    def pick(self) -> H2Connection | None:
        """A connection with a free stream now, or None."""
        for conn in self.conns:
            if conn.capacity > 0:
                return conn
        return None

    async def acquire(self, proto: ProtocolRecorder) -> H2Connection:
        """A connection with a free stream, opening one when needed (the opening recorded in
        `proto`); raises what the opening raised."""
        while True:
            conn = self.pick()
            if conn is not None:
                return conn
            opening = self._opening
            if opening is not None:
                await asyncio.shield(opening)
                continue
            self._opening = asyncio.get_running_loop().create_future()
            try:
                return await self._open(proto)
            finally:
                done, self._opening = self._opening, None
                if done is not None and not done.done():
                    done.set_result(None)

    async def _open(self, proto: ProtocolRecorder) -> H2Connection:
        if self.closed:
            raise ConnectionError("the HTTP/2 connections are closed")
        loop = asyncio.get_running_loop()
        conn = H2Connection(loop, self.config, self.max_streams, self._gone)
        t0 = perf_counter_ns()
        self.live.add(conn)
        try:
            await connect_h2(
                conn,
                self.origin.host,
                self.origin.port,
                self.ssl_ctx,
                self.config.connect_timeout_s,
            )
        except BaseException:
            self.live.discard(conn)
            conn.abort()
            raise
        proto.connections += 1
        proto.connect.record((perf_counter_ns() - t0) // 1000)
        if not conn.dead:
            self.conns.append(conn)
        return conn

    def _gone(self, conn: H2Connection) -> None:
        self.live.discard(conn)
        if conn in self.conns:
            self.conns.remove(conn)

    def abort(self) -> None:
        self.closed = True
        for conn in list(self.live):
            conn.abort()

    async def close(self) -> None:
        """Close every connection (GOAWAY) and wait briefly until they are gone."""
        self.closed = True
        for conn in list(self.live):
            conn.close()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + _CLOSE_WAIT_S
        while self.live and loop.time() < deadline:
            await asyncio.sleep(0.005)
        for conn in list(self.live):
            conn.abort()
        self.live.clear()
        self.conns.clear()
