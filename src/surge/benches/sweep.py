"""Concurrency levels: N callers at once, every call timed on its own.

Sync callables run on N threads (`processes=True`: N processes, see `processes.py`), async ones
as N tasks on one uvloop loop. All callers start together; calls that start in the first
`warmup_share` of the level are not recorded; the level ends at its duration (or after
`max_calls` calls in all). Throughput is the recorded calls over the recorded stretch of wall
time; latency is each call's own time. The stretch is cut into `SLICES` equal slices, the units
a comparison of two single runs resamples.
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from surge.benches.calls import Call, Clock, error_name
from surge.benches.stats import histogram_ns, stats_of
from surge.metrics.bench import BenchLevel, BenchSlice, Pool
from surge.metrics.histogram import Histogram

SLICES = 10
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class LevelWindow:
    """When a level records: calls starting in [start_ns, deadline_ns) count."""

    start_ns: int
    record_from_ns: int
    deadline_ns: int
    max_calls: int | None = None


@dataclass(slots=True)
class CallerLog:
    """One caller's record: each recorded call's start and latency, each error's start."""

    starts: list[int] = field(default_factory=list)
    latencies: list[int] = field(default_factory=list)
    error_starts: list[int] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)


# `run_caller` and `run_task` are one loop twice, differing only in `await`: keep them in step.
# Sharing the loop means Python calls in every iteration (a version with `window.admits()` and
# `log.called()` methods: about 1,000 instructions a call more on an empty callable, +30 %, by
# callgrind), and the admission check runs between the start clock read and the call, so its
# cost would land in every recorded latency.


def run_caller(
    call: Call, window: LevelWindow, clock: Clock, budget: itertools.count[int]
) -> CallerLog:
    """Call a sync callable until the window closes (or the shared call budget is spent)."""
    log = CallerLog()
    fn, args, kwargs = call.fn, tuple(call.args), dict(call.kwargs)
    limit = window.max_calls
    while True:
        start = clock()
        if start >= window.deadline_ns or (limit is not None and next(budget) >= limit):
            return log
        try:
            fn(*args, **kwargs)
        except Exception as exc:
            if start >= window.record_from_ns:
                log.error_starts.append(start)
                log.errors[error_name(exc)] += 1
            continue
        end = clock()
        if start >= window.record_from_ns:
            log.starts.append(start)
            log.latencies.append(end - start)


async def run_task(
    call: Call, window: LevelWindow, clock: Clock, budget: itertools.count[int]
) -> CallerLog:
    """Await an async callable until the window closes (or the call budget is spent)."""
    log = CallerLog()
    fn, args, kwargs = call.fn, tuple(call.args), dict(call.kwargs)
    limit = window.max_calls
    while True:
        start = clock()
        if start >= window.deadline_ns or (limit is not None and next(budget) >= limit):
            return log
        try:
            await fn(*args, **kwargs)
        except Exception as exc:
            if start >= window.record_from_ns:
                log.error_starts.append(start)
                log.errors[error_name(exc)] += 1
            continue
        end = clock()
        if start >= window.record_from_ns:
            log.starts.append(start)
            log.latencies.append(end - start)


def _window(
    clock: Clock, duration_s: float, warmup_share: float, max_calls: int | None
) -> LevelWindow:
    start = clock()
    record_from = start + int(duration_s * warmup_share * 1e9)
    return LevelWindow(start, record_from, record_from + int(duration_s * 1e9), max_calls)


def threads_level(
    call: Call,
    concurrency: int,
    *,
    duration_s: float,
    clock: Clock,
    warmup_share: float = 0.1,
    max_calls: int | None = None,
    disable_gc: bool = True,
) -> tuple[LevelWindow, list[CallerLog]]:
    """`concurrency` threads calling a sync callable together."""
    logs: list[CallerLog] = [CallerLog() for _ in range(concurrency)]
    barrier = threading.Barrier(concurrency + 1)
    budget = itertools.count()
    holder: list[LevelWindow] = []
    failures: list[BaseException] = []

    def worker(index: int) -> None:
        barrier.wait()
        try:
            logs[index] = run_caller(call, holder[0], clock, budget)
        except BaseException as exc:  # pragma: no cover - a KeyboardInterrupt in a worker
            failures.append(exc)

    threads = [
        threading.Thread(target=worker, args=(i,), name=f"surge-bench-{i}", daemon=True)
        for i in range(concurrency)
    ]
    for thread in threads:
        thread.start()
    enabled = gc.isenabled()
    if disable_gc:
        gc.disable()
    try:
        holder.append(_window(clock, duration_s, warmup_share, max_calls))
        barrier.wait()
        for thread in threads:
            thread.join()
    finally:
        if disable_gc and enabled:
            gc.enable()
    if failures:
        raise failures[0]
    return holder[0], logs


def tasks_level(
    call: Call,
    concurrency: int,
    *,
    duration_s: float,
    clock: Clock,
    loop: asyncio.AbstractEventLoop,
    warmup_share: float = 0.1,
    max_calls: int | None = None,
    disable_gc: bool = True,
) -> tuple[LevelWindow, list[CallerLog]]:
    """`concurrency` tasks awaiting an async callable together on `loop`."""
    budget = itertools.count()

    async def level() -> tuple[LevelWindow, list[CallerLog]]:
        window = _window(clock, duration_s, warmup_share, max_calls)
        logs = await asyncio.gather(
            *(run_task(call, window, clock, budget) for _ in range(concurrency))
        )
        return window, list(logs)

    enabled = gc.isenabled()
    if disable_gc:
        gc.disable()
    try:
        return loop.run_until_complete(level())
    finally:
        if disable_gc and enabled:
            gc.enable()


def level_of(
    window: LevelWindow, logs: Sequence[CallerLog], concurrency: int, pool: Pool
) -> BenchLevel:
    """The BenchLevel of what the callers recorded."""
    starts = np.asarray([s for log in logs for s in log.starts], dtype=np.int64)
    latencies = np.asarray([v for log in logs for v in log.latencies], dtype=np.int64)
    ends = starts + latencies
    error_starts = np.asarray([s for log in logs for s in log.error_starts], dtype=np.int64)
    errors: Counter[str] = Counter()
    for log in logs:
        errors.update(log.errors)
    last = max(int(ends.max()) if ends.size else 0, window.record_from_ns + 1)
    if error_starts.size:
        last = max(last, int(error_starts.max()) + 1)
    wall_ns = last - window.record_from_ns
    per_call = latencies.astype(np.float64)
    stats = stats_of(per_call, iterations=1, errors=sum(errors.values()), total_s=wall_ns / 1e9)
    return BenchLevel(
        concurrency=concurrency,
        pool=pool,
        stats=stats,
        latency_ns=histogram_ns(per_call),
        wall_s=wall_ns / 1e9,
        errors_by_type=dict(sorted(errors.items())),
        slices=_slices(window.record_from_ns, wall_ns, starts, latencies, error_starts),
    )


def _slices(
    origin: int, wall_ns: int, starts: IntArray, latencies: IntArray, error_starts: IntArray
) -> tuple[BenchSlice, ...]:
    width = max(wall_ns // SLICES, 1)

    def slot(times: IntArray) -> IntArray:
        return np.minimum((times - origin) // width, SLICES - 1).astype(np.int64)

    call_slot, error_slot = slot(starts), slot(error_starts)
    out = []
    for k in range(SLICES):
        chosen = latencies[call_slot == k]
        out.append(
            BenchSlice(
                duration_ns=int(width if k < SLICES - 1 else wall_ns - width * (SLICES - 1)),
                calls=int(chosen.size),
                errors=int(np.count_nonzero(error_slot == k)),
                latency_ns=Histogram.from_array(chosen) if chosen.size else Histogram.empty(),
            )
        )
    return tuple(out)


LevelRunner = Callable[[Call, int], tuple[LevelWindow, list[CallerLog]]]
