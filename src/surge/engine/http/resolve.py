"""Host names resolved off the event loop, once per run, shared by every connection.

A connection connects to an address, never to a name. `Resolver.known(host, port)` answers
at once when it can: an IP literal is its own address, and a name already looked up has its
result in the run's cache (a failed lookup raises its `socket.gaierror` again, a fresh copy).
Otherwise `await Resolver.lookup(host, port)` waits for the one lookup of that name in progress
(the loop's `getaddrinfo`, on a thread), which the first connection to need the name started
and every other connection meanwhile shares: a thousand arrivals to one host make one lookup,
not a thousand piled up in the resolver's thread pool.

A successful result is kept for the run (an HTTP load test talks to the addresses it started
with). A failed one is the answer at once for every connection to that name; `RETRY_FAILED_S`
after it failed, the next connection starts one new lookup in the background and still gets
the failure at once, so a name that comes back is found again within about a second and a name
that does not costs a lookup a second, never a queue of them.

Nothing here leaves a future with an exception nobody retrieves: a lookup's outcome is stored
as a value, and waiters read it.

There is one resolver per event loop (`resolver_for(loop)`): the engine runs one loop per run
and per worker process, so "per loop" is "per run".
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import weakref
from collections.abc import Callable, Iterable
from time import monotonic
from typing import Any

Address = tuple[int, tuple[str, int] | tuple[str, int, int, int]]
"""(address family, socket address) — what `loop.create_connection` takes apart."""

RETRY_FAILED_S = 1.0


class DnsTimeoutError(socket.gaierror):
    """A lookup that did not finish within the connect timeout (classified `dns`)."""


class _Entry:
    """One name's lookup: in progress (`done` pending) or finished (`addresses` or `error`)."""

    __slots__ = ("addresses", "done", "error", "failed_at", "refreshing")

    def __init__(self, done: asyncio.Future[None]) -> None:
        self.done = done
        self.addresses: tuple[Address, ...] = ()
        self.error: socket.gaierror | None = None
        self.failed_at = 0.0
        self.refreshing = False


class Resolver:
    """See the module docstring. `clock` (seconds) decides when a failure is looked up again."""

    def __init__(
        self, loop: asyncio.AbstractEventLoop, clock: Callable[[], float] = monotonic
    ) -> None:
        self._loop = loop
        self._entries: dict[tuple[str, int], _Entry] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self.lookups = 0  # how many lookups were started (tests, benchmarks)
        self._clock = clock

    def known(self, host: str, port: int) -> tuple[Address, ...] | None:
        """The addresses of `host` now, or None when a lookup must be awaited (`lookup`).
        Raises `socket.gaierror` for a name whose lookup failed."""
        entry = self._entries.get((host, port))
        if entry is None:
            literal = _literal(host, port)
            if literal is None:
                return None
            entry = self._entries[(host, port)] = _Entry(self._finished())
            entry.addresses = literal
            return literal
        if not entry.done.done():
            return None
        if entry.error is None:
            return entry.addresses
        if not entry.refreshing and self._clock() - entry.failed_at >= RETRY_FAILED_S:
            entry.refreshing = True
            self._start(host, port, entry)
        raise _fresh(entry.error)

    async def lookup(self, host: str, port: int) -> tuple[Address, ...]:
        """The addresses of `host`, waiting for its lookup (started here if none is); raises
        `socket.gaierror` when it failed. Cancelling a waiter leaves the lookup running."""
        found = self.known(host, port)
        if found is not None:
            return found
        entry = self._entries.get((host, port))
        if entry is None:
            entry = self._entries[(host, port)] = _Entry(self._loop.create_future())
            self._start(host, port, entry)
        await asyncio.shield(entry.done)
        if entry.error is not None:
            raise _fresh(entry.error)
        return entry.addresses

    def _finished(self) -> asyncio.Future[None]:
        done: asyncio.Future[None] = self._loop.create_future()
        done.set_result(None)
        return done

    def _start(self, host: str, port: int, entry: _Entry) -> None:
        self.lookups += 1
        task = self._loop.create_task(self._resolve(host, port, entry))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _resolve(self, host: str, port: int, entry: _Entry) -> None:
        try:
            infos = await self._loop.getaddrinfo(
                host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
            )
        except OSError as exc:
            entry.error = _as_gaierror(exc)
            entry.failed_at = self._clock()
        else:
            addresses = tuple(_unique(_ip_addresses(infos)))
            if addresses:
                entry.addresses, entry.error = addresses, None
            else:
                entry.error = socket.gaierror(socket.EAI_NONAME, "no address for the name")
                entry.failed_at = self._clock()
        finally:
            entry.refreshing = False
            if not entry.done.done():
                entry.done.set_result(None)


def _ip_addresses(infos: Iterable[tuple[Any, ...]]) -> Iterable[Address]:
    """The (family, sockaddr) of each IPv4/IPv6 answer of `getaddrinfo`."""
    for family, *_, sockaddr in infos:
        if family in (socket.AF_INET, socket.AF_INET6) and isinstance(sockaddr[0], str):
            yield (int(family), sockaddr)


def _unique(addresses: Iterable[Address]) -> list[Address]:
    out: list[Address] = []
    for address in addresses:
        if address not in out:
            out.append(address)
    return out


def _literal(host: str, port: int) -> tuple[Address, ...] | None:
    try:
        ip = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None
    if ip.version == 6:
        return ((socket.AF_INET6, (str(ip), port, 0, 0)),)
    return ((socket.AF_INET, (str(ip), port)),)


def _as_gaierror(exc: OSError) -> socket.gaierror:
    if isinstance(exc, socket.gaierror):
        return exc
    return socket.gaierror(exc.errno or socket.EAI_FAIL, str(exc))


def _fresh(error: socket.gaierror) -> socket.gaierror:
    """A new exception like `error` (one instance raised again and again grows a traceback)."""
    return type(error)(*error.args)


_RESOLVERS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Resolver] = (
    weakref.WeakKeyDictionary()
)


def resolver_for(loop: asyncio.AbstractEventLoop) -> Resolver:
    """The resolver of `loop` (created on first use): one per run, shared by all its users."""
    found = _RESOLVERS.get(loop)
    if found is None:
        found = _RESOLVERS[loop] = Resolver(loop)
    return found
