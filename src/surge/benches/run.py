"""Running one BenchSpec: the harness's own costs, the timed rounds or the sweep, the memory and
query passes, and the thresholds — into one BenchEntry."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, replace
from typing import Any

from surge.benches.calls import Call, Clock, bench_loop, resolve_awaitable
from surge.benches.memory import memory_pass
from surge.benches.processes import ProcessPool
from surge.benches.queries import queries_per_call
from surge.benches.serial import sample_serially
from surge.benches.spec import BenchSpec
from surge.benches.stats import clamped, histogram_ns, per_call_ns, stats_of
from surge.benches.sweep import level_of, tasks_level, threads_level
from surge.benches.timing import (
    async_overhead_ns,
    loop_trip_ns,
    sync_overhead_ns,
    timer_resolution_ns,
)
from surge.metrics.bench import BenchEntry, BenchLevel, BenchStats, Calibration, Flavor, Pool
from surge.thresholds.bench import judge_bench
from surge.thresholds.grammar import BENCH_METRICS

OVERHEAD_WARNING_FACTOR = 10  # warn when a call is within this factor of the harness's cost
SWEEP_WARMUP_SHARE = 0.1


@dataclass(frozen=True, slots=True)
class Ran:
    entry: BenchEntry
    value: Any


def _loop_for(spec: BenchSpec) -> asyncio.AbstractEventLoop | None:
    return bench_loop() if spec.flavor is Flavor.ASYNC else None


def _calibration(
    spec: BenchSpec, clock: Clock, loop: asyncio.AbstractEventLoop | None
) -> tuple[float, float, float | None]:
    step = timer_resolution_ns(clock)
    if loop is None:
        return step, sync_overhead_ns(clock), None
    return step, async_overhead_ns(clock, loop), loop_trip_ns(clock, loop)


def run_bench(spec: BenchSpec, *, clock: Clock = time.perf_counter_ns) -> Ran:
    """Measure one bench as its spec says."""
    if not spec.plan.exact:  # pedantic rounds call the callable exactly as often as asked
        spec = replace(spec, call=resolve_awaitable(spec.call, spec.plan.raise_errors))
    loop = _loop_for(spec)
    step, overhead, trip = _calibration(spec, clock, loop)
    if spec.sweep:
        entry, value = _sweep(spec, clock, loop), None
    else:
        entry, value = _serial(spec, clock, loop, step)
    entry = _finish(
        spec,
        entry,
        loop,
        Calibration(
            timer_resolution_ns=step,
            overhead_ns=overhead,
            loop_trip_ns=trip,
            warmup_rounds=entry.calibration.warmup_rounds,
            gc_disabled=spec.plan.disable_gc,
            target_sample_ns=entry.calibration.target_sample_ns,
        ),
    )
    return Ran(entry, value)


def _serial(
    spec: BenchSpec, clock: Clock, loop: asyncio.AbstractEventLoop | None, step: float
) -> tuple[BenchEntry, Any]:
    samples = sample_serially(spec.call, spec.plan, clock=clock, loop=loop, timer_step_ns=step)
    per_call = per_call_ns(samples.sample_ns, samples.iterations)
    total_s = sum(samples.sample_ns) / 1e9
    stats = stats_of(
        per_call, iterations=samples.iterations, errors=samples.errors, total_s=total_s
    )
    warnings = []
    if clamped(per_call):
        warnings.append("calls over 4.3 s are clamped in the histogram (the stats are exact)")
    entry = BenchEntry(
        name=spec.name,
        kind=spec.kind,
        flavor=spec.flavor,
        stats=stats,
        calibration=Calibration(
            0.0, 0.0, None, samples.warmup_rounds, True, samples.target_sample_ns
        ),
        latency_ns=histogram_ns(per_call, samples.iterations),
        sample_ns=samples.sample_ns,
        error_at=samples.error_at,
        errors_by_type=samples.errors_by_type,
        warnings=tuple(warnings),
    )
    return entry, samples.value


def _level(
    spec: BenchSpec,
    concurrency: int,
    clock: Clock,
    loop: asyncio.AbstractEventLoop | None,
    pool: ProcessPool | None,
) -> BenchLevel:
    call = spec.call.prepared()
    max_calls = spec.plan.iterations
    duration = spec.plan.duration_s
    warmup = 0.0 if max_calls is not None else SWEEP_WARMUP_SHARE  # a count is all measured
    try:
        if pool is not None:
            window, logs = pool.level(
                call, concurrency, duration_s=duration, max_calls=max_calls, warmup_share=warmup
            )
            kind = Pool.PROCESSES
        elif loop is not None:
            window, logs = tasks_level(
                call, concurrency, duration_s=duration, clock=clock, loop=loop,
                max_calls=max_calls, disable_gc=spec.plan.disable_gc, warmup_share=warmup,
            )  # fmt: skip
            kind = Pool.TASKS
        else:
            window, logs = threads_level(
                call, concurrency, duration_s=duration, clock=clock,
                max_calls=max_calls, disable_gc=spec.plan.disable_gc, warmup_share=warmup,
            )  # fmt: skip
            kind = Pool.THREADS
    finally:
        call.finish()
    return level_of(window, logs, concurrency, kind)


def _sweep(spec: BenchSpec, clock: Clock, loop: asyncio.AbstractEventLoop | None) -> BenchEntry:
    latency_specs = [s for s in spec.thresholds if s.metric not in BENCH_METRICS]
    levels: list[BenchLevel] = []
    with contextlib.ExitStack() as stack:
        pool = stack.enter_context(ProcessPool(max(spec.concurrency))) if spec.processes else None
        for concurrency in spec.concurrency:
            level = _level(spec, concurrency, clock, loop, pool)
            verdicts = judge_bench(latency_specs, spec.name, level.stats)
            levels.append(_with_verdicts(level, verdicts))
    peak = max(levels, key=lambda level: level.stats.ops)
    return BenchEntry(
        name=spec.name,
        kind=spec.kind,
        flavor=spec.flavor,
        stats=peak.stats,
        calibration=Calibration(0.0, 0.0, None, 0, True, 0),
        latency_ns=peak.latency_ns,
        errors_by_type=dict(peak.errors_by_type),
        levels=tuple(levels),
    )


def _with_verdicts(level: BenchLevel, verdicts: tuple[Any, ...]) -> BenchLevel:
    return BenchLevel(
        concurrency=level.concurrency,
        pool=level.pool,
        stats=level.stats,
        latency_ns=level.latency_ns,
        wall_s=level.wall_s,
        errors_by_type=level.errors_by_type,
        slices=level.slices,
        thresholds=verdicts,
    )


def _finish(
    spec: BenchSpec,
    entry: BenchEntry,
    loop: asyncio.AbstractEventLoop | None,
    calibration: Calibration,
) -> BenchEntry:
    memory, queries = None, None
    if spec.memory_calls or spec.count_queries:  # passes of their own (setup runs for them)
        call: Call = spec.call.prepared()
        try:
            memory = memory_pass(call, spec.memory_calls, loop) if spec.memory_calls else None
            queries = (
                queries_per_call(spec.count_queries, call, loop) if spec.count_queries else None
            )
        finally:
            call.finish()
    own = (
        spec.thresholds
        if not spec.sweep
        else [s for s in spec.thresholds if s.metric in BENCH_METRICS]
    )
    verdicts = judge_bench(own, spec.name, entry.stats, memory, queries)
    warnings = list(entry.warnings)
    per_call_ns = entry.stats.median_ms * 1e6
    if (
        not spec.sweep
        and entry.stats.calls
        and per_call_ns < OVERHEAD_WARNING_FACTOR * calibration.overhead_ns
    ):
        warnings.append(
            f"a call takes {per_call_ns:.0f} ns, within {OVERHEAD_WARNING_FACTOR}x of the "
            f"harness's own {calibration.overhead_ns:.0f} ns per call: differences this small "
            "are mostly the harness"
        )
    return BenchEntry(
        name=entry.name,
        kind=entry.kind,
        flavor=entry.flavor,
        stats=entry.stats,
        calibration=calibration,
        latency_ns=entry.latency_ns,
        sample_ns=entry.sample_ns,
        error_at=entry.error_at,
        errors_by_type=entry.errors_by_type,
        levels=entry.levels,
        memory=memory,
        queries_per_call=queries,
        thresholds=verdicts,
        group=spec.group,
        extra=spec.extra,
        warnings=tuple(warnings),
    )


def empty_stats() -> BenchStats:
    return BenchStats.empty()
