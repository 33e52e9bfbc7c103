"""Benches as a run: the RunResult that the store keeps and compare, history and reports read.

A bench run has one endpoint per bench, or per level of a sweep (`name [c=10]`), with the kind's
tag in the method column (`DB`, `CACHE`, …): `requests` are calls (failures: the calls that
raised), `latency` the per-call times in µs like any run's histogram (sub-microsecond calls
show as 0 or 1 µs there), and `duration_s` the measured time, so that `rps` reads as operations per
second. The exact measurements ride along in `RunResult.benches`; compare uses them (samples as
the unit) wherever they are present.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from surge.metrics import EndpointStats, Histogram, RunMeta, RunResult, merge_stats
from surge.metrics.bench import BenchEntry, BenchLevel, BenchStats
from surge.metrics.histogram import highest_equivalent, lowest_equivalent
from surge.metrics.values import ThresholdVerdict
from surge.version import __version__

BENCH_MODE = "bench"


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds")


def _us_histogram(latency_ns: Histogram) -> Histogram:
    """A nanosecond histogram re-bucketed to microseconds (bucket values / 1000, rounded)."""
    if latency_ns.total == 0:
        return Histogram.empty()
    lows = np.array([lowest_equivalent(int(i)) for i in latency_ns.indices], dtype=np.float64)
    highs = np.array([highest_equivalent(int(i)) for i in latency_ns.indices], dtype=np.float64)
    values_us = np.rint((lows + highs) / 2.0 / 1000.0).astype(np.int64)
    built = Histogram.from_array(values_us, latency_ns.counts)
    return Histogram(
        built.indices,
        built.counts,
        built.total,
        round(latency_ns.min_us / 1000),
        round(latency_ns.max_us / 1000),
        round(latency_ns.sum_us / 1000),
    )


def _samples_us(entry: BenchEntry) -> Histogram:
    """A serial bench's per-call times in µs, straight from its rounds."""
    iterations = max(entry.stats.iterations, 1)
    per_call_ns = np.asarray(entry.sample_ns, dtype=np.float64) / iterations
    built = Histogram.from_array(
        np.rint(per_call_ns / 1000.0).astype(np.int64), np.full(per_call_ns.size, iterations)
    )
    total_ns = float(np.sum(np.asarray(entry.sample_ns, dtype=np.float64)))
    return Histogram(
        built.indices,
        built.counts,
        built.total,
        built.min_us,
        built.max_us,
        round(total_ns / 1000.0),
    )


def _endpoint(
    tag: str, name: str, stats: BenchStats, latency_us: Histogram, errors: Mapping[str, int]
) -> EndpointStats:
    return EndpointStats(
        method=tag,
        name=name,
        requests=stats.calls + stats.errors,
        failures=stats.errors,
        bytes_received=0,
        status_codes={},
        errors={"script": stats.errors} if stats.errors else {},
        error_messages=dict(errors),
        latency=latency_us,
        failure_latency=Histogram.empty(),
    )


def endpoints_of(entry: BenchEntry) -> list[EndpointStats]:
    """The endpoint rows of one bench: itself, or one per level of its sweep."""
    tag = entry.kind.tag
    if not entry.levels:
        latency = _samples_us(entry) if entry.sample_ns else _us_histogram(entry.latency_ns)
        return [_endpoint(tag, entry.name, entry.stats, latency, entry.errors_by_type)]
    return [
        _endpoint(
            tag, entry.level_key(lv), lv.stats, _us_histogram(lv.latency_ns), lv.errors_by_type
        )
        for lv in entry.levels
    ]


def _measured_s(entry: BenchEntry) -> float:
    if entry.levels:
        return sum(level.wall_s for level in entry.levels)
    return entry.stats.total_s


def level_of_key(entry: BenchEntry, name: str) -> BenchLevel | None:
    return next((lv for lv in entry.levels if entry.level_key(lv) == name), None)


def verdicts_of(entry: BenchEntry) -> list[ThresholdVerdict]:
    """Every verdict of a bench, each naming its bench (or level) as its endpoint."""
    out = list(entry.thresholds)
    for level in entry.levels:
        key = entry.level_key(level)
        out.extend(replace(v, endpoint=key) for v in level.thresholds)
    return out


def run_result(
    entries: Sequence[BenchEntry],
    *,
    name: str,
    target: str,
    options: Mapping[str, Any] | None = None,
    started_at: str | None = None,
    finished_at: str | None = None,
    aborted: bool = False,
    abort_reason: str | None = None,
) -> RunResult:
    """The run of some benches (for the store, compare and every report)."""
    endpoints = tuple(e for entry in entries for e in endpoints_of(entry))
    total = merge_stats("", "Total", endpoints)
    duration = sum(_measured_s(entry) for entry in entries)
    meta = RunMeta(
        name=name,
        surge_version=__version__,
        started_at=started_at or _now(),
        finished_at=finished_at or _now(),
        target=target,
        mode=BENCH_MODE,
        options=dict(options or {}),
        aborted=aborted,
        abort_reason=abort_reason,
    )
    return RunResult(
        meta=meta,
        duration_s=duration,
        endpoints=endpoints,
        total=total,
        timeline=(),
        thresholds=tuple(v for entry in entries for v in verdicts_of(entry)),
        benches=tuple(entries),
    )


def bench_run(
    results: Sequence[Any],
    *,
    name: str,
    target: str = "python",
    options: Mapping[str, Any] | None = None,
) -> RunResult:
    """Bench results (`BenchResult`s or `BenchEntry`s) as one run, to store or report:
    `store.save(bench_run(results, name="queries"), fingerprint({}))`."""
    entries = [getattr(r, "entry", r) for r in results]
    for entry in entries:
        if not isinstance(entry, BenchEntry):
            raise TypeError(f"bench_run takes BenchResults, got {type(entry).__name__}")
    return run_result(entries, name=name, target=target, options=options)
