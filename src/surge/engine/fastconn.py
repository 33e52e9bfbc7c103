"""What the callback-driven request loops (closed URL mode, open model) share: connecting with
the connect timeout, and the watchdog loop that enforces read and total timeouts."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable

from surge.engine.http.classify import RequestTimeoutError
from surge.engine.http.config import ClientConfig
from surge.engine.http.request import Origin

_TICKS_PER_TIMEOUT = 20
_TICK_MIN_S = 0.005
_TICK_MAX_S = 0.25


async def connect(
    loop: asyncio.AbstractEventLoop,
    protocol: asyncio.Protocol,
    origin: Origin,
    ssl_ctx: ssl.SSLContext | None,
    timeout_s: float,
) -> None:
    """Connect `protocol` to `origin` (TLS when `ssl_ctx`); RequestTimeoutError after timeout_s."""
    try:
        async with asyncio.timeout(timeout_s):
            await loop.create_connection(
                lambda: protocol,
                origin.host,
                origin.port,
                ssl=ssl_ctx,
                server_hostname=origin.host if ssl_ctx is not None else None,
            )
    except TimeoutError as exc:
        raise RequestTimeoutError(f"connect timeout after {timeout_s:.3g} s") from exc


async def watch_timeouts(config: ClientConfig, step: Callable[[int, int], None]) -> None:
    """Call `step(read_ns, total_ns)` a few times per shortest timeout, forever (cancel it)."""
    shortest_s = min(config.read_timeout_s, config.total_timeout_s)
    tick_s = min(max(shortest_s / _TICKS_PER_TIMEOUT, _TICK_MIN_S), _TICK_MAX_S)
    read_ns = int(config.read_timeout_s * 1e9)
    total_ns = int(config.total_timeout_s * 1e9)
    while True:
        await asyncio.sleep(tick_s)
        step(read_ns, total_ns)
