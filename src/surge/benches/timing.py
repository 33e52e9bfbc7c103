"""What the timing harness itself costs: the timer's step, an empty call, a trip through the loop.

These are reported beside every bench (`Calibration`) so that a reader can tell a 40 ns result
from the harness's own 30 ns, and an async bench's microseconds from the event loop's.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable

from surge.benches.calls import Call, Clock, async_sampler, sync_sampler

_TIMER_PROBES = 2000
_OVERHEAD_CALLS = 20_000
_OVERHEAD_REPEATS = 5
_LOOP_TRIPS = 2000


def timer_resolution_ns(clock: Clock) -> float:
    """The smallest non-zero difference of two back-to-back clock readings (1.0 for a clock
    that does not move by itself, such as a test's fake clock)."""
    best = 0
    for _ in range(_TIMER_PROBES):
        first = clock()
        second = clock()
        for _ in range(_TIMER_PROBES):
            if second != first:
                break
            second = clock()
        else:
            return 1.0
        step = second - first
        if best == 0 or step < best:
            best = step
    return float(best)


def _empty() -> None:
    return None


async def _empty_async() -> None:
    return None


def _best_per_call(sample: Callable[[int], int], calls: int) -> float:
    enabled = gc.isenabled()
    gc.disable()
    try:
        best = min(sample(calls) for _ in range(_OVERHEAD_REPEATS))
    finally:
        if enabled:
            gc.enable()
    return best / calls


def sync_overhead_ns(clock: Clock) -> float:
    """Per-call time of an empty function through the sync harness (best of a few)."""
    return _best_per_call(sync_sampler(Call(_empty), clock), _OVERHEAD_CALLS)


def async_overhead_ns(clock: Clock, loop: asyncio.AbstractEventLoop) -> float:
    """Per-call time of an empty coroutine awaited through the async harness on `loop`."""
    return _best_per_call(async_sampler(Call(_empty_async), clock, loop), _OVERHEAD_CALLS // 4)


async def _trip() -> None:
    await asyncio.sleep(0)


def loop_trip_ns(clock: Clock, loop: asyncio.AbstractEventLoop) -> float:
    """Per-call time of `await asyncio.sleep(0)`: one suspension and resumption by the loop."""
    return _best_per_call(async_sampler(Call(_trip), clock, loop), _LOOP_TRIPS)
