"""A response body a task reads as it arrives (`stream=True`), in bounded memory.

The connection feeds chunks in as they are received. At most `window` bytes wait in memory:
beyond that the connection stops reading (the server sees the client's back-pressure) until the
task has taken them. When the task is done with the response without reading all of it — it
leaves the loop early, calls `resp.close()`, or drops the response — what waits is dropped and
the rest is counted and discarded as it arrives. Either way the request is recorded once, when
its last byte arrives (or it fails).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Callable
from typing import Protocol

DEFAULT_WINDOW_BYTES = 1024 * 1024


class BodyUnavailableError(Exception):
    """A task asked for a body surge did not keep (see the message for what to do)."""


class _Reader(Protocol):
    """The connection side: reading can be paused while the task catches up."""

    def pause_reading(self) -> None: ...

    def resume_reading(self) -> None: ...

    def is_closing(self) -> bool: ...


class StreamBody:
    """The body of one streamed response; see the module docstring."""

    __slots__ = (
        "_buffer",
        "_buffered",
        "_callbacks",
        "_paused",
        "_wake",
        "consumed",
        "discarding",
        "error",
        "finished",
        "head",
        "reader",
        "received",
        "window",
    )

    def __init__(self, window: int = DEFAULT_WINDOW_BYTES) -> None:
        self.window = max(1, window)
        self.reader: _Reader | None = None
        self.head = b""  # the bytes the response's head arrived in (set by the connection)
        self.received = 0  # body bytes received so far, kept or not
        self._buffer: deque[bytes] = deque()
        self._buffered = 0
        self._paused = False
        self._wake: asyncio.Future[None] | None = None
        self._callbacks: list[Callable[[BaseException | None], None]] = []
        self.consumed = False  # a task started iterating
        self.discarding = False  # the rest is counted and dropped
        self.finished = False
        self.error: BaseException | None = None

    # -- the connection's side ------------------------------------------------------------------

    def feed(self, data: bytes) -> None:
        self.received += len(data)
        if self.discarding:
            return
        self._buffer.append(data)
        self._buffered += len(data)
        if self._buffered > self.window:
            self._pause()
        self._notify()

    def finish(self) -> None:
        self.finished = True
        self._resume()
        self._notify()
        self._done(None)

    def fail(self, exc: BaseException) -> None:
        self.error = exc
        self._resume()
        self._notify()
        self._done(exc)

    def on_done(self, callback: Callable[[BaseException | None], None]) -> None:
        """`callback(error)` once the body is over (None: it arrived whole)."""
        if self.finished or self.error is not None:
            callback(self.error)
        else:
            self._callbacks.append(callback)

    # -- the task's side -----------------------------------------------------------------------

    def discard(self) -> None:
        """Drop what is kept and count the rest without keeping it (reading goes on)."""
        self.discarding = True
        self._buffer.clear()
        self._buffered = 0
        self._resume()
        self._notify()

    async def chunks(self) -> AsyncIterator[bytes]:
        """The body's chunks as they arrive; an early exit discards the rest."""
        if self.discarding and not self.consumed:
            raise BodyUnavailableError(
                "this streamed body was discarded before it was read (resp.close(), or a "
                "redirect's body)"
            )
        self.consumed = True
        try:
            while True:
                if self._buffer:
                    chunk = self._buffer.popleft()
                    self._buffered -= len(chunk)
                    if self._paused and self._buffered <= self.window // 2:
                        self._resume()
                    yield chunk
                elif self.error is not None:
                    raise self.error
                elif self.finished or self.discarding:
                    return
                else:
                    self._wake = asyncio.get_running_loop().create_future()
                    await self._wake
        finally:
            if not self.finished and self.error is None:
                self.discard()

    async def wait(self) -> None:
        """Until the body is over (arrived whole, or failed)."""
        while not self.finished and self.error is None:
            self._wake = asyncio.get_running_loop().create_future()
            await self._wake

    # -- internals ------------------------------------------------------------------------------

    def _notify(self) -> None:
        wake = self._wake
        if wake is not None and not wake.done():
            wake.set_result(None)

    def _pause(self) -> None:
        reader = self.reader
        if not self._paused and reader is not None and not reader.is_closing():
            self._paused = True
            reader.pause_reading()

    def _resume(self) -> None:
        if self._paused:
            self._paused = False
            reader = self.reader
            if reader is not None and not reader.is_closing():
                reader.resume_reading()

    def _done(self, error: BaseException | None) -> None:
        callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            callback(error)
