"""Histogram accuracy, HDR compatibility and exact merging."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from hdrh.histogram import HdrHistogram

from surge.metrics.histogram import (
    COUNTS_LEN,
    HIGHEST_US,
    Histogram,
    highest_equivalent,
    index_of,
    lowest_equivalent,
    merge_all,
)


def exact_percentile(sorted_values: list[int], pct: float) -> int:
    """Nearest-rank percentile of raw samples."""
    rank = max(1, math.ceil(pct / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def test_layout_is_hdr_layout() -> None:
    hdr = HdrHistogram(1, HIGHEST_US, 3)
    assert hdr.counts_len == COUNTS_LEN
    rng = random.Random(1)
    values = [0, 1, 2047, 2048, 4095, 4096, 10**6, 3_600_000_000, HIGHEST_US]
    values += [rng.randint(0, HIGHEST_US) for _ in range(5000)]
    for v in values:
        i = index_of(v)
        assert i == hdr._counts_index_for(v)
        assert lowest_equivalent(i) == hdr.get_lowest_equivalent_value(v)
        assert highest_equivalent(i) == hdr.get_highest_equivalent_value(v)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_percentiles_within_a_tenth_of_a_percent_of_exact(seed: int) -> None:
    rng = random.Random(seed)
    # a long-tailed mix from 1 µs to over an hour
    values = [int(rng.lognormvariate(8, 2)) + 1 for _ in range(50_000)]
    values += [3_700_000_000, 1, 5]
    hist = Histogram.from_values(values)
    ordered = sorted(values)
    for pct in (50, 75, 90, 95, 99, 99.9, 99.99, 100):
        exact = exact_percentile(ordered, pct)
        got = hist.value_at_percentile_us(pct)
        assert abs(got - exact) <= exact * 0.001, (pct, exact, got)
    assert hist.min_us == 1
    assert hist.max_us == 3_700_000_000
    assert hist.total == len(values)
    assert hist.mean_us == pytest.approx(sum(values) / len(values))
    assert hist.stddev_us() == pytest.approx(float(np.std(values)), rel=0.01)


def test_merge_equals_histogram_of_all_samples() -> None:
    rng = random.Random(7)
    a = [rng.randint(10, 10**6) for _ in range(10_000)]
    b = [rng.randint(10, 10**8) for _ in range(10_000)]
    merged = Histogram.from_values(a).merge(Histogram.from_values(b))
    assert merged == Histogram.from_values(a + b)
    assert merged.encode() == Histogram.from_values(a + b).encode()
    assert merge_all([]) == Histogram.empty()


def test_encoding_is_standard_hdr() -> None:
    rng = random.Random(3)
    values = [rng.randint(1, 10**7) for _ in range(2000)]
    hist = Histogram.from_values(values)
    other = HdrHistogram.decode(hist.encode().encode("ascii"))
    assert other.get_total_count() == len(values)
    assert other.get_value_at_percentile(99) == highest_equivalent(
        index_of(hist.value_at_percentile_us(99))
    )
    back = Histogram.decode(hist.encode())
    assert np.array_equal(back.indices, hist.indices)
    assert np.array_equal(back.counts, hist.counts)


def test_summary_of_empty_histogram_is_zeros() -> None:
    summary = Histogram.empty().summary_ms()
    assert set(summary) == {
        "min",
        "mean",
        "stddev",
        "p50",
        "p75",
        "p90",
        "p95",
        "p99",
        "p999",
        "p9999",
        "max",
    }
    assert all(v == 0.0 for v in summary.values())


def testbucket_midpoints_match_the_scalar_bucket_bounds() -> None:
    from surge.metrics.histogram import (
        COUNTS_LEN,
        bucket_midpoints,
        highest_equivalent,
        lowest_equivalent,
    )

    mids = bucket_midpoints()
    assert len(mids) == COUNTS_LEN
    for index in range(COUNTS_LEN):
        assert mids[index] == (lowest_equivalent(index) + highest_equivalent(index)) / 2, index


def test_merging_many_parts_equals_the_histogram_of_all_their_samples() -> None:
    """Overlapping, disjoint and single-bucket parts: the merge adds counts over the span of
    their buckets, exactly, and keeps only non-zero buckets, in order."""
    rng = random.Random(11)
    groups = [
        [rng.randint(100, 2_000) for _ in range(500)],
        [rng.randint(1_500, 40_000) for _ in range(500)],
        [rng.randint(10**7, 10**9) for _ in range(50)],  # far above: disjoint
        [777] * 9,  # one bucket
        [1, 2, 3],  # the lowest buckets
    ]
    parts = [Histogram.from_values(g) for g in groups] + [Histogram.empty()]
    merged = merge_all(parts)
    everything = Histogram.from_values([v for g in groups for v in g])
    assert merged == everything
    assert np.all(np.diff(merged.indices) > 0) and np.all(merged.counts > 0)
    assert merge_all(parts[:1]) is parts[0]
