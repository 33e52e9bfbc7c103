"""The run driver: one uvloop event loop, a per-second snapshot ticker, and signal handling.

`run_load` starts a load coroutine (URL mode or scripted users), takes a Snapshot of the recorder
every second and hands it to `on_snapshot`, and stops the load on SIGINT/SIGTERM so that the
partial results are still delivered (the outcome says the run was aborted and why).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import uvloop

from surge.metrics.recorder import Recorder
from surge.metrics.values import Snapshot

SnapshotSink = Callable[[Snapshot], None]
LoadFactory = Callable[[asyncio.Event, Callable[[int], None]], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class RunOutcome:
    """How the load ended."""

    duration_s: float
    aborted: bool
    abort_reason: str | None


class _Signals:
    """SIGINT/SIGTERM set the stop event and remember which signal ended the run."""

    def __init__(self, loop: asyncio.AbstractEventLoop, stop: asyncio.Event) -> None:
        self.loop = loop
        self.stop = stop
        self.received: str | None = None
        self._installed: list[signal.Signals] = []

    def install(self) -> None:
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                self.loop.add_signal_handler(sig, self._on_signal, sig)
            except (NotImplementedError, RuntimeError, ValueError):
                continue  # not the main thread: the caller stops the run through `stop`
            self._installed.append(sig)

    def _on_signal(self, sig: signal.Signals) -> None:
        if self.received is None:
            self.received = sig.name
        self.stop.set()

    def remove(self) -> None:
        for sig in self._installed:
            self.loop.remove_signal_handler(sig)


async def _tick(
    recorder: Recorder,
    on_snapshot: SnapshotSink,
    t0: float,
    active: list[int],
    last: list[float],
    interval_s: float,
) -> None:
    """Snapshot the recorder at t0 + k * interval_s, k = 1, 2, … (absolute times, no drift).
    `last[0]` is the end of the latest snapshot taken."""
    k = 1
    while True:
        now = time.perf_counter() - t0
        await asyncio.sleep(max(0.0, k * interval_s - now))
        now = time.perf_counter() - t0
        on_snapshot(recorder.snapshot(last[0], now, active[0]))
        last[0] = now
        k = max(k + 1, int(now / interval_s) + 1)


async def drive(
    load: LoadFactory,
    recorder: Recorder,
    on_snapshot: SnapshotSink,
    *,
    stop: asyncio.Event | None = None,
    handle_signals: bool = True,
    interval_s: float = 1.0,
) -> RunOutcome:
    """Run `load(stop, on_active_change)` to completion with a snapshot every `interval_s`."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = _Signals(loop, stop)
    if handle_signals:
        signals.install()
    active = [0]
    last = [0.0]

    def on_active_change(n: int) -> None:
        active[0] = n

    t0 = time.perf_counter()
    ticker = asyncio.ensure_future(_tick(recorder, on_snapshot, t0, active, last, interval_s))
    try:
        await load(stop, on_active_change)
    finally:
        ticker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await ticker
        signals.remove()
    end = time.perf_counter() - t0
    on_snapshot(recorder.snapshot(last[0], end, active[0]))
    return RunOutcome(
        duration_s=end, aborted=signals.received is not None, abort_reason=signals.received
    )


def run_blocking(coro_factory: Callable[[], Awaitable[RunOutcome]]) -> RunOutcome:
    """Run a driver coroutine on a fresh uvloop event loop (one loop per process)."""

    async def main() -> RunOutcome:
        return await coro_factory()

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main())
