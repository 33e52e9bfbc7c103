"""The recorder hot path, snapshots and aggregation."""

from __future__ import annotations

import tracemalloc

from surge.metrics import Aggregator, ErrorKind, Histogram, Recorder, RunMeta
from surge.metrics.histogram import index_of


def meta() -> RunMeta:
    return RunMeta("t", "0", "a", "b", "http://x", "url")


def test_failures_never_enter_the_success_histogram() -> None:
    rec = Recorder()
    ep = rec.endpoint("GET", "/a")
    for v in (1000, 2000, 3000):
        ep.ok(v, 200, 10)
    ep.fail(30_000_000, ErrorKind.TIMEOUT, 0, 0, "read timeout")
    ep.fail(500, ErrorKind.HTTP_STATUS, 500, 5, "500 Internal Server Error")
    stats = rec.snapshot(0.0, 1.0, 1).endpoints[0]
    assert stats.requests == 5
    assert stats.failures == 2
    assert stats.latency.total == 3
    assert stats.latency.max_us == 3000
    assert stats.failure_latency.max_us == 30_000_000
    assert stats.status_codes == {200: 3, 500: 1}
    assert stats.errors == {"timeout": 1, "http_status": 1}
    assert stats.error_messages["timeout: read timeout"] == 1
    assert stats.bytes_received == 35


def test_snapshot_resets_interval_and_aggregator_adds_exactly() -> None:
    rec = Recorder()
    ep = rec.endpoint("GET", "/a")
    agg = Aggregator()
    raw: list[int] = []
    for second in range(3):
        for i in range(100):
            value = 100 + i * 37 + second
            raw.append(value)
            ep.ok(value, 200, 1)
        snap = rec.snapshot(float(second), second + 1.0, 4)
        assert snap.seq == second
        assert snap.endpoints[0].requests == 100
        agg.add(snap)
    assert rec.snapshot(3.0, 4.0, 0).endpoints == ()
    result = agg.result(meta(), 3.0)
    assert result.total.requests == 300
    assert result.endpoints[0].latency == Histogram.from_values(raw)
    assert [p.requests for p in result.timeline] == [100, 100, 100]
    assert result.timeline[0].active_users == 4
    assert result.rps == 100.0


def test_workers_merge_like_one_process() -> None:
    one, w0, w1 = Recorder(), Recorder(0), Recorder(1)
    agg_one, agg_two = Aggregator(), Aggregator()
    for i in range(1000):
        latency = 50 + (i * 7919) % 100_000
        one.endpoint("GET", "/x").ok(latency, 200, 3)
        (w0 if i % 2 else w1).endpoint("GET", "/x").ok(latency, 200, 3)
    agg_one.add(one.snapshot(0, 1, 2))
    agg_two.add(w0.snapshot(0, 1, 1))
    agg_two.add(w1.snapshot(0, 1, 1))
    a, b = agg_one.result(meta(), 1.0), agg_two.result(meta(), 1.0)
    assert a.total.latency.encode() == b.total.latency.encode()
    assert a.timeline[0].requests == b.timeline[0].requests == 1000
    assert b.timeline[0].active_users == 2


def test_user_class_counts_are_interval_deltas_merged_across_workers() -> None:
    w0, w1 = Recorder(0), Recorder(1)
    agg = Aggregator()
    for second in range(2):
        for worker, rec in enumerate((w0, w1)):
            shopper = rec.user_class("Shopper")
            shopper.users += 2 if second == 0 else 0
            shopper.iterations += 10 + worker
            shopper.requests += 30
            if worker == 1:
                rec.user_class("Admin").iterations += 1
            snap = rec.snapshot(float(second), second + 1.0, 2)
            assert snap.user_classes[0].name == "Shopper"
            assert snap.user_classes[0].users == (2 if second == 0 else 0)  # a delta, not a total
            agg.add(snap)
    assert w0.snapshot(2.0, 3.0, 0).user_classes == ()  # nothing counted: nothing sent
    result = agg.result(meta(), 2.0)
    assert [(c.name, c.users, c.iterations, c.requests) for c in result.user_classes] == [
        ("Admin", 0, 2, 0),
        ("Shopper", 4, 42, 120),
    ]


def test_recording_allocates_nothing_per_request() -> None:
    ep = Recorder().endpoint("GET", "/a")
    for i in range(1000):  # warm up: dict entries, small-int caches
        ep.ok(100 + i % 50, 200, 10)
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    for i in range(20_000):
        ep.ok(100 + i % 50, 200, 10)
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    grown = sum(s.size_diff for s in after.compare_to(before, "filename") if s.size_diff > 0)
    assert grown < 4096  # bounded: no per-request objects kept


def test_a_second_taken_clears_only_what_it_read_and_leaves_nothing_behind() -> None:
    rec = Recorder()
    ep = rec.endpoint("GET", "/a")
    for second, values in enumerate(([1000, 1500], [90_000], [7, 7, 8])):
        for v in values:
            ep.ok(v, 200, 1)
            ep.timing(v // 2, v // 10)
            ep.fail(v * 3, ErrorKind.TIMEOUT, 0, 0, "")
        stats = rec.snapshot(float(second), second + 1.0, 1).endpoints[0]
        assert stats.latency == Histogram.from_values(values)
        assert stats.service_time == Histogram.from_values(v // 2 for v in values)
        assert stats.schedule_lag == Histogram.from_values(v // 10 for v in values)
        assert stats.failure_latency == Histogram.from_values(v * 3 for v in values)
    ep.ok(5, 200, 1)
    stats = rec.snapshot(3.0, 4.0, 1).endpoints[0]
    assert stats.failure_latency.total == 0 and stats.service_time.total == 0
    assert stats.latency == Histogram.from_values([5])


def test_taking_a_second_of_a_narrow_range_reads_no_dense_array() -> None:
    """A snapshot costs what the second's latency range spans, not 24,576 buckets an endpoint:
    with 200 endpoints the latter blocked the event loop for a second every second."""
    rec = Recorder()
    eps = [rec.endpoint("GET", f"/e{k}") for k in range(50)]
    for ep in eps:
        ep.ok(1000, 200, 1)
        ep.timing(900, 100)
    rec.snapshot(0.0, 1.0, 1)  # first use allocates the reused arrays
    for ep in eps:
        ep.ok(1000 + 1, 200, 1)
        ep.timing(901, 101)
    tracemalloc.start()
    rec.snapshot(1.0, 2.0, 1)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 50 * 24_576 * 8 // 10, f"peak {peak:,} bytes for 50 endpoints"


def test_taking_a_wide_second_converts_nothing() -> None:
    """A second whose latencies spread from 0.2 ms to 0.6 s spans about 10,000 buckets; taking
    it reads them through a view of the array's own memory: nothing the window's size is
    allocated (as a list of Python ints, converted, it cost 24 ms a second over 20 endpoints,
    on the event loop: the loop-lag p99 of an idle soak)."""
    rec = Recorder()
    ep = rec.endpoint("GET", "/wide")
    ep.ok(200, 200, 1)
    rec.snapshot(0.0, 1.0, 1)
    values = [200, 5_000, 600_000]
    for v in values:
        ep.ok(v, 200, 1)
    window = index_of(600_000) - index_of(200)
    assert window > 9_000
    tracemalloc.start()
    stats = rec.snapshot(1.0, 2.0, 1).endpoints[0]
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert stats.latency == Histogram.from_values(values)
    assert peak < window * 8 // 4, f"peak {peak:,} bytes for a window of {window:,} buckets"
    ep.ok(300, 200, 1)  # and the window was cleared
    assert rec.snapshot(2.0, 3.0, 1).endpoints[0].latency == Histogram.from_values([300])
