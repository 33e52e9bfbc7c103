"""The run's totals: added into in place, exact, and no larger after many seconds."""

from __future__ import annotations

import gc
import random
import tracemalloc

import numpy as np

from surge.metrics import Aggregator, ErrorKind, Recorder
from surge.metrics.histogram import (
    BUSY_PART,
    COUNTS_LEN,
    DENSE_COVER,
    HIGHEST_US,
    Histogram,
    RunningHistogram,
    index_of,
    lowest_equivalent,
    merge_all,
)
from surge.metrics.merge import RunningStats, merge_stats
from surge.metrics.values import TOTAL_NAME, CheckCount, EndpointStats, Snapshot


def test_a_running_histogram_is_the_merge_of_everything_added() -> None:
    """Sparse parts (it stays sparse), then a wide one (it turns dense), then parts below, above
    and across the span so far (it grows both ways), the extremes 0 and 2**32, empty parts: the
    value equals the merge of all parts at every step."""
    rng = random.Random(3)
    running, parts = RunningHistogram(), []
    assert running.value() == Histogram.empty()
    for i in range(120):
        values = [
            int(rng.lognormvariate(4 + i % 9, 1.2)) for _ in range(rng.randint(0, BUSY_PART - 1))
        ]
        if i == 60:
            values += [0, HIGHEST_US]
        part = (
            Histogram.from_array(np.arange(3_000, 9_000))
            if i == 30
            else Histogram.from_values(values)
        )
        if i == 30:
            assert running.span == (0, 0)  # sparse so far: few buckets over a wide range
        parts.append(part)
        running.add(part)
        value = running.value()
        assert value == merge_all(parts), i
        assert running.value() is value  # read again before an add: the same value
        assert np.all(np.diff(value.indices) > 0) and np.all(value.counts > 0)
    assert running.span == (0, COUNTS_LEN)


def test_the_span_covers_a_minute_at_once_and_grows_only_beyond() -> None:
    """Values climbing one bucket at a time from 1 ms to 1 s (a soak's tail reaching new buckets
    for minutes) never replace the dense counts: they cover 0 µs to 67 s from the start. A value
    beyond widens them, leaving a quarter of room; the values and the total stay exact."""
    running = RunningHistogram()
    running.add(Histogram.from_array(np.arange(1_000, 1_200)))  # 200 buckets: dense
    spans = [running.span]
    for value_us in range(1_000, 1_000_000, 997):
        running.add(Histogram.from_values([value_us]))
        if spans[-1] != running.span:
            spans.append(running.span)
    assert spans == [(0, DENSE_COVER)], spans  # allocated once, never replaced
    assert index_of(2**26 - 1) < DENSE_COVER <= index_of(2**26)
    running.add(Histogram.from_values([100_000_000]))  # 100 s: a timeout's worth
    low, high = running.span
    assert low == 0 and index_of(100_000_000) < high <= COUNTS_LEN
    for value_us in range(1_000, 1_000_000, 3_001):
        running.add(Histogram.from_values([value_us]))
    assert running.span == (low, high)
    assert running.value().total == (
        200 + len(range(1_000, 1_000_000, 997)) + 1 + len(range(1_000, 1_000_000, 3_001))
    )
    assert running.value().max_us >= 100_000_000 * 0.999


def test_counts_past_32_bits_stay_exact() -> None:
    """The dense counts start 32-bit and are widened before a total could overflow them."""
    running = RunningHistogram()
    running.add(Histogram.from_array(np.arange(1_400, 1_600)))  # 200 buckets: dense
    assert running.span[0] <= 1_400 and running.span[1] >= 1_600
    index = np.array([1_500], dtype=np.int64)
    big = Histogram(index, np.array([2**31 - 10], dtype=np.int64), 2**31 - 10, 1_500, 1_500, 0)
    running.add(big)
    running.add(Histogram.from_values([1_500] * 100))
    value = running.value()
    assert value.counts[100] == 1 + 2**31 - 10 + 100
    assert value.total == 200 + 2**31 - 10 + 100
    assert value == merge_all(
        [Histogram.from_array(np.arange(1_400, 1_600)), big, Histogram.from_values([1_500] * 100)]
    )


def test_adding_many_parts_at_once_is_adding_each() -> None:
    """`add_all` of a second's parts (sparse and dense totals, parts below, above and across the
    span, empty ones, counts past 32 bits) gives what merging every part gives, at every step."""
    rng = random.Random(5)
    for dense in (False, True):
        running, parts = RunningHistogram(dense), []
        for i in range(40):
            batch = [
                Histogram.from_values(
                    int(rng.lognormvariate(4 + (i + k) % 9, 1.0))
                    for _ in range(rng.choice((0, 1, 3, 30)))
                )
                for k in range(rng.randint(0, 12))
            ]
            if i == 20:
                index = np.array([1_500], dtype=np.int64)
                batch.append(Histogram(index, np.array([2**31 - 1]), 2**31 - 1, 1_500, 1_500, 0))
                batch.append(Histogram.from_array(np.arange(1_000, 30_000)))
            running.add_all(batch)
            parts.extend(batch)
            assert running.value() == merge_all(parts), (dense, i)


def test_an_endpoint_total_counts_checks_and_protocol_figures_exactly() -> None:
    """Status codes, errors, messages, checks, retries and WebSocket figures tallied in place
    equal `merge_stats` of the parts, named as the first."""
    h = Histogram.from_values([1_000, 2_000])
    reply = Histogram.from_values([300, 400, 500])
    parts = [
        EndpointStats(
            "GET", "/ws", 2 + s, s % 2, 10 * s, {200: 2, 500 + s % 2: s}, {"http_status": s},
            {f"HTTP {500 + s % 2}": s}, h, h if s % 2 else Histogram.empty(), s % 3,
            {"ok": CheckCount(s, 1)}, h, Histogram.empty(), retries=s,
            counts={"messages_sent": s} if s % 2 else {},
            timings={"reply": reply} if s % 2 else {},
            close_codes={1000: 1} if s % 2 else {},
            protocols={"ws": s} if s % 2 else {},
        )
        for s in range(1, 8)
    ]  # fmt: skip
    running = RunningStats()
    for part in parts:
        running.add(part)
    assert running.value() == merge_stats("GET", "/ws", parts)
    grand = RunningStats(dense=True, method="", name=TOTAL_NAME)
    grand.add_all(parts)
    assert grand.value() == merge_stats("", TOTAL_NAME, parts)


def _open_second(rec: Recorder, rng: random.Random, worker_tail: int) -> None:
    for k in range(4):
        ep = rec.endpoint("GET", f"/e{k}")
        for _ in range(25):
            latency = int(rng.lognormvariate(7.0, 0.8)) + worker_tail * rng.randrange(3)
            ep.ok(latency, 200, 10)
            ep.timing(max(latency - 40, 0), rng.randrange(300))
        ep.fail(rng.randrange(20_000, 30_000), ErrorKind.HTTP_STATUS, 503, 5, "503")


def test_totals_equal_the_merge_of_every_part_of_every_second() -> None:
    """Two workers over 30 seconds, open model (all four histograms), a name cap folding one
    endpoint into (other): each endpoint's total and the grand total are exactly what merging
    every part the aggregator was given gives."""
    rng = random.Random(8)
    workers = (Recorder(0), Recorder(1))
    agg = Aggregator(max_endpoints=3)
    for second in range(30):
        for w, rec in enumerate(workers):
            _open_second(rec, rng, worker_tail=w * 50_000)
            agg.add(rec.snapshot(float(second), second + 1.0, 2))
        agg.live()  # read every second, as the run's sink does
    parts: dict[tuple[str, str], list[EndpointStats]] = {}
    for interval in agg.intervals():
        for part in interval.endpoints:
            parts.setdefault(part.key, []).append(part)
    expected = tuple(merge_stats(k[0], k[1], parts[k]) for k in sorted(parts))
    assert [e.name for e in expected] == ["(other)", "/e0", "/e1", "/e2"]
    assert agg.endpoints() == expected
    assert agg.total() == merge_stats("", TOTAL_NAME, expected)
    assert agg.total().service_time.total == agg.total().schedule_lag.total == 30 * 2 * 100
    assert agg.total().failure_latency.total == 30 * 2 * 4
    agg.close()


def _second(s: int, endpoints: int, warm: bool) -> Snapshot:
    """A second whose histograms hold 20 values in buckets no earlier second reached (after
    the first, which spans 100 µs to 1 s, every fourth bucket, in every histogram)."""
    spread = [lowest_equivalent(i) for i in range(index_of(100), index_of(1_000_000) + 1, 4)]
    values = spread if warm else [2_001 + (s * 20 + j) * 50 for j in range(20)]
    h = Histogram.from_values(values)
    stats = tuple(
        EndpointStats(
            "GET", f"/e{k}", len(values), 0, 0, {200: len(values)}, {}, {}, h, h, 0, {}, h, h
        )
        for k in range(endpoints)
    )
    return Snapshot(s, 0, float(s), s + 1.0, 1, stats)


def test_the_totals_do_not_grow_over_200_seconds_of_new_tail_buckets() -> None:
    """5 endpoints, each second 20 latencies in new buckets of all four histograms, the totals
    read every second: after the first second covered the range, 200 more seconds add
    (almost) nothing to what the aggregator holds between seconds. Merged into sparse totals
    anew each second, they grew 16 bytes a bucket: 0.9 MB here."""
    endpoints = 5
    seconds = [_second(s, endpoints, warm=s == 0) for s in range(212)]
    agg = Aggregator()
    held: list[int] = []
    tracemalloc.start()
    try:
        for snap in seconds:
            agg.add(snap)
            if snap.seq in (11, 211):  # between seconds: added, not read yet
                gc.collect()
                held.append(tracemalloc.get_traced_memory()[0])
            agg.endpoints()
            agg.live()
    finally:
        tracemalloc.stop()
    # what grows: the history's file index (24 bytes a second) and a list's over-allocation
    assert held[1] - held[0] < 32_000, f"grew {held[1] - held[0]:,} bytes over 200 seconds"
    (first, *_) = agg.endpoints()
    assert first.latency.total == len(seconds[0].endpoints[0].latency.indices) + 211 * 20
    assert agg.total().latency == merge_all(e.latency for s in seconds for e in s.endpoints)
    agg.close()


def test_a_busy_endpoints_histogram_is_dense_from_its_first_busy_second() -> None:
    """A second of `BUSY_PART` values or more makes the running histogram dense at once, at its
    fixed size: a soak's busy endpoints take their memory in the first seconds, not in steps of
    68 KiB minutes later as each histogram used enough buckets. A quiet endpoint stays sparse."""
    quiet, busy = RunningHistogram(), RunningHistogram()
    for second in range(30):
        quiet.add(Histogram.from_values([900 + second, 1_000]))
        assert quiet.span == (0, 0)
    busy.add(Histogram.from_values([1_000 + k for k in range(BUSY_PART)]))
    assert busy.span == (0, DENSE_COVER)
    busy.add(Histogram.from_values([2_000_000]))
    assert busy.span == (0, DENSE_COVER) and busy.value().total == BUSY_PART + 1
