"""The dashboard's event log: what every tab is sent, kept on the server so that a refresh or a
late tab replays the whole run.

Events are appended by the feed thread (feed.py) and read by the web server's event loop, one
Server-Sent Events stream per tab. Each event has an id `BOOT.N` (BOOT is this process's, N
counts up), so a reconnecting tab's `Last-Event-ID` says exactly what it has seen; an id from
another process (the server was restarted) or from an earlier run replays the current run from
its start event, which makes the page start over.

The log holds one run at a time. Per-second `tick`s (that second's numbers, never running
totals) are all kept — about 300 bytes a second, a megabyte an hour; the `tables` and `session`
events describe the present and supersede their predecessors, so only the latest of each is
kept.
"""

from __future__ import annotations

import asyncio
import bisect
import enum
import json
import secrets
import threading
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

HEARTBEAT_S = 15.0
CHUNK_EVENTS = 500


class EventKind(enum.Enum):
    """What an event says (the SSE `event:` field)."""

    SESSION = "session"  # the dashboard's state: idle, running, finished; past runs (latest)
    START = "start"  # a run began: its name, target, plan, what can be steered
    TICK = "tick"  # one second of the run: rates, latency, users or rate, generator health
    TABLES = "tables"  # the tables as they stand: endpoints, errors, checks, thresholds (latest)
    NOTICE = "notice"  # a message of the runner (a stored run, a file, a warning)
    CONTROL = "control"  # a change asked through the page (users, rate, stop), at a time
    END = "end"  # the run ended: its summary and downloads


_LATEST_ONLY = frozenset({EventKind.SESSION, EventKind.TABLES})


@dataclass(frozen=True, slots=True)
class Event:
    """One event, its payload already encoded as JSON."""

    seq: int
    kind: EventKind
    data: str

    def frame(self, boot: str) -> bytes:
        """The event as an SSE frame."""
        return f"id: {boot}.{self.seq}\nevent: {self.kind.value}\ndata: {self.data}\n\n".encode()


def _encode(payload: Mapping[str, Any]) -> str:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


class EventLog:
    """The events of the current run plus the latest session event; thread-safe."""

    def __init__(self) -> None:
        self.boot = secrets.token_hex(4)
        self._lock = threading.Lock()
        self._seq = 0
        self._seqs: list[int] = []
        self._events: list[Event | None] = []
        self._latest: dict[EventKind, int] = {}  # kind -> its index in _events
        self._waiters: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()
        self._closed = False

    # -- the writing side (any thread) -------------------------------------------------------

    def append(self, kind: EventKind, payload: Mapping[str, Any]) -> int:
        """Add an event (a START drops the previous run's events); returns its number."""
        data = _encode(payload)
        with self._lock:
            self._seq += 1
            event = Event(self._seq, kind, data)
            if kind is EventKind.START:
                self._drop_run()
            previous = self._latest.get(kind) if kind in _LATEST_ONLY else None
            if previous is not None:
                self._events[previous] = None
            if kind in _LATEST_ONLY:
                self._latest[kind] = len(self._events)
            self._seqs.append(event.seq)
            self._events.append(event)
            waiters, self._waiters = self._waiters, set()
        _wake(waiters)
        return event.seq

    def _drop_run(self) -> None:
        session = self._latest.get(EventKind.SESSION)
        kept = None if session is None else self._events[session]
        self._events = [] if kept is None else [kept]
        self._seqs = [] if kept is None else [kept.seq]
        self._latest = {EventKind.SESSION: 0} if self._events else {}

    def close(self) -> None:
        """End every stream (the server is stopping)."""
        with self._lock:
            self._closed = True
            waiters, self._waiters = self._waiters, set()
        _wake(waiters)

    # -- the reading side --------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def last_seq(self) -> int:
        return self._seq

    def seen(self, last_event_id: str | None) -> int:
        """The number of the last event a tab has seen, from its `Last-Event-ID` (0: none of
        this process's, so everything is replayed)."""
        if not last_event_id:
            return 0
        boot, _, number = last_event_id.strip().partition(".")
        if boot != self.boot or not number.isdigit():
            return 0
        seq = int(number)
        with self._lock:
            first = self._seqs[0] if self._seqs else 0
            start = self._latest_start_seq()
        if seq > self._seq or (start is not None and seq < start) or seq < first:
            return 0
        return seq

    def _latest_start_seq(self) -> int | None:
        for event in self._events:
            if event is not None and event.kind is EventKind.START:
                return event.seq
        return None

    def after(self, seq: int) -> list[Event]:
        """The kept events numbered above `seq`, in order."""
        with self._lock:
            at = bisect.bisect_right(self._seqs, seq)
            return [e for e in self._events[at:] if e is not None]

    def kinds(self) -> list[EventKind]:
        """The kinds of the kept events, in order (for tests and the log's own checks)."""
        with self._lock:
            return [e.kind for e in self._events if e is not None]

    async def wait(self, seq: int, timeout_s: float) -> bool:
        """Wait until an event numbered above `seq` exists or the log closes; False on timeout."""
        loop = asyncio.get_running_loop()
        woken = asyncio.Event()
        with self._lock:
            if self._seq > seq or self._closed:
                return True
            self._waiters.add((loop, woken))
        try:
            await asyncio.wait_for(woken.wait(), timeout_s)
        except TimeoutError:
            return False
        finally:
            with self._lock:
                self._waiters.discard((loop, woken))
        return True

    async def stream(self, seq: int, heartbeat_s: float = HEARTBEAT_S) -> AsyncIterator[bytes]:
        """SSE frames from after `seq` on, live, until the log closes; a comment line when
        nothing happened for `heartbeat_s` (so a closed tab is noticed)."""
        yield b"retry: 1000\n\n"
        while True:
            events = self.after(seq)
            for at in range(0, len(events), CHUNK_EVENTS):  # a replay goes out in large writes
                chunk = events[at : at + CHUNK_EVENTS]
                yield b"".join(event.frame(self.boot) for event in chunk)
                seq = chunk[-1].seq
            if self._closed:
                return
            if not await self.wait(seq, heartbeat_s):
                yield b": still here\n\n"


def _wake(waiters: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]]) -> None:
    for loop, event in waiters:
        if not loop.is_closed():
            loop.call_soon_threadsafe(event.set)
