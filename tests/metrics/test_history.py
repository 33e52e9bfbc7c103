"""The run's per-second history: spilled to a file, read back exactly, bounded in memory."""

from __future__ import annotations

import dataclasses
import gc
import random
import tracemalloc

import pytest

from surge.metrics import (
    Aggregator,
    ErrorKind,
    HealthSample,
    Histogram,
    Recorder,
    RunMeta,
    merge_all,
)
from surge.metrics.history import History, decode_second, encode_second, width_for
from surge.metrics.values import Snapshot

ENDPOINTS = 20


def meta() -> RunMeta:
    return RunMeta("t", "0", "a", "b", "http://x", "url")


def busy_second(rec: Recorder, rng: random.Random, second: int, per_endpoint: int) -> Snapshot:
    """One second of a 20-endpoint open-model run: latencies, service time, lag, a failure."""
    for k in range(ENDPOINTS):
        ep = rec.endpoint("GET", f"/e{k:02d}")
        for _ in range(per_endpoint):
            latency = int(rng.lognormvariate(8.0, 0.6))
            ep.ok(latency, 200, 120)
            ep.timing(latency - 50, 50 + rng.randrange(200))
            ep.check("status is 200", True)
        ep.fail(30_000, ErrorKind.HTTP_STATUS, 503, 10, "503 Service Unavailable")
    rec.arrivals.scheduled += per_endpoint
    health = HealthSample(40.0 + second % 7, Histogram.from_values([900, 1100, 1500]))
    return rec.snapshot(float(second), second + 1.0, 8, health=health, target=1500.0)


def test_a_second_survives_the_file_exactly() -> None:
    rec, rng = Recorder(), random.Random(1)
    snap = busy_second(rec, rng, 0, 30)
    history = History()
    agg = Aggregator(history)
    agg.add(snap)
    (interval,) = agg.intervals()
    assert interval.endpoints == snap.endpoints
    second = next(history.seconds())
    assert decode_second(encode_second(second)) == second
    agg.close()


def test_protocol_figures_survive_the_file() -> None:
    """What compare resamples per second for WebSocket and SSE endpoints: counts, timings, close
    codes and protocols are kept (an HTTP endpoint's record stays as short as before)."""
    rec, rng = Recorder(), random.Random(7)
    snap = busy_second(rec, rng, 0, 2)
    plain = snap.endpoints[0]
    chat = dataclasses.replace(
        plain,
        name="/ws/chat",
        counts={"sessions": 2, "msgs_received": 40},
        timings={"reply": Histogram.from_values([3000, 3100, 9000])},
        close_codes={1000: 1, 1006: 1},
        protocols={"WebSocket": 2},
    )
    history = History()
    agg = Aggregator(history)
    agg.add(dataclasses.replace(snap, endpoints=(plain, chat)))
    (interval,) = agg.intervals()
    assert interval.endpoints[1].timings == chat.timings
    second = next(history.seconds())
    assert decode_second(encode_second(second)) == second
    (_, kept) = second.interval.endpoints
    assert kept.timings["reply"].total == 3 and kept.close_codes == {1000: 1, 1006: 1}
    assert kept.counts == {"sessions": 2, "msgs_received": 40}
    agg.close()


def test_intervals_and_timeline_are_exact_at_one_second() -> None:
    rec, rng = Recorder(), random.Random(2)
    agg = Aggregator()
    snaps = [busy_second(rec, rng, s, 10) for s in range(5)]
    for snap in snaps:
        agg.add(snap)
    result = agg.result(meta(), 5.0)
    assert [iv.seq for iv in result.intervals] == [0, 1, 2, 3, 4]
    assert [iv.endpoints for iv in result.intervals] == [s.endpoints for s in snaps]
    assert [p.requests for p in result.timeline] == [20 * 11] * 5
    assert [p.failures for p in result.timeline] == [20] * 5
    assert result.timeline[-1].t_s == 5.0
    assert result.timeline[0].target == 1500.0
    agg.close()


def test_a_long_run_is_read_back_at_coarser_equal_widths_with_nothing_lost() -> None:
    rec, rng = Recorder(), random.Random(3)
    agg = Aggregator(History(max_intervals=4, max_points=6))
    for s in range(10):
        agg.add(busy_second(rec, rng, s, 5))
    result = agg.result(meta(), 10.0)
    assert width_for(10, 4) == 3 and width_for(10, 6) == 2
    assert [(iv.start_s, iv.end_s) for iv in result.intervals] == [
        (0.0, 3.0),
        (3.0, 6.0),
        (6.0, 9.0),
        (9.0, 10.0),
    ]
    assert [iv.seq for iv in result.intervals] == [0, 1, 2, 3]
    assert [p.t_s for p in result.timeline] == [2.0, 4.0, 6.0, 8.0, 10.0]
    assert [p.rps for p in result.timeline] == [120.0] * 5  # 20 endpoints x 6 a second
    for key in [e.key for e in result.endpoints]:
        parts = [e for iv in result.intervals for e in iv.endpoints if e.key == key]
        whole = next(e for e in result.endpoints if e.key == key)
        assert merge_all(p.latency for p in parts) == whole.latency
        assert sum(p.requests for p in parts) == whole.requests
        assert sum(p.checks["status is 200"].passes for p in parts) == 50
    assert sum(p.requests for p in result.timeline) == result.total.requests
    agg.close()


def test_a_late_worker_snapshot_is_merged_into_its_second() -> None:
    w0, w1 = Recorder(0), Recorder(1)
    agg = Aggregator()
    for second in range(3):
        w0.endpoint("GET", "/x").ok(1000, 200, 1)
        agg.add(w0.snapshot(float(second), second + 1.0, 1))
    w1.endpoint("GET", "/x").ok(2000, 200, 1)
    w1.endpoint("GET", "/y").ok(3000, 200, 1)
    agg.add(w1.snapshot(0.0, 1.0, 1))  # seq 0 arrives after seconds 1 and 2
    result = agg.result(meta(), 3.0)
    assert [p.requests for p in result.timeline] == [3, 1, 1]
    assert result.timeline[0].active_users == 2
    assert [e.key for e in result.intervals[0].endpoints] == [("GET", "/x"), ("GET", "/y")]
    assert result.intervals[0].endpoints[0].latency == Histogram.from_values([1000, 2000])
    agg.close()


def test_health_is_kept_per_worker_without_a_sample_list() -> None:
    rec, rng = Recorder(), random.Random(4)
    agg = Aggregator()
    for s in range(4):
        agg.add(busy_second(rec, rng, s, 1))
    (health,) = agg.health()
    assert health.cpu == ((1.0, 40.0), (2.0, 41.0), (3.0, 42.0), (4.0, 43.0))
    assert health.loop_lag.total == 12
    agg.close()


def _copy(h: Histogram) -> Histogram:
    return Histogram(h.indices.copy(), h.counts.copy(), h.total, h.min_us, h.max_us, h.sum_us)


def _fresh(snap: Snapshot, s: int) -> Snapshot:
    """A recorded second again as second `s`, every value in it a new object."""
    endpoints = tuple(
        dataclasses.replace(
            e,
            status_codes=dict(e.status_codes),
            latency=_copy(e.latency),
            failure_latency=_copy(e.failure_latency),
            service_time=_copy(e.service_time),
            schedule_lag=_copy(e.schedule_lag),
        )
        for e in snap.endpoints
    )
    return dataclasses.replace(snap, seq=s, start_s=float(s), end_s=s + 1.0, endpoints=endpoints)


def _traced_after(agg: Aggregator, pool: list[Snapshot], seconds: range) -> int:
    for s in seconds:
        agg.add(_fresh(pool[s % len(pool)], s))
        agg.live()
    gc.collect()
    return tracemalloc.get_traced_memory()[0]


def test_memory_does_not_grow_with_the_number_of_seconds() -> None:
    """20 endpoints, ~600 requests a second: 100 more seconds add (almost) nothing in memory.

    The seconds cycle through a few recorded ones, so the totals' histograms stop gaining
    buckets during the warm-up; kept whole, each second would cost about 100 KB here (10 MB)."""
    rec, rng = Recorder(), random.Random(5)
    pool = [busy_second(rec, rng, s, 30) for s in range(5)]
    agg = Aggregator()
    tracemalloc.start()
    try:
        warm = _traced_after(agg, pool, range(0, 20))
        later = _traced_after(agg, pool, range(20, 120))
    finally:
        tracemalloc.stop()
    # what grows: the file index (24 B) and the CPU series (16 B) a second, arrays over-allocate
    assert later - warm < 100 * 400, f"grew {later - warm:,} bytes over 100 seconds"
    result = agg.result(meta(), 120.0)
    assert len(result.intervals) == 120
    assert result.total.requests == 120 * 20 * 31
    agg.close()


def test_closing_removes_the_history() -> None:
    rec, rng = Recorder(), random.Random(6)
    history = History()
    agg = Aggregator(history)
    agg.add(busy_second(rec, rng, 0, 1))
    assert len(agg.intervals()) == 1
    agg.close()
    assert len(history) == 0
    assert list(history.seconds()) == []


@pytest.mark.parametrize(("seconds", "limit", "width"), [(0, 900, 1), (900, 900, 1), (901, 900, 2)])
def test_width_for(seconds: int, limit: int, width: int) -> None:
    assert width_for(seconds, limit) == width


def test_without_a_file_the_history_stays_in_memory() -> None:
    # No temporary file can be opened (no descriptor left, no temporary directory): the run's
    # seconds are kept in memory, retries and all, instead of crashing the run.
    rec, rng = Recorder(), random.Random(5)
    history = History(directory="/nonexistent/surge-history")
    agg = Aggregator(history)
    snaps = []
    for s in range(3):
        rec.endpoint("GET", "/e00").retry()
        snaps.append(busy_second(rec, rng, s, 5))
        agg.add(snaps[-1])
    assert [iv.endpoints for iv in agg.intervals()] == [s.endpoints for s in snaps]
    assert sum(e.retries for iv in agg.intervals() for e in iv.endpoints) == 3
    agg.close()
