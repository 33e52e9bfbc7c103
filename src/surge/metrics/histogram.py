"""Log-linear latency histograms with the HdrHistogram layout (3 significant digits).

Values are integer microseconds from 1 µs to 2**32 µs (about 71.6 minutes). The bucket layout is
exactly HdrHistogram's for `lowest=1, highest=2**32, significant_figures=3`, so counts arrays
convert one-to-one and `encode()` produces the standard compressed HDR V2 encoding (base64) that
any HdrHistogram implementation decodes.

Recording is an index computation plus an array increment (see `index_of`); the frozen `Histogram`
value is a sparse copy (non-zero buckets only) that merges by adding counts.
"""

from __future__ import annotations

import functools
import math
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    IntArray = npt.NDArray[np.int64]

LOWEST_US = 1
HIGHEST_US = 2**32
SIGNIFICANT_FIGURES = 3

SUB_BUCKET_HALF_COUNT_MAGNITUDE = 10  # HDR: ceil(log2(2 * 10**3)) - 1
SUB_BUCKET_HALF_COUNT = 1 << SUB_BUCKET_HALF_COUNT_MAGNITUDE  # 1024
SUB_BUCKET_MASK = (SUB_BUCKET_HALF_COUNT << 1) - 1  # 2047
_SHIFT = SUB_BUCKET_HALF_COUNT_MAGNITUDE + 1  # 11
BUCKET_COUNT = 23  # HdrHistogram's bucket count for highest=2**32 with 2048 sub-buckets
COUNTS_LEN = (BUCKET_COUNT + 1) * SUB_BUCKET_HALF_COUNT  # 24576

PERCENTILES: tuple[tuple[str, float], ...] = (
    ("p50", 50.0),
    ("p75", 75.0),
    ("p90", 90.0),
    ("p95", 95.0),
    ("p99", 99.0),
    ("p999", 99.9),
    ("p9999", 99.99),
)

_ZERO_BYTES = bytes(8 * COUNTS_LEN)

BUSY_PART = 32
"""A part of this many values (an endpoint's second of 32 requests or more) makes a running
histogram dense at once: a busy endpoint's histograms take their fixed size in the run's first
seconds, not one by one whenever each has used enough buckets (a soak's memory stepped up 68 KiB
at each such change, minutes into the run)."""

DENSE_COVER = (16 + 1) * SUB_BUCKET_HALF_COUNT  # 17408: index_of(2**26), values up to 67 s
"""Buckets a running histogram's dense counts cover from the start (68 KiB at 32 bits). Covering
only the buckets seen so far and widening by a quarter when a value fell outside, a soak's
tails, reaching new buckets for minutes, replaced the counts of every endpoint's histograms
again and again: each replacement a slightly larger block, the old one left to the allocator
(0.9 MiB in two minutes of a traced soak against nginx, the largest growth left once the totals'
values were no longer built every second). Values beyond a minute (timeouts) still widen it, to
96 KiB at most."""


def index_of(value_us: int) -> int:
    """The counts index of a value (HDR `counts_index_for`), for 0 <= value_us <= HIGHEST_US."""
    bucket = (value_us | SUB_BUCKET_MASK).bit_length() - _SHIFT
    return (bucket << SUB_BUCKET_HALF_COUNT_MAGNITUDE) + (value_us >> bucket)


def lowest_equivalent(index: int) -> int:
    """The smallest value that maps to `index`."""
    bucket = (index >> SUB_BUCKET_HALF_COUNT_MAGNITUDE) - 1
    sub = (index & (SUB_BUCKET_HALF_COUNT - 1)) + SUB_BUCKET_HALF_COUNT
    if bucket < 0:
        sub -= SUB_BUCKET_HALF_COUNT
        bucket = 0
    return sub << bucket


def highest_equivalent(index: int) -> int:
    """The largest value that maps to `index` (HDR reports percentiles at this value)."""
    bucket = max((index >> SUB_BUCKET_HALF_COUNT_MAGNITUDE) - 1, 0)
    return lowest_equivalent(index) + (1 << bucket) - 1


@functools.cache
def bucket_midpoints() -> npt.NDArray[np.float64]:
    """The midpoint of every bucket, by counts index (for the standard deviation); built once,
    vectorised (`lowest_equivalent`/`highest_equivalent` over every index), before a run's
    load starts (`Aggregator.prepare`): built on the event loop it stalled the first second."""
    import numpy as np  # loaded on first use: `import surge` stays light

    index = np.arange(COUNTS_LEN, dtype=np.int64)
    bucket = (index >> SUB_BUCKET_HALF_COUNT_MAGNITUDE) - 1
    sub = (index & (SUB_BUCKET_HALF_COUNT - 1)) + SUB_BUCKET_HALF_COUNT
    below = bucket < 0
    sub = np.where(below, sub - SUB_BUCKET_HALF_COUNT, sub)
    bucket = np.where(below, 0, bucket)
    lows: IntArray = np.left_shift(sub, bucket)
    highs: IntArray = lows + np.left_shift(1, bucket) - 1
    mids: npt.NDArray[np.float64] = (lows.astype(np.float64) + highs.astype(np.float64)) / 2.0
    return mids


def new_counts() -> array[int]:
    """A zeroed dense counts array for the recording hot path: machine int64s (`array('q')`),
    so that taking a second reads them through a numpy view instead of converting Python ints
    (see `take_counts`)."""
    return array("q", _ZERO_BYTES)


_ZERO_BYTES_32 = bytes(4 * COUNTS_LEN)


def recording_counts() -> array[int]:
    """A zeroed dense counts array that a recorder keeps for the run and clears as it takes
    (`take_counts`): 32-bit counts, since they hold one interval's values (96 KiB, half of
    `new_counts`' 64-bit array). An endpoint records into three (latency, service time,
    schedule lag): at the 1,000-endpoint cap, 64-bit arrays took 560 MiB.

    Allocated and written whole when made, so that a run's memory is flat after its warm-up:
    arrays whose pages were mapped only when first written (an anonymous mapping) grew it
    whenever latencies reached buckets not seen before, at once for a stall's second spread over
    a wide range (+3.5 MiB in one sample of a 20-endpoint soak, 0.5 MiB in 6 s of 200
    endpoints)."""
    return array("i", _ZERO_BYTES_32)


def take_counts(counts: array[int], min_us: int, max_us: int, sum_us: int) -> Histogram:
    """The values recorded in a dense counts array (between `min_us` and `max_us`) as a
    Histogram, and the array zeroed again for reuse.

    Only the buckets from min to max are read and cleared, through a numpy view of the array's
    own memory (no copy, no conversion): a second whose latencies spread from 0.2 ms to 0.6 s
    spans 10,000 buckets, which as a list of Python ints cost 0.4 ms each to convert, 24 ms a
    second over 20 endpoints' three histograms, on the event loop."""
    if min_us > max_us:
        return Histogram.empty()
    import numpy as np  # loaded on first use: `import surge` stays light

    lo, hi = index_of(min_us), index_of(max_us) + 1
    dtype = np.int32 if counts.itemsize == 4 else np.int64
    window = np.frombuffer(counts, dtype=dtype)[lo:hi]
    nonzero = np.flatnonzero(window)
    sparse = window[nonzero].astype(np.int64)  # a copy
    window[nonzero] = 0
    return Histogram(nonzero + lo, sparse, int(sparse.sum()), min_us, max_us, sum_us)


@dataclass(frozen=True, slots=True, eq=False)
class Histogram:
    """An immutable latency histogram: sparse HDR buckets plus exact count, min, max and sum.
    `indices` are distinct and ascending, and every count is positive (each constructor's
    guarantee; `merge_all` relies on it)."""

    indices: IntArray
    counts: IntArray
    total: int
    min_us: int
    max_us: int
    sum_us: int

    @staticmethod
    def empty() -> Histogram:
        import numpy as np  # loaded on first use: `import surge` stays light

        none = np.zeros(0, dtype=np.int64)
        return Histogram(none, none, 0, 0, 0, 0)

    @staticmethod
    def from_dense(
        counts: list[int] | array[int] | IntArray, min_us: int, max_us: int, sum_us: int
    ) -> Histogram:
        import numpy as np  # loaded on first use: `import surge` stays light

        dense = np.asarray(counts, dtype=np.int64)
        indices = np.flatnonzero(dense).astype(np.int64)
        sparse = dense[indices]
        return Histogram(indices, sparse, int(sparse.sum()), min_us, max_us, sum_us)

    @staticmethod
    def from_values(values_us: Iterable[int]) -> Histogram:
        """Build from raw samples (tests and callable benchmarks; not the request hot path)."""
        dense = new_counts()
        lo, hi, total = HIGHEST_US, 0, 0
        for raw in values_us:
            v = min(max(int(raw), 0), HIGHEST_US)
            dense[index_of(v)] += 1
            lo, hi, total = min(lo, v), max(hi, v), total + v
        if total == 0 and not any(dense):
            return Histogram.empty()
        return Histogram.from_dense(dense, lo, hi, total)

    @staticmethod
    def from_array(values: npt.ArrayLike, weights: npt.ArrayLike | None = None) -> Histogram:
        """Build from an array of integer values (each counted `weights` times, once by default)
        in one vectorised pass; values are clamped to 0 … 2**32. Callable benches record
        nanoseconds this way (the layout does not care about the unit)."""
        import numpy as np  # loaded on first use: `import surge` stays light

        v = np.clip(np.asarray(values, dtype=np.int64).ravel(), 0, HIGHEST_US)
        w = (
            np.ones(v.size, dtype=np.int64)
            if weights is None
            else np.asarray(weights, dtype=np.int64).ravel()
        )
        keep = w > 0
        v, w = v[keep], w[keep]
        if v.size == 0:
            return Histogram.empty()
        bucket = np.frexp((v | SUB_BUCKET_MASK).astype(np.float64))[1].astype(np.int64) - _SHIFT
        index = (bucket << SUB_BUCKET_HALF_COUNT_MAGNITUDE) + (v >> bucket)
        dense = np.bincount(index, weights=w, minlength=COUNTS_LEN)
        return Histogram.from_dense(
            np.rint(dense).astype(np.int64), int(v.min()), int(v.max()), int((v * w).sum())
        )

    def dense(self) -> IntArray:
        import numpy as np  # loaded on first use: `import surge` stays light

        out = np.zeros(COUNTS_LEN, dtype=np.int64)
        out[self.indices] = self.counts
        return out

    def merge(self, other: Histogram) -> Histogram:
        """The histogram of both sample sets: bucket counts add, exactly."""
        return merge_all((self, other))

    def __eq__(self, other: object) -> bool:
        import numpy as np  # loaded on first use: `import surge` stays light

        if not isinstance(other, Histogram):
            return NotImplemented
        return (
            self.total == other.total
            and self.min_us == other.min_us
            and self.max_us == other.max_us
            and self.sum_us == other.sum_us
            and np.array_equal(self.indices, other.indices)
            and np.array_equal(self.counts, other.counts)
        )

    __hash__ = None  # type: ignore[assignment]

    @property
    def mean_us(self) -> float:
        return self.sum_us / self.total if self.total else 0.0

    def value_at_percentile_us(self, percentile: float) -> int:
        """HDR semantics: the highest equivalent value of the bucket holding the percentile,
        clamped to the exact recorded min and max."""
        import numpy as np  # loaded on first use: `import surge` stays light

        if self.total == 0:
            return 0
        target = max(1, math.ceil(percentile / 100.0 * self.total - 1e-9))
        cumulative = np.cumsum(self.counts)
        pos = int(np.searchsorted(cumulative, target, side="left"))
        pos = min(pos, len(self.indices) - 1)
        value = highest_equivalent(int(self.indices[pos]))
        return min(max(value, self.min_us), self.max_us)

    def values_at_percentiles_us(self, percentiles: Sequence[float]) -> tuple[int, ...]:
        """`value_at_percentile_us` of each percentile, one cumulative sum for all."""
        import numpy as np  # loaded on first use: `import surge` stays light

        if self.total == 0:
            return tuple(0 for _ in percentiles)
        cumulative = np.cumsum(self.counts)
        return tuple(self._percentile_from(cumulative, pct) for pct in percentiles)

    def stddev_us(self) -> float:
        """Standard deviation from bucket midpoints (error bounded by the bucket width)."""
        import numpy as np  # loaded on first use: `import surge` stays light

        if self.total == 0:
            return 0.0
        mids = bucket_midpoints()[self.indices]
        weights = self.counts.astype(np.float64)
        mean = self.mean_us
        return float(math.sqrt(float(np.sum(weights * (mids - mean) ** 2)) / self.total))

    def summary_ms(self) -> dict[str, float]:
        """min, mean, stddev, p50 … p9999, max in milliseconds (the JSON `latency_ms` object)."""
        import numpy as np  # loaded on first use: `import surge` stays light

        out = {"min": self.min_us / 1000.0, "mean": self.mean_us / 1000.0}
        out["stddev"] = self.stddev_us() / 1000.0
        if self.total:
            cumulative = np.cumsum(self.counts)
            for key, pct in PERCENTILES:
                out[key] = self._percentile_from(cumulative, pct) / 1000.0
        else:
            out.update({key: 0.0 for key, _ in PERCENTILES})
        out["max"] = self.max_us / 1000.0
        return out

    def _percentile_from(self, cumulative: IntArray, percentile: float) -> int:
        import numpy as np  # loaded on first use: `import surge` stays light

        target = max(1, math.ceil(percentile / 100.0 * self.total - 1e-9))
        pos = min(int(np.searchsorted(cumulative, target, side="left")), len(self.indices) - 1)
        value = highest_equivalent(int(self.indices[pos]))
        return min(max(value, self.min_us), self.max_us)

    def encode(self) -> str:
        """Standard compressed HdrHistogram V2 encoding (base64 text)."""
        from hdrh.histogram import HdrHistogram

        hdr = HdrHistogram(LOWEST_US, HIGHEST_US, SIGNIFICANT_FIGURES)
        for index, count in zip(self.indices.tolist(), self.counts.tolist(), strict=True):
            hdr.record_value(lowest_equivalent(index), count)
        encoded: bytes = hdr.encode()
        return encoded.decode("ascii")

    @staticmethod
    def decode(text: str) -> Histogram:
        """Inverse of `encode` (exact min/max/sum are not part of the HDR format: min and max come
        back at bucket resolution and the sum from bucket midpoints)."""
        from hdrh.histogram import HdrHistogram

        hdr = HdrHistogram.decode(text.encode("ascii"))
        dense = new_counts()
        total = 0
        for item in hdr.get_recorded_iterator():
            value = int(item.value_iterated_to)
            dense[index_of(value)] += int(item.count_at_value_iterated_to)
            total += int(item.count_at_value_iterated_to) * value
        if not any(dense):
            return Histogram.empty()
        return Histogram.from_dense(
            dense, int(hdr.get_min_value()), int(hdr.get_max_value()), total
        )


class RunningHistogram:
    """A histogram that values are added into for a whole run, in memory that stops growing once
    the run's latency range is covered.

    It starts sparse (merged with each part, as a `Histogram`), and turns dense with a part of
    `BUSY_PART` values or more (a busy endpoint's second), or once 64 buckets or more are used
    and they are at least one in eight of its span (an endpoint of a few requests a second
    stays sparse, and small): dense counts over 0 µs to 67 s at once
    (`DENSE_COVER`), added into without new arrays, replaced by a wider one only when a value
    falls outside it (see `_cover`), never shrunk: at most `COUNTS_LEN` buckets. The counts are
    32-bit until the total could overflow them, then 64-bit (one replacement): 68 KiB, 96 KiB at
    most. `value()` is the frozen sparse `Histogram`, built when read and kept until the next
    `add`.

    The run's totals were sparse Histograms merged anew every second: each new tail bucket grew
    them by 16 bytes, and, rebuilt slightly larger each second, they left freed blocks behind that
    the allocator kept (1.2 -> 2.0 MiB of totals and 0.7 MiB of freed blocks over a 5-minute soak
    at 1,500/s over 20 endpoints)."""

    __slots__ = (
        "_counts",
        "_dense",
        "_first",
        "_frozen",
        "_indices",
        "_last",
        "_lo",
        "_sparse",
        "max_us",
        "min_us",
        "sum_us",
        "total",
    )

    def __init__(self, dense: bool = False) -> None:
        """`dense`: dense from the first add (a run's grand total: one, and added to by every
        endpoint each second)."""
        self._dense = dense
        self._sparse: Histogram | None = None  # until dense
        self._counts: npt.NDArray[np.signedinteger[Any]] | None = None
        self._lo = 0
        self._first = self._last = 0  # the lowest and highest bucket holding a count
        self._frozen: Histogram | None = None
        self._indices: IntArray | None = None  # the buckets used, while no add used a new one
        self.total = 0
        self.min_us = 0
        self.max_us = 0
        self.sum_us = 0

    @property
    def span(self) -> tuple[int, int]:
        """The bucket indices the dense counts cover, [lo, hi) (empty while sparse)."""
        return (self._lo, self._lo + (0 if self._counts is None else len(self._counts)))

    def add(self, histogram: Histogram) -> None:
        """Add `histogram`'s counts (exact)."""
        if not histogram.total:
            return
        if self._counts is None and not self._dense:
            merged = histogram if self._sparse is None else merge_all((self._sparse, histogram))
            used = len(merged.indices)
            if histogram.total < BUSY_PART and (
                used < 64 or 8 * used < int(merged.indices[-1]) - int(merged.indices[0]) + 1
            ):
                self._sparse = self._frozen = merged
                self.total, self.sum_us = merged.total, merged.sum_us
                self.min_us, self.max_us = merged.min_us, merged.max_us
                return
            self._sparse, histogram = None, merged  # dense from here on: all of it added below
            self.total = self.sum_us = 0
        first, last = int(histogram.indices[0]), int(histogram.indices[-1])
        counts = self._cover(first, last + 1, self.total + histogram.total > _INT32_MAX)
        at = histogram.indices - self._lo
        if self._indices is not None and not counts[at].all():
            self._indices = None  # a bucket not used before
        counts[at] += histogram.counts  # indices are distinct
        if self.total:
            self.min_us = min(self.min_us, histogram.min_us)
            self.max_us = max(self.max_us, histogram.max_us)
            self._first, self._last = min(self._first, first), max(self._last, last)
        else:
            self.min_us, self.max_us = histogram.min_us, histogram.max_us
            self._first, self._last = first, last
        self.total += histogram.total
        self.sum_us += histogram.sum_us
        self._frozen = None

    def add_all(self, histograms: Sequence[Histogram]) -> None:
        """Add the counts of every one of `histograms` (exact), as `add` of each would, in a few
        vectorised calls whatever their number: a second's endpoints into the run's grand total
        (at the 1,000-endpoint cap, an `add` each cost 40 µs a histogram, 160 ms a second on
        the event loop)."""
        parts = [h for h in histograms if h.total]
        if len(parts) < 2:
            for h in parts:
                self.add(h)
            return
        if self._counts is None and not self._dense:
            self.add(merge_all(parts))
            return
        import numpy as np  # loaded on first use: `import surge` stays light

        indices = np.concatenate([h.indices for h in parts])
        first, last = int(indices.min()), int(indices.max())
        total = sum(h.total for h in parts)
        counts = self._cover(first, last + 1, self.total + total > _INT32_MAX)
        at = indices - self._lo
        if self._indices is not None and not counts[at].all():
            self._indices = None  # a bucket not used before
        np.add.at(counts, at, np.concatenate([h.counts for h in parts]))  # repeated indices add
        low, high = min(h.min_us for h in parts), max(h.max_us for h in parts)
        if self.total:
            self.min_us, self.max_us = min(self.min_us, low), max(self.max_us, high)
            self._first, self._last = min(self._first, first), max(self._last, last)
        else:
            self.min_us, self.max_us = low, high
            self._first, self._last = first, last
        self.total += total
        self.sum_us += sum(h.sum_us for h in parts)
        self._frozen = None

    def _cover(self, lo: int, hi: int, wide: bool) -> npt.NDArray[np.signedinteger[Any]]:
        """The dense counts, replaced if they do not cover buckets lo … hi-1 or if they must be
        `wide` (64-bit) and are not yet. They start covering 0 µs to 67 s (`DENSE_COVER`), so a
        run's tail creeping up does not replace them; beyond, replacements leave room on the side
        they grew by (a quarter of the span, at least 64 buckets)."""
        import numpy as np  # loaded on first use: `import surge` stays light

        have_lo, have_hi = self.span
        counts = self._counts
        was_wide = counts is not None and counts.itemsize == 8
        wide = wide or was_wide
        if counts is not None and have_lo <= lo and hi <= have_hi and wide == was_wide:
            return counts
        need_lo, need_hi = (lo, hi) if counts is None else (min(lo, have_lo), max(hi, have_hi))
        room = max(64, (need_hi - need_lo) // 4)
        if counts is None:  # from 0 µs to at least a minute at once (see DENSE_COVER)
            need_lo, need_hi = 0, max(need_hi + room // 2, DENSE_COVER)
        elif need_lo < have_lo:
            need_lo -= room
        elif need_hi > have_hi:
            need_hi += room
        new_lo, size = max(0, need_lo), min(COUNTS_LEN, need_hi) - max(0, need_lo)
        grown: npt.NDArray[np.signedinteger[Any]] = (
            np.zeros(size, dtype=np.int64) if wide else np.zeros(size, dtype=np.int32)
        )
        if counts is not None:
            grown[have_lo - new_lo : have_hi - new_lo] = counts
        self._counts, self._lo, self._indices = grown, new_lo, None
        return grown

    def value(self) -> Histogram:
        """The counts so far as a frozen sparse Histogram (built once per `add`)."""
        import numpy as np  # loaded on first use: `import surge` stays light

        if self._frozen is None:
            if self._counts is None:
                self._frozen = Histogram.empty() if self._sparse is None else self._sparse
            else:
                indices = self._indices
                if indices is None:  # found again: from the lowest to the highest bucket used
                    # (a comparison then `nonzero` of the booleans is twice as fast as
                    # `flatnonzero` of the counts; the temporaries are freed at once: only
                    # views of arrays of a few sizes are kept, see `_capacity`)
                    first = self._first
                    window = self._counts[first - self._lo : self._last + 1 - self._lo]
                    found = (window != 0).nonzero()[0]
                    n = len(found)
                    indices = np.add(found, first, out=np.empty(_capacity(n), np.int64)[:n])
                    self._indices = indices  # shared by the values until a new bucket is used
                counts = np.empty(_capacity(len(indices)), np.int64)[: len(indices)]
                counts[:] = self._counts[indices - self._lo]
                self._frozen = Histogram(
                    indices, counts, self.total, self.min_us, self.max_us, self.sum_us
                )
        return self._frozen


_INT32_MAX = 2**31 - 1


def _capacity(n: int) -> int:
    """The size of the array a frozen running histogram of n buckets is a view of: the next power
    of two, so that the blocks read every second take a few sizes over a run, not one more each
    time a bucket is added (freed blocks of sizes never asked for again are what the allocator
    kept)."""
    return max(64, 1 << (n - 1).bit_length())


@functools.cache
def shared_empty() -> Histogram:
    """One shared empty Histogram (a value: merges of nothing return it, without new arrays)."""
    return Histogram.empty()


def merge_all(histograms: Iterable[Histogram]) -> Histogram:
    """Merge any number of histograms by adding bucket counts (exact).

    The counts are added in a zeroed array spanning only the parts' lowest to highest bucket
    (each part's indices are distinct and ascending, so a fancy-indexed add is exact and the
    span is from the first index to the last), then read back sparse:
    a few vectorised calls whatever the number of buckets. The engine merges every endpoint's
    second into the run's totals on its event loop, so this is on the loop's clock (sorting the
    concatenated indices, as before, cost 0.15 ms a merge: 9 ms a second over 20 endpoints)."""
    import numpy as np  # loaded on first use: `import surge` stays light

    parts = [h for h in histograms if h.total]
    if not parts:
        return shared_empty()
    if len(parts) == 1:
        return parts[0]
    lo = min(int(h.indices[0]) for h in parts)
    window = np.zeros(max(int(h.indices[-1]) for h in parts) + 1 - lo, dtype=np.int64)
    for h in parts:
        window[h.indices - lo] += h.counts
    nonzero = np.flatnonzero(window)
    counts = window[nonzero]
    return Histogram(
        nonzero + lo,
        counts,
        int(counts.sum()),
        min(h.min_us for h in parts),
        max(h.max_us for h in parts),
        sum(h.sum_us for h in parts),
    )
