"""Per-second intervals of one endpoint as matrices, and metrics of bootstrap resamples of them.

A resample is a multiset of intervals (blocks of consecutive seconds, see `stats.block_weights`);
its metrics come from the *merged* histogram of the chosen intervals: counts added bucket by
bucket, then the percentile read from the sum, exactly as for a whole run. All resamples are
computed at once: one sparse-times-dense product over prefix sums.

Histogram buckets are the HdrHistogram ones (0.1 % wide). When an endpoint occupies more than
`MAX_COLUMNS` of them, neighbouring buckets are grouped in powers of two (at most 0.8 % wide),
which keeps a one-hour run's matrices small without moving a percentile by more than that.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from surge.compare.metrics import EndpointKey, Metric, count_of, histogram_of
from surge.metrics import EndpointStats, RunResult
from surge.metrics.histogram import highest_equivalent

if TYPE_CHECKING:
    from scipy import sparse

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

MAX_COLUMNS = 2048
_REQUESTS, _FAILURES, _DURATION, _SUM_US = range(4)


@dataclass(frozen=True, slots=True, eq=False)
class IntervalSeries:
    """One endpoint over the intervals of one side's runs, laid end to end.

    `prefix` row i holds the sums over the intervals before i: first one column per latency
    bucket group, then requests, failures, duration (s) and the latency sum (µs).
    """

    prefix: FloatArray
    values_ms: FloatArray
    run_lengths: tuple[int, ...]

    @property
    def columns(self) -> int:
        return int(self.values_ms.size)


def _stats_of(
    interval_endpoints: Sequence[EndpointStats], key: EndpointKey
) -> EndpointStats | None:
    for stats in interval_endpoints:
        if stats.key == key:
            return stats
    return None


def _grouping(indices: IntArray) -> tuple[int, IntArray]:
    """The smallest power-of-two grouping (shift) that leaves at most MAX_COLUMNS groups."""
    for shift in range(11):
        keys = np.unique(indices >> shift)
        if keys.size <= MAX_COLUMNS:
            return shift, keys
    return 10, np.unique(indices >> 10)


def interval_series(
    runs: Sequence[RunResult], key: EndpointKey, of: Metric = Metric.P50
) -> IntervalSeries | None:
    """The endpoint's interval matrix over all runs, or None when a run kept no intervals.

    `of` picks what the histogram and the count columns hold: the latency and the requests
    (every metric in `METRICS`), or the protocol timing or count a protocol metric reads."""
    if not runs or any(not r.intervals for r in runs):
        return None
    parts = [[_stats_of(iv.endpoints, key) for iv in r.intervals] for r in runs]
    flat_stats = [s for run_parts in parts for s in run_parts]
    intervals = [iv for r in runs for iv in r.intervals]
    hists = [None if s is None else histogram_of(of, s) for s in flat_stats]
    all_idx = [h.indices for h in hists if h is not None and h.total]
    indices = np.concatenate(all_idx) if all_idx else np.zeros(0, dtype=np.int64)
    shift, keys = _grouping(indices)
    values_ms = np.array(
        [highest_equivalent(int(((k + 1) << shift) - 1)) / 1000.0 for k in keys.tolist()],
        dtype=np.float64,
    )
    width = keys.size + 4
    matrix = np.zeros((len(intervals) + 1, width), dtype=np.float64)
    rows = zip(intervals, flat_stats, hists, strict=True)
    for row, (iv, stats, hist) in enumerate(rows, start=1):
        extra = matrix[row, keys.size :]
        extra[_DURATION] = max(iv.end_s - iv.start_s, 0.0)
        if stats is None or hist is None:
            continue
        extra[_REQUESTS] = count_of(of, stats)
        extra[_FAILURES] = stats.failures
        extra[_SUM_US] = hist.sum_us
        if hist.total:
            cols = np.searchsorted(keys, hist.indices >> shift)
            np.add.at(matrix[row], cols, hist.counts.astype(np.float64))
    prefix = np.cumsum(matrix, axis=0)
    return IntervalSeries(prefix, values_ms, tuple(len(r.intervals) for r in runs))


def interval_width_label(runs: Sequence[RunResult]) -> str:
    """The intervals' length as text ("1 s"): the median over the runs' intervals, in whole
    seconds (a run longer than its history's limit keeps equal intervals of several seconds)."""
    widths = [iv.end_s - iv.start_s for r in runs for iv in r.intervals]
    if not widths:
        return "1 s"
    return f"{max(1, round(float(np.median(widths)))):d} s"


def resampled_metrics(
    series: IntervalSeries, weights: sparse.csr_matrix, metrics: Sequence[Metric]
) -> dict[Metric, FloatArray]:
    """Each metric of each resample (rows of `weights`); nan where a resample has no data."""
    sums = np.asarray(weights @ series.prefix)
    k = series.columns
    counts = sums[:, :k]
    extra = sums[:, k:]
    out: dict[Metric, FloatArray] = {}
    total = counts.sum(axis=1) if k else np.zeros(sums.shape[0])
    cumulative = np.cumsum(counts, axis=1) if k else counts
    with np.errstate(divide="ignore", invalid="ignore"):
        for metric in metrics:
            pct = metric.percentile
            if pct is not None:
                out[metric] = _percentiles(cumulative, total, series.values_ms, pct)
            elif metric.like is Metric.MEAN:
                out[metric] = np.where(total > 0, extra[:, _SUM_US] / total / 1000.0, np.nan)
            elif metric.like is Metric.RPS:
                duration = extra[:, _DURATION]
                out[metric] = np.where(duration > 0, extra[:, _REQUESTS] / duration, np.nan)
            else:
                requests = extra[:, _REQUESTS]
                out[metric] = np.where(requests > 0, 100.0 * extra[:, _FAILURES] / requests, np.nan)
    return out


def _percentiles(
    cumulative: FloatArray, total: FloatArray, values_ms: FloatArray, pct: float
) -> FloatArray:
    """HDR semantics per row: the value of the first bucket whose cumulative count reaches
    ceil(pct% of the total)."""
    if values_ms.size == 0:
        return np.full(total.shape, np.nan)
    target = np.maximum(1.0, np.ceil(pct / 100.0 * total - 1e-9))
    pos = np.count_nonzero(cumulative < target[:, None], axis=1)
    pos = np.minimum(pos, values_ms.size - 1)
    return np.where(total > 0, values_ms[pos], np.nan)
