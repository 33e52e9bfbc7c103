"""Exact statistics of per-call times, and their HDR histogram.

Every figure comes from all the samples (numpy, float64 nanoseconds), not from histogram
buckets: quartiles and percentiles interpolate linearly between samples (numpy's default, which
is also `statistics.quantiles(method="inclusive")`), the standard deviation is the sample one
(n - 1), as pytest-benchmark reports it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from surge.metrics.bench import BenchStats
from surge.metrics.histogram import HIGHEST_US, Histogram

FloatArray = npt.NDArray[np.float64]
_NS_PER_MS = 1e6
_PERCENTILES = (25.0, 50.0, 75.0, 90.0, 95.0, 99.0, 99.9)


def per_call_ns(sample_ns: Sequence[int], iterations: int) -> FloatArray:
    return np.asarray(sample_ns, dtype=np.float64) / float(iterations)


def stats_of(
    per_call: FloatArray,
    *,
    iterations: int,
    errors: int,
    total_s: float,
) -> BenchStats:
    """BenchStats of per-call times (ns) of `len(per_call)` rounds of `iterations` calls;
    `ops` is the successful calls over `total_s` seconds."""
    rounds = int(per_call.size)
    if rounds == 0:
        return BenchStats.empty(errors)
    q1, median, q3, p90, p95, p99, p999 = np.percentile(per_call, _PERCENTILES)
    mean = float(per_call.mean())
    stddev = float(per_call.std(ddof=1)) if rounds > 1 else 0.0
    iqr = q3 - q1
    outliers_iqr = int(np.count_nonzero((per_call < q1 - 1.5 * iqr) | (per_call > q3 + 1.5 * iqr)))
    outliers_sd = int(np.count_nonzero(np.abs(per_call - mean) > stddev)) if stddev > 0 else 0
    calls = rounds * iterations
    return BenchStats(
        rounds=rounds,
        iterations=iterations,
        calls=calls,
        errors=errors,
        min_ms=float(per_call.min()) / _NS_PER_MS,
        max_ms=float(per_call.max()) / _NS_PER_MS,
        mean_ms=mean / _NS_PER_MS,
        stddev_ms=stddev / _NS_PER_MS,
        median_ms=float(median) / _NS_PER_MS,
        q1_ms=float(q1) / _NS_PER_MS,
        q3_ms=float(q3) / _NS_PER_MS,
        p75_ms=float(q3) / _NS_PER_MS,
        p90_ms=float(p90) / _NS_PER_MS,
        p95_ms=float(p95) / _NS_PER_MS,
        p99_ms=float(p99) / _NS_PER_MS,
        p999_ms=float(p999) / _NS_PER_MS,
        ops=calls / total_s if total_s > 0 else 0.0,
        total_s=total_s,
        outliers_iqr=outliers_iqr,
        outliers_stddev=outliers_sd,
    )


def histogram_ns(per_call: FloatArray, weight: int = 1) -> Histogram:
    """The HDR histogram (nanoseconds) of per-call times, each counted `weight` times (the
    calls of its round). Values beyond 2**32 ns (4.3 s) are clamped; the exact stats are not."""
    values = np.rint(per_call).astype(np.int64)
    weights = np.full(values.size, weight, dtype=np.int64)
    return Histogram.from_array(values, weights)


def clamped(per_call: FloatArray) -> bool:
    """Did any per-call time exceed what the histogram holds?"""
    return bool(per_call.size and float(per_call.max()) > HIGHEST_US)
