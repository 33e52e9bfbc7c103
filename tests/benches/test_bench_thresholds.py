"""Bench metrics in the threshold grammar: `ops`, `memory_increase`, `memory_peak`, `queries`;
the keyword form; and a load run refusing the bench-only ones before any request."""

from __future__ import annotations

import pytest

import surge
from surge.metrics.bench import BenchMemory, BenchStats
from surge.thresholds import Metric, ThresholdError, parse_threshold, validate
from surge.thresholds.bench import judge_bench, validate_bench


def stats(**over: float) -> BenchStats:
    base = BenchStats.empty()
    values = {f: getattr(base, f) for f in base.__dataclass_fields__}
    values.update(rounds=10, iterations=1, calls=10, median_ms=1.0, p95_ms=2.0, p99_ms=3.0)
    values.update(mean_ms=1.2, min_ms=0.5, max_ms=4.0, ops=800.0, total_s=0.0125)
    values.update(over)
    return BenchStats(**values)  # type: ignore[arg-type]


def test_new_metrics_parse_with_their_units() -> None:
    assert parse_threshold("ops>1000").metric is Metric.OPS
    assert parse_threshold("memory_increase<100MB").limit == 100e6
    assert parse_threshold("memory_peak<=2MiB").limit == 2 * 1024**2
    assert parse_threshold("fetch_user: queries<=1").selector is not None
    with pytest.raises(ThresholdError, match="ops is calls per second"):
        parse_threshold("ops>10ms")


def test_judging_a_bench_reads_exact_stats_memory_and_queries() -> None:
    specs = [parse_threshold(t) for t in (
        "p95<5ms", "p99<2ms", "ops>1000", "rps>500", "memory_increase<1MB",
        "memory_peak<1KB", "queries<=1", "other: p50<1us",
    )]  # fmt: skip
    memory = BenchMemory(calls=100, increase_bytes=4096, peak_bytes=2048, retained_bytes=0)
    verdicts = judge_bench(specs, "fetch", stats(), memory, queries_per_call=2.0)
    passed = {v.expression: v.passed for v in verdicts}
    assert passed == {
        "p95<5ms": True,
        "p99<2ms": False,
        "ops>1000": False,
        "rps>500": True,
        "memory_increase<1MB": True,
        "memory_peak<1KB": False,
        "queries<=1": False,
    }  # "other: …" names another bench
    assert {v.endpoint for v in verdicts} == {"fetch"}
    unmeasured = judge_bench([parse_threshold("memory_peak<1GB")], "fetch", stats())
    assert unmeasured[0].observed is None and not unmeasured[0].passed


def test_threshold_keywords_for_benches() -> None:
    limits = surge.Threshold(
        max_p95_ms=5, min_throughput_ops=1000, max_memory_increase_mb=100, max_memory_peak_mb=8
    )
    assert limits.expressions() == (
        "p95<=5ms",
        "ops>=1000",
        "memory_increase<=100MB",
        "memory_peak<=8MB",
    )
    assert surge.Threshold(250, None, None, None, None, "GET /x").endpoint == "GET /x"


def test_a_load_run_refuses_bench_only_metrics() -> None:
    with pytest.raises(ThresholdError, match="measured by benchmarks of callables"):
        validate([parse_threshold("memory_increase<10MB", where="--threshold")], None)
    validate([parse_threshold("ops>10")], None)  # an alias of rps there


def test_a_bench_refuses_resource_metrics_and_unknown_bench_names() -> None:
    with pytest.raises(ThresholdError, match="not measured by a benchmark"):
        validate_bench([parse_threshold("target.rss<1GB")])
    with pytest.raises(ThresholdError, match="no bench named 'nope'"):
        validate_bench([parse_threshold("nope: p95<1ms")], names=["a", "b"])
