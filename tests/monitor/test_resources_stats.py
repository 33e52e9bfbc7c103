"""Peak and mean of resource series (pure functions shared by every report and thresholds)."""

from __future__ import annotations

import pytest

from surge.metrics import (
    HostSample,
    MonitoredProcess,
    ProcessSample,
    Resources,
    ResourceSample,
)
from surge.metrics.resource_stats import (
    Aggregate,
    Source,
    resource_value,
    series,
    stat_of,
    summarize_resources,
)


def _host(cpu: float, used: int) -> HostSample:
    return HostSample(cpu, (cpu, cpu), used, 8_000, 1.0, 2.0, 3.0, 4.0)


def _proc(cpu: float, rss: int) -> ProcessSample:
    return ProcessSample(cpu, rss, threads=4, open_files=10, connections=2)


def resources() -> Resources:
    a, b = MonitoredProcess("a[1]", 1, "a", "a"), MonitoredProcess("b[2]", 2, "b", "b", 1.5)
    return Resources(
        interval_s=1.0,
        samples=(
            ResourceSample(
                1.0,
                _host(50.0, 1_000),
                _proc(10.0, 100),
                {"a[1]": _proc(100.0, 500), "b[2]": _proc(20.0, 300)},
            ),
            ResourceSample(2.0, _host(70.0, 3_000), _proc(30.0, 200), {"a[1]": _proc(60.0, 700)}),
            ResourceSample(3.0, _host(30.0, 2_000), _proc(20.0, 150), {}),
        ),
        targets=(a, b),
    )


def test_stat_of() -> None:
    assert stat_of([]) is None
    stat = stat_of([1.0, 3.0, 2.0])
    assert stat is not None and stat.peak == 3.0 and stat.mean == 2.0
    assert stat.get(Aggregate.MEAN) == 2.0 and stat.get(Aggregate.PEAK) == 3.0


def test_series_per_source_and_targets_added_per_sample() -> None:
    res = resources()
    assert series(res, Source.HOST, "cpu_pct") == (50.0, 70.0, 30.0)
    assert series(res, Source.GENERATOR, "rss_bytes") == (100.0, 200.0, 150.0)
    # targets add up at each sample; a sample with none alive is left out
    assert series(res, Source.TARGETS, "rss_bytes") == (800.0, 700.0)
    assert resource_value(res, Source.TARGETS, "cpu_pct", Aggregate.PEAK) == 120.0
    assert resource_value(res, Source.TARGETS, "cpu_pct", Aggregate.MEAN) == 90.0
    assert resource_value(None, Source.HOST, "cpu_pct", Aggregate.PEAK) is None
    empty = Resources(1.0, ())
    assert resource_value(empty, Source.TARGETS, "rss_bytes", Aggregate.PEAK) is None


def test_summary_per_target_while_alive() -> None:
    summary = summarize_resources(resources())
    assert summary.samples == 3
    assert summary.host is not None and summary.host.cores == 2
    assert summary.host.stats["memory_used_bytes"].peak == 3_000
    assert summary.host.stats["cpu_pct"].mean == pytest.approx(50.0)
    assert summary.generator is not None and summary.generator.stats["cpu_pct"].peak == 30.0
    assert list(summary.targets) == ["a[1]", "b[2]"]
    assert summary.targets["a[1]"].samples == 2
    assert summary.targets["a[1]"].stats["rss_bytes"].mean == 600.0
    assert summary.targets["b[2]"].samples == 1
