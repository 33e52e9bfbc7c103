"""Bench runs as interval series: the samples (or a sweep level's slices) are the unit.

A serial bench keeps every round in order; consecutive rounds are grouped into at most
`MAX_UNITS` units per run (each unit a histogram of its rounds' per-call times, weighted by the
calls of a round), a sweep level contributes its slices. The series then goes through exactly the
moving-block bootstrap and merged-histogram metrics of load runs' one-second intervals
(`intervals.resampled_metrics`); only the unit of the histograms differs (nanoseconds here).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from surge.compare.intervals import IntervalSeries, _grouping
from surge.compare.metrics import EndpointKey
from surge.metrics import Histogram, RunResult
from surge.metrics.bench import BenchEntry, BenchLevel
from surge.metrics.histogram import highest_equivalent

MAX_UNITS = 200
_NS_PER_MS = 1e6
_REQUESTS, _FAILURES, _DURATION, _SUM_US = range(4)


@dataclass(frozen=True, slots=True, eq=False)
class Unit:
    """One unit of a bench: per-call times (ns), calls, errors and the time it covered."""

    latency_ns: Histogram
    calls: int
    errors: int
    duration_ns: int


def _found(result: RunResult, key: EndpointKey) -> tuple[BenchEntry, BenchLevel | None] | None:
    method, name = key
    for entry in result.benches:
        if entry.kind.tag != method:
            continue
        if not entry.levels and entry.name == name:
            return entry, None
        for level in entry.levels:
            if entry.level_key(level) == name:
                return entry, level
    return None


def is_bench_key(result: RunResult, key: EndpointKey) -> bool:
    return _found(result, key) is not None


def serial_units(entry: BenchEntry, max_units: int = MAX_UNITS) -> list[Unit]:
    """Consecutive rounds grouped into at most `max_units` units (errors kept in place)."""
    samples = np.asarray(entry.sample_ns, dtype=np.int64)
    n = int(samples.size)
    if n == 0:
        return []
    iterations = max(entry.stats.iterations, 1)
    edges = np.linspace(0, n, min(n, max_units) + 1).round().astype(np.int64)
    error_at = np.asarray(entry.error_at, dtype=np.int64)
    units = []
    for lo, hi in zip(edges[:-1].tolist(), edges[1:].tolist(), strict=True):
        chunk = samples[lo:hi]
        per_call = np.rint(chunk / iterations).astype(np.int64)
        last = hi == n
        errors = int(np.count_nonzero((error_at >= lo) & ((error_at < hi) | last)))
        units.append(
            Unit(
                latency_ns=Histogram.from_array(per_call, np.full(chunk.size, iterations)),
                calls=int(chunk.size) * iterations,
                errors=errors,
                duration_ns=int(chunk.sum()),
            )
        )
    return units


def units_of(result: RunResult, key: EndpointKey) -> list[Unit] | None:
    found = _found(result, key)
    if found is None:
        return None
    entry, level = found
    if level is None:
        return serial_units(entry)
    return [Unit(s.latency_ns, s.calls, s.errors, s.duration_ns) for s in level.slices]


def sample_series(runs: Sequence[RunResult], key: EndpointKey) -> IntervalSeries | None:
    """The bench's units over all runs as an IntervalSeries in ms (None when a run lacks the
    bench or kept no units)."""
    per_run = [units_of(r, key) for r in runs]
    if not runs or any(not units for units in per_run):
        return None
    units = [u for run_units in per_run if run_units for u in run_units]
    all_idx = [u.latency_ns.indices for u in units if u.latency_ns.total]
    indices = np.concatenate(all_idx) if all_idx else np.zeros(0, dtype=np.int64)
    shift, keys = _grouping(indices)
    values_ms = np.array(
        [highest_equivalent(int(((k + 1) << shift) - 1)) / _NS_PER_MS for k in keys.tolist()],
        dtype=np.float64,
    )
    matrix = np.zeros((len(units) + 1, keys.size + 4), dtype=np.float64)
    for row, unit in enumerate(units, start=1):
        extra = matrix[row, keys.size :]
        extra[_REQUESTS] = unit.calls + unit.errors
        extra[_FAILURES] = unit.errors
        extra[_DURATION] = unit.duration_ns / 1e9
        extra[_SUM_US] = unit.latency_ns.sum_us / 1000.0  # ns -> µs, as the series expects
        if unit.latency_ns.total:
            cols = np.searchsorted(keys, unit.latency_ns.indices >> shift)
            np.add.at(matrix[row], cols, unit.latency_ns.counts.astype(np.float64))
    lengths = tuple(len(run_units) for run_units in per_run if run_units)
    return IntervalSeries(np.cumsum(matrix, axis=0), values_ms, lengths)
