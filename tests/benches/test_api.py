"""`surge.benchmark`, `@surge.bench`, `surge.Kind`, thresholds and the result's reports, on real
callables (short durations; nothing asserts how fast the machine is)."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

import surge
from surge.benches import marked_options


def spin(us: float) -> None:
    end = time.perf_counter_ns() + int(us * 1000)
    while time.perf_counter_ns() < end:
        pass


def test_a_sync_callable_reads_naturally() -> None:
    result = surge.benchmark(spin, 30, name="spin30", duration=0.2, thresholds="p50<1s")
    s = result.stats
    assert result.name == "spin30"
    assert result.kind is surge.Kind.CALLABLE
    assert s.rounds >= 5 and s.errors == 0 and s.iterations >= 1
    assert s.min_ms <= s.median_ms <= s.p95_ms <= s.p99_ms <= s.max_ms
    assert s.median_ms >= 0.030  # the callable spins at least 30 µs
    assert s.ops == pytest.approx(s.calls / s.total_s)
    assert result.passed
    assert [v.expression for v in result.thresholds] == ["p50<1s"]


def test_the_value_of_the_first_call_is_kept() -> None:
    assert surge.benchmark(lambda a, b=1: a + b, 2, b=3, rounds=5).value == 5


def test_async_callables_run_on_uvloop_and_report_the_loop_overhead() -> None:
    seen: list[str] = []

    async def handler() -> None:
        seen.append(type(asyncio.get_running_loop()).__module__)
        await asyncio.sleep(0)

    result = surge.benchmark(handler, rounds=20, warmup=1)
    assert result.entry.flavor.value == "async"
    assert set(seen) == {"uvloop"}
    assert result.calibration.loop_trip_ns is not None and result.calibration.loop_trip_ns > 0
    assert result.calibration.overhead_ns > 0
    assert "async on uvloop" in result.table()


def test_failing_thresholds_fail_the_bench_with_observed_values() -> None:
    result = surge.benchmark(
        spin,
        100,
        duration=0.1,
        thresholds=[surge.Threshold(max_p95_ms=0.001, min_throughput_ops=1), "ops>1000000000"],
    )
    assert not result.passed
    by_text = {v.expression: v for v in result.thresholds}
    assert not by_text["p95<=0.001ms"].passed
    assert by_text["p95<=0.001ms"].observed == pytest.approx(result.stats.p95_ms)
    assert by_text["ops>=1"].passed


def test_errors_are_counted_by_type_and_judged_by_error_rate() -> None:
    counter = iter(range(10**9))

    def sometimes() -> None:
        if next(counter) % 2:
            raise ConnectionError("down")

    result = surge.benchmark(sometimes, rounds=100, warmup=0, thresholds=["error_rate<10%"])
    assert result.errors == {"ConnectionError": 50}
    assert result.stats.error_rate == pytest.approx(0.5)
    assert not result.passed
    document = json.loads(result.to_json())
    assert document["errors_by_type"] == {"ConnectionError": 50}
    assert document["passed"] is False


def test_a_bench_whose_every_call_raises_still_reports() -> None:
    def down() -> None:
        raise TimeoutError("no answer")

    result = surge.benchmark(down, name="down", rounds=4, warmup=0)
    assert result.stats.calls == 0 and result.errors == {"TimeoutError": 4}
    row = next(line for line in result.table().splitlines() if line.startswith("down"))
    assert row.split()[-3:] == ["0", "-", "4"]  # rounds, iterations, errors


def test_kind_accepts_the_enum_or_its_value() -> None:
    assert surge.benchmark(spin, 1, rounds=5, kind="cache_operation").kind is (
        surge.Kind.CACHE_OPERATION
    )
    with pytest.raises(ValueError, match="unknown kind 'redis'"):
        surge.benchmark(spin, 1, kind="redis")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"thresholds": "p95<<5ms"}, "invalid threshold"),
        ({"thresholds": "cpu<50%"}, "not measured by a benchmark of a callable"),
        ({"concurrency": [0, 5]}, "concurrency: levels are whole numbers"),
        ({"memory": "lots"}, "memory: True, False or a number"),
        ({"duration": "soon"}, "duration: not a duration"),
        ({"processes": True}, "processes=True needs concurrency levels"),
        ({"count_queries": "sqlite://"}, "count_queries takes a SQLAlchemy Engine"),
    ],
)
def test_bad_options_are_refused_before_anything_runs(
    options: dict[str, object], message: str
) -> None:
    calls: list[int] = []
    with pytest.raises((ValueError, TypeError), match=message):
        surge.benchmark(lambda: calls.append(1), **options)  # type: ignore[arg-type]
    assert calls == []


def test_the_decorator_marks_and_keeps_the_function() -> None:
    @surge.bench(kind=surge.Kind.DATABASE_QUERY, thresholds=["p99<1s"], rounds=5)
    def query() -> int:
        return 7

    assert query() == 7
    assert marked_options(query) == {
        "kind": surge.Kind.DATABASE_QUERY,
        "thresholds": ["p99<1s"],
        "rounds": 5,
    }
    result = surge.benchmark(query, name="q")
    assert result.kind is surge.Kind.DATABASE_QUERY
    assert result.name == "q" and result.stats.rounds == 5

    @surge.bench
    def plain() -> None:
        return None

    assert marked_options(plain) == {}
    with pytest.raises(TypeError, match="unknown option"):
        surge.bench(colour="red")
    with pytest.raises(ValueError, match="invalid threshold"):
        surge.bench(thresholds="p95<")(plain)


def test_memory_pass_sees_what_a_leaky_callable_keeps() -> None:
    kept: list[bytes] = []

    def leak() -> None:
        kept.append(b"x" * 10_000)

    result = surge.benchmark(leak, rounds=5, warmup=0, memory=200, thresholds=["memory_peak<1KB"])
    memory = result.memory
    assert memory is not None and memory.calls == 200
    assert memory.retained_bytes >= 200 * 10_000
    assert memory.peak_bytes >= 200 * 10_000
    assert any("test_api.py" in site.where for site in memory.top)
    assert not result.passed
    clean = surge.benchmark(lambda: None, rounds=5, memory=True, thresholds="memory_increase<50MB")
    assert clean.passed and clean.memory is not None and clean.memory.calls == 1000


def test_table_has_pytest_benchmark_columns_plus_p95_p99() -> None:
    result = surge.benchmark(spin, 5, name="five", rounds=10)
    header = result.table().splitlines()[1]
    for column in ("Min", "Max", "Mean", "StdDev", "Median", "IQR", "P95", "P99", "Outliers"):
        assert column in header
    assert "OPS (" in header and "Rounds" in header and "Iterations" in header
    assert "five" in str(result)


def test_json_document_carries_the_stats_in_ms() -> None:
    result = surge.benchmark(spin, 20, rounds=20, warmup=0, kind=surge.Kind.API_ENDPOINT)
    document = json.loads(result.to_json())
    assert document["schema"] == 1
    assert document["kind"] == "api_endpoint"
    times = document["stats"]["time_ms"]
    assert times["median"] == pytest.approx(result.stats.median_ms, abs=1e-6)
    assert set(times) >= {"min", "max", "mean", "stddev", "median", "iqr", "p95", "p99"}
    assert document["stats"]["rounds"] == 20
    assert document["calibration"]["gc_disabled"] is True
