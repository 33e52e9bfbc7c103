"""The memory pass of a bench: RSS growth, then tracemalloc peak and what stays allocated.

Both are measured in passes of their own after the timed rounds (tracing slows allocation
down several times and would distort the timing). RSS is read with tracing off, around `calls`
calls with a full collection before each reading; then the same number of calls run under the
existing `surge.MemoryTracker` (tracemalloc) for the peak above the start, the net growth and
the allocation sites that kept the most.
"""

from __future__ import annotations

import asyncio
import gc

import psutil  # type: ignore[import-untyped]

from surge.benches.calls import Call, run_untimed
from surge.metrics.bench import BenchMemory, MemorySite
from surge.monitor import MemoryTracker

DEFAULT_MEMORY_CALLS = 1000
TOP_SITES = 5


def memory_pass(call: Call, calls: int, loop: asyncio.AbstractEventLoop | None) -> BenchMemory:
    """Memory of `calls` calls (after the timed rounds, never during them)."""
    process = psutil.Process()
    gc.collect()
    before = process.memory_info().rss
    run_untimed(call, calls, loop)
    gc.collect()
    increase = process.memory_info().rss - before
    with MemoryTracker() as tracker:
        run_untimed(call, calls, loop)
        growth = tracker.growth(top=TOP_SITES)
    return BenchMemory(
        calls=calls,
        increase_bytes=int(increase),
        peak_bytes=growth.peak_bytes,
        retained_bytes=growth.total_bytes,
        top=tuple(MemorySite(s.where, s.size_bytes, s.count) for s in growth.top),
    )
