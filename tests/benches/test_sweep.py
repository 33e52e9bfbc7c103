"""Concurrency sweeps: threads for sync callables, tasks for async ones, processes for CPU-bound
work; per-level stats, the peak level and the first level that crosses a threshold."""

from __future__ import annotations

import asyncio
import math
import threading
import time

import surge
from surge.metrics.bench import Pool


def wait_2ms() -> None:
    time.sleep(0.002)


def test_threads_overlap_blocking_calls_and_levels_are_reported() -> None:
    threads: set[str] = set()

    def call() -> None:
        threads.add(threading.current_thread().name)
        wait_2ms()

    result = surge.benchmark(call, concurrency=[1, 4], duration=0.3, thresholds=["p50<1s"])
    one, four = result.levels
    assert (one.concurrency, four.concurrency) == (1, 4)
    assert {one.pool, four.pool} == {Pool.THREADS}
    assert len(threads - {"MainThread"}) == 4  # (the first call, a probe, runs on the caller)
    assert four.stats.ops > 2 * one.stats.ops  # four sleepers at once, not one after another
    assert one.stats.median_ms >= 2.0
    assert result.peak_level is four
    assert result.stats == four.stats
    assert len(four.slices) == 10
    assert sum(s.calls for s in four.slices) == four.stats.calls
    assert all(level.passed for level in result.levels) and result.passed
    assert "concurrency sweep on threads" in result.table()


def test_async_sweeps_run_tasks_and_find_where_a_threshold_is_first_crossed() -> None:
    lock = asyncio.Lock

    state: dict[str, asyncio.Lock] = {}

    async def serialised() -> None:
        # one at a time: latency grows with the number of callers queued on the lock
        guard = state.setdefault("lock", lock())
        async with guard:
            await asyncio.sleep(0.002)

    result = surge.benchmark(
        serialised, concurrency=[1, 2, 8], duration=0.3, thresholds=["p50<6ms"]
    )
    assert [level.pool for level in result.levels] == [Pool.TASKS] * 3
    one, two, eight = result.levels
    assert one.passed and two.passed
    assert not eight.passed
    assert result.first_failing_level is eight
    assert not result.passed
    assert eight.stats.median_ms > 4 * one.stats.median_ms


def cpu_work() -> int:
    return sum(math.isqrt(i) for i in range(2000))


def test_processes_run_cpu_bound_callables_in_their_own_processes() -> None:
    result = surge.benchmark(cpu_work, concurrency=[1, 2], processes=True, duration=0.3)
    assert [level.pool for level in result.levels] == [Pool.PROCESSES] * 2
    assert all(level.stats.calls > 0 and level.stats.errors == 0 for level in result.levels)


def test_a_sweep_with_iterations_makes_that_many_calls_per_level() -> None:
    result = surge.benchmark(wait_2ms, concurrency=[1, 3], iterations=30, duration=5)
    assert [level.stats.calls + level.stats.errors for level in result.levels] == [30, 30]
