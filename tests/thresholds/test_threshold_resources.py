"""Resource thresholds: grammar (metrics, units, aggregates, errors with `^`) and verdicts."""

from __future__ import annotations

import dataclasses

import pytest

from surge.metrics import HostSample, ProcessSample, Resources, ResourceSample, RunResult
from surge.metrics.resource_stats import Aggregate
from surge.thresholds import (
    AbortWatch,
    Metric,
    ThresholdError,
    evaluate,
    parse_threshold,
    parse_thresholds,
    validate_resources,
)
from thresholds.threshold_values import run_result, stats


@pytest.mark.parametrize(
    ("text", "metric", "aggregate", "limit", "unit"),
    [
        ("cpu<80%", Metric.CPU, Aggregate.PEAK, 80.0, "%"),
        ("cpu.mean < 60%", Metric.CPU, Aggregate.MEAN, 60.0, "%"),
        ("memory<2GB", Metric.MEMORY, Aggregate.PEAK, 2e9, "bytes"),
        ("target.rss<1GiB", Metric.TARGET_RSS, Aggregate.PEAK, 1024.0**3, "bytes"),
        ("target.rss.peak<=512MB", Metric.TARGET_RSS, Aggregate.PEAK, 512e6, "bytes"),
        ("target.cpu<150%", Metric.TARGET_CPU, Aggregate.PEAK, 150.0, "%"),
        ("generator.cpu.mean<90%", Metric.GENERATOR_CPU, Aggregate.MEAN, 90.0, "%"),
        ("generator.rss<300MiB", Metric.GENERATOR_RSS, Aggregate.PEAK, 300 * 1024.0**2, "bytes"),
        ("disk_write<50MB/s", Metric.DISK_WRITE, Aggregate.PEAK, 50e6, "B/s"),
        ("net_recv<1.5GB", Metric.NET_RECV, Aggregate.PEAK, 1.5e9, "B/s"),
        ("target.connections<1000", Metric.TARGET_CONNECTIONS, Aggregate.PEAK, 1000.0, "count"),
        ("target.open_files.mean<200", Metric.TARGET_OPEN_FILES, Aggregate.MEAN, 200.0, "count"),
        ("target.read<10kb/s", Metric.TARGET_READ, Aggregate.PEAK, 1e4, "B/s"),
    ],
)
def test_resource_expressions_parse(
    text: str, metric: Metric, aggregate: Aggregate, limit: float, unit: str
) -> None:
    spec = parse_threshold(text)
    assert (spec.metric, spec.aggregate, spec.unit, spec.selector) == (
        metric,
        aggregate,
        unit,
        None,
    )
    assert spec.limit == pytest.approx(limit)


@pytest.mark.parametrize(
    ("text", "message", "caret"),
    [
        ("GET /x: cpu<80%", "not of an endpoint", "^^^^^^^"),
        ("cpu<120%", "at most 100%", "    ^^^^"),
        ("cpu<80", "CPU percentage", "    ^^"),
        ("memory<2", "needs a size unit", "       ^"),
        ("target.rss<1XB", "unknown unit 'XB'", "            ^^"),
        ("p95.mean<2ms", "applies to resource metrics", "   ^^^^^"),
        ("target.rsss<1GB", "did you mean 'target.rss'", "^^^^^^^^^^^"),
    ],
)
def test_resource_errors_point_at_the_text(text: str, message: str, caret: str) -> None:
    with pytest.raises(ThresholdError) as caught:
        parse_threshold(text)
    shown = str(caught.value)
    assert message in shown
    assert shown.splitlines()[-1] == "    " + caret


def test_a_target_threshold_without_a_target_is_an_error_before_the_run() -> None:
    specs = parse_thresholds(["cpu<90%", "target.rss.mean<1GB"])
    validate_resources(specs, targets_monitored=True)
    with pytest.raises(ThresholdError) as caught:
        validate_resources(specs, targets_monitored=False)
    text = str(caught.value)
    assert "--monitor-pid" in text and text.startswith("--threshold: invalid threshold")
    assert text.splitlines()[-1] == "    ^^^^^^^^^^^^^^^"


def _resources() -> Resources:
    host = HostSample(70.0, (60.0, 80.0), 3 * 10**9, 8 * 10**9, 0.0, 2e6, 1e3, 1e3)
    gen = ProcessSample(40.0, 80 * 10**6)
    return Resources(
        1.0,
        (
            ResourceSample(1.0, host, gen, {"app[9]": ProcessSample(150.0, 900 * 10**6)}),
            ResourceSample(
                2.0,
                dataclasses.replace(host, cpu_pct=30.0),
                gen,
                {"app[9]": ProcessSample(50.0, 700 * 10**6)},
            ),
        ),
    )


def _sample() -> RunResult:
    return run_result((stats("GET", "/a", [1.0, 2.0]),))


def test_verdicts_on_resources() -> None:
    result = dataclasses.replace(_sample(), resources=_resources())
    specs = parse_thresholds(
        [
            "cpu<80%",  # peak 70: pass
            "cpu.mean<40%",  # mean 50: fail
            "target.rss<1GB",  # peak 900 MB: pass
            "target.cpu.mean<=100%",  # mean 100: pass
            "target.cpu<120%",  # peak 150: fail
            "memory<2GB",  # 3 GB: fail
            "disk_write<1MB/s",  # 2 MB/s: fail
        ]
    )
    verdicts = evaluate(specs, result)
    assert [v.passed for v in verdicts] == [True, False, True, True, False, False, False]
    assert [v.observed for v in verdicts] == [70.0, 50.0, 9e8, 100.0, 150.0, 3e9, 2e6]
    assert verdicts[1].metric == "cpu.mean" and verdicts[0].metric == "cpu"
    assert verdicts[2].unit == "bytes" and verdicts[6].unit == "B/s"


def test_no_samples_fails_with_nothing_observed() -> None:
    sample = _sample()
    (verdict,) = evaluate(parse_thresholds(["target.rss<1GB"]), sample)
    assert verdict.observed is None and not verdict.passed
    empty = dataclasses.replace(sample, resources=Resources(1.0, ()))
    (verdict,) = evaluate(parse_thresholds(["cpu<80%"]), empty)
    assert verdict.observed is None and not verdict.passed


def test_resource_thresholds_never_abort_a_run() -> None:
    specs = parse_thresholds(["cpu<1%", "target.rss<1B"], abort_on_fail=True)
    assert not AbortWatch(specs).armed
