"""The JSON of a bench (`BenchResult.to_json()`, the `benches` array of a bench run's results
JSON): times in milliseconds (6 decimals: a nanosecond), rates per second, memory in bytes.
Documented in docs/benchmarks-python.md; changes are additive only."""

from __future__ import annotations

import math
from typing import Any

from surge.metrics.bench import BenchEntry, BenchLevel, BenchStats
from surge.metrics.threshold_verdict import ThresholdVerdict
from surge.redaction import redact_text

BENCH_SCHEMA = 1
MS_DIGITS = 6
RATE_DIGITS = 3
_TIMES = (
    "min", "max", "mean", "stddev", "median", "q1", "q3", "p75", "p90", "p95", "p99", "p999",
)  # fmt: skip


def number(value: float, digits: int) -> float:
    """`value` rounded, NaN and infinities as 0.0, no negative zero (as the results JSON)."""
    if not math.isfinite(value):
        return 0.0
    return round(value, digits) + 0.0


def stats_document(stats: BenchStats) -> dict[str, Any]:
    out: dict[str, Any] = {
        "rounds": stats.rounds,
        "iterations": stats.iterations,
        "calls": stats.calls,
        "errors": stats.errors,
        "error_rate": number(stats.error_rate, 6),
        "ops": number(stats.ops, RATE_DIGITS),
        "total_s": number(stats.total_s, 6),
        "outliers_iqr": stats.outliers_iqr,
        "outliers_stddev": stats.outliers_stddev,
    }
    times = {key: number(getattr(stats, f"{key}_ms"), MS_DIGITS) for key in _TIMES}
    times["iqr"] = number(stats.iqr_ms, MS_DIGITS)
    out["time_ms"] = times
    return out


def verdict_document(verdict: ThresholdVerdict) -> dict[str, Any]:
    return {
        "expression": verdict.expression,
        "metric": verdict.metric,
        "op": verdict.op,
        "limit": verdict.limit,
        "unit": verdict.unit,
        "observed": None if verdict.observed is None else number(verdict.observed, 6),
        "passed": verdict.passed,
    }


def level_document(level: BenchLevel) -> dict[str, Any]:
    return {
        "concurrency": level.concurrency,
        "pool": level.pool.value,
        "wall_s": number(level.wall_s, 6),
        "stats": stats_document(level.stats),
        "errors_by_type": dict(level.errors_by_type),
        "thresholds": [verdict_document(v) for v in level.thresholds],
        "passed": level.passed,
    }


def bench_document(entry: BenchEntry) -> dict[str, Any]:
    """One bench as JSON-ready data."""
    c = entry.calibration
    peak, failing = entry.peak_level, entry.first_failing_level
    memory = entry.memory
    return {
        "schema": BENCH_SCHEMA,
        "name": redact_text(entry.name),
        "kind": entry.kind.value,
        "group": entry.group,
        "flavor": entry.flavor.value,
        "passed": entry.passed,
        "stats": stats_document(entry.stats),
        "errors_by_type": dict(entry.errors_by_type),
        "levels": [level_document(level) for level in entry.levels],
        "peak_concurrency": None if peak is None else peak.concurrency,
        "first_failing_concurrency": None if failing is None else failing.concurrency,
        "memory": None
        if memory is None
        else {
            "calls": memory.calls,
            "increase_bytes": memory.increase_bytes,
            "peak_bytes": memory.peak_bytes,
            "retained_bytes": memory.retained_bytes,
            "top": [
                {"where": s.where, "size_bytes": s.size_bytes, "count": s.count} for s in memory.top
            ],
        },
        "queries_per_call": entry.queries_per_call,
        "thresholds": [verdict_document(v) for v in entry.thresholds],
        "calibration": {
            "timer_resolution_ns": number(c.timer_resolution_ns, 3),
            "overhead_ns": number(c.overhead_ns, 3),
            "loop_trip_ns": None if c.loop_trip_ns is None else number(c.loop_trip_ns, 3),
            "warmup_rounds": c.warmup_rounds,
            "gc_disabled": c.gc_disabled,
            "target_sample_ns": c.target_sample_ns,
        },
        "extra": dict(entry.extra),
        "warnings": list(entry.warnings),
    }
