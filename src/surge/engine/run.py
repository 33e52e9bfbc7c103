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

from surge.engine.probe import LoopLagProbe
from surge.metrics.recorder import Recorder
from surge.metrics.values import HealthSample, Snapshot

SnapshotSink = Callable[[Snapshot], None]
LoadFactory = Callable[[asyncio.Event, Callable[[int], None]], Awaitable[None]]
TargetAt = Callable[[float], float | None]
_MIN_HEALTH_S = 0.5
CpuSample = Callable[[], float]


class _Probes:
    """What each snapshot carries beside the counts: the schedule's target and the generator's
    health (its CPU from `cpu`, and the event-loop lag from a probe timer)."""

    def __init__(self, target_at: TargetAt | None, cpu: CpuSample | None) -> None:
        self.target_at = target_at
        self.cpu = cpu
        self.lag = LoopLagProbe() if cpu is not None else None

    def start(self) -> None:
        if self.lag is not None:
            self.lag.start()
        if self.cpu is not None:
            self.cpu()  # the first reading starts the CPU interval

    def stop(self) -> None:
        if self.lag is not None:
            self.lag.stop()

    def snapshot(self, recorder: Recorder, start_s: float, end_s: float, active: int) -> Snapshot:
        health = None
        if self.cpu is not None and self.lag is not None and end_s - start_s >= _MIN_HEALTH_S:
            # A CPU reading over a sliver of a second (the run's last) is mostly the OS's
            # accounting granularity: such a short interval carries no health sample.
            health = HealthSample(cpu_pct=self.cpu(), loop_lag=self.lag.take())
        target = self.target_at(end_s) if self.target_at is not None else None
        return recorder.snapshot(start_s, end_s, active, health=health, target=target)


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
    probes: _Probes,
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
        on_snapshot(probes.snapshot(recorder, last[0], now, active[0]))
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
    target_at: TargetAt | None = None,
    cpu: CpuSample | None = None,
) -> RunOutcome:
    """Run `load(stop, on_active_change)` to completion with a snapshot every `interval_s`.

    Snapshots carry `target_at(elapsed_s)` when given, and generator health when `cpu` (a
    sampler of this process's CPU% since its previous call) is given.
    """
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = _Signals(loop, stop)
    if handle_signals:
        signals.install()
    active = [0]
    last = [0.0]

    def on_active_change(n: int) -> None:
        active[0] = n

    probes = _Probes(target_at, cpu)
    probes.start()
    t0 = time.perf_counter()
    ticker = asyncio.ensure_future(
        _tick(recorder, probes, on_snapshot, t0, active, last, interval_s)
    )
    try:
        await load(stop, on_active_change)
    finally:
        ticker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await ticker
        signals.remove()
    end = time.perf_counter() - t0
    on_snapshot(probes.snapshot(recorder, last[0], end, active[0]))
    probes.stop()
    return RunOutcome(
        duration_s=end, aborted=signals.received is not None, abort_reason=signals.received
    )


def run_blocking(coro_factory: Callable[[], Awaitable[RunOutcome]]) -> RunOutcome:
    """Run a driver coroutine on a fresh uvloop event loop (one loop per process)."""

    async def main() -> RunOutcome:
        return await coro_factory()

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main())
