"""What the events say, from the runner's values: a second's tick (deltas), the tables of
running totals (the busiest endpoints and one "other" row), the thresholds as they stand."""

from __future__ import annotations

import json

from surge.dashboard.payloads import endpoint_rows, tables_payload, threshold_rows, tick_payload
from surge.metrics import (
    Arrivals,
    CheckCount,
    EndpointStats,
    HealthSample,
    Histogram,
    LiveStatus,
    LoadModel,
    Snapshot,
    merge_stats,
)
from surge.runner import Progress
from surge.thresholds import parse_thresholds


def _stats(name: str, latencies_ms: list[int], failures: int = 0) -> EndpointStats:
    requests = len(latencies_ms) + failures
    errors = {"http_status": failures} if failures else {}
    messages = {"http_status: 500": failures} if failures else {}
    return EndpointStats(
        method="GET",
        name=name,
        requests=requests,
        failures=failures,
        bytes_received=0,
        status_codes={200: len(latencies_ms)},
        errors=errors,
        error_messages=messages,
        latency=Histogram.from_values(ms * 1000 for ms in latencies_ms),
        failure_latency=Histogram.empty(),
        checks={"status is 200": CheckCount(len(latencies_ms), failures)},
    )


def _progress(snaps: tuple[Snapshot, ...], endpoints: tuple[EndpointStats, ...]) -> Progress:
    total = merge_stats("", "Total", endpoints)
    status = LiveStatus(snaps[-1].end_s, 3, total.requests, total.failures, 0.0, 0, 0, 0, 4.0)
    return Progress(snaps[-1].end_s, status, total, endpoints, snaps)


def test_a_tick_is_the_second_of_every_worker_merged() -> None:
    loop_lag = Histogram.from_values([2000, 3000])
    snaps = (
        Snapshot(
            2,
            0,
            2.0,
            3.0,
            2,
            (_stats("/a", [10] * 110, failures=10),),
            health=HealthSample(40.0, loop_lag),
        ),
        Snapshot(
            2, 1, 2.0, 3.0, 1, (_stats("/a", [30] * 90),), health=HealthSample(55.5, loop_lag)
        ),
    )
    tick = tick_payload(_progress(snaps, ()), LoadModel.CLOSED)
    assert tick["t"] == 3.0
    assert tick["rps"] == 210.0 and tick["fps"] == 10.0
    assert 9.9 <= tick["p50"] <= 10.1 and 29.9 <= tick["p95"] <= 30.1
    assert tick["users"] == 3 and tick["target"] == 4.0
    assert tick["cpu"] == 55.5 and tick["loop"] == 3.0  # the busiest worker
    assert [w[0] for w in tick["workers"]] == [0, 1]
    assert tick["workers"][1][3] == 90.0
    assert "dropped" not in tick  # closed model: no arrivals to speak of
    json.dumps(tick, allow_nan=False)


def test_an_open_model_tick_has_started_and_dropped_arrivals_and_the_lag() -> None:
    arrivals = Arrivals(
        scheduled=50,
        completed=40,
        failed=0,
        dropped={"max_in_flight": 5},
        lag=Histogram.from_values([7000] * 45),
    )
    snaps = (Snapshot(0, 0, 0.0, 0.5, 0, (_stats("/a", [5] * 40),), arrivals=arrivals),)
    tick = tick_payload(_progress(snaps, ()), LoadModel.OPEN)
    assert tick["started"] == 90.0  # 45 started in half a second
    assert tick["dropped"] == 5
    assert 6.9 <= tick["lag"] <= 7.1


def test_a_second_without_successes_has_no_percentiles() -> None:
    snaps = (Snapshot(0, 0, 0.0, 1.0, 1, (_stats("/a", [], failures=3),)),)
    tick = tick_payload(_progress(snaps, ()), LoadModel.CLOSED)
    assert tick["p50"] is None and tick["p99"] is None and tick["fps"] == 3.0


def test_many_endpoints_show_the_busiest_and_one_row_for_the_rest() -> None:
    endpoints = tuple(_stats(f"/item/{i:03}", [1 + i % 7] * (i + 1)) for i in range(100))
    rows, other = endpoint_rows(endpoints, 10.0, top=40)
    assert len(rows) == 40
    assert rows[0]["name"] == "/item/099" and rows[0]["requests"] == 100
    assert other is not None and other["count"] == 60
    assert other["name"] == "60 other endpoints"
    assert other["requests"] == sum(range(1, 61))
    assert sum(r["requests"] for r in rows) + other["requests"] == sum(range(1, 101))
    few, none = endpoint_rows(endpoints[:5], 10.0, top=40)
    assert len(few) == 5 and none is None


def test_tables_stay_small_with_a_hundred_endpoints() -> None:
    endpoints = tuple(_stats(f"/api/things/{i}/detail", [i % 50 + 1] * 20) for i in range(100))
    snaps = (Snapshot(9, 0, 9.0, 10.0, 10, endpoints),)
    tables = tables_payload(_progress(snaps, endpoints), ())
    assert len(tables["endpoints"]) == 40 and tables["other"]["count"] == 60
    assert len(json.dumps(tables)) < 12_000
    assert tables["checks"] == [{"name": "status is 200", "passes": 2000, "fails": 0}]


def test_errors_by_class_and_message() -> None:
    endpoint = _stats("/a", [5] * 10, failures=4)
    snaps = (Snapshot(0, 0, 0.0, 1.0, 1, (endpoint,)),)
    tables = tables_payload(_progress(snaps, (endpoint,)), ())
    assert tables["errors"] == [{"kind": "http_status", "count": 4}]
    assert tables["messages"] == [{"message": "http_status: 500", "count": 4}]


def test_thresholds_as_they_stand() -> None:
    endpoint = _stats("/a", [50] * 100, failures=1)
    total = merge_stats("", "Total", (endpoint,))
    specs = parse_thresholds(["p95<100ms", "error_rate<0.5%", "GET /b: p95<1ms", "cpu<90%"])
    rows = threshold_rows(specs, (endpoint,), total, 2.0)
    assert [r["passed"] for r in rows] == [True, False, False, None]
    assert rows[0]["unit"] == "ms" and 49 <= rows[0]["observed"] <= 51
    assert rows[2]["observed"] is None and rows[2]["note"] == "nothing measured yet"
    assert rows[3]["note"] == "judged at the end"


def test_the_last_moments_of_a_run_are_counted_but_not_charted() -> None:
    whole = (Snapshot(3, 0, 3.0, 4.0, 2, (_stats("/a", [5] * 100),)),)
    tail = (Snapshot(4, 0, 4.0, 4.03, 0, (_stats("/a", [5] * 2),)),)
    assert tick_payload(_progress(whole, ()), LoadModel.CLOSED)["partial"] is False
    assert tick_payload(_progress(tail, ()), LoadModel.CLOSED)["partial"] is True
    rows, _ = endpoint_rows(tail[0].endpoints, 4.03, tail)
    assert rows[0]["now"] is None  # no rate over 30 ms
