"""compare_runs on synthetic runs: no false alarms on A/A, the right endpoint and metric named on
a real slowdown, honest inconclusive verdicts when the data cannot decide."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse

from compare.synthetic import make_run, samples
from surge.compare import Method, Metric, Verdict, compare_runs
from surge.compare.intervals import interval_series, resampled_metrics
from surge.metrics import Aggregator, RunResult, Snapshot
from surge.metrics.history import History


def _finding(comparison, name: str, metric: str):  # type: ignore[no-untyped-def]
    (found,) = [f for f in comparison.findings if f.name == name and f.metric == metric]
    return found


def test_resampling_every_interval_once_gives_the_run_values() -> None:
    run = make_run(np.random.default_rng(2), seconds=8, sigma=0.8)
    series = interval_series([run], ("GET", "/a"))
    assert series is not None
    identity = sparse.csr_matrix(([1.0, -1.0], ([0, 0], [8, 0])), shape=(1, 9))
    values = resampled_metrics(series, identity, list(Metric))
    (whole,) = run.endpoints
    for pct, metric in ((50.0, Metric.P50), (95.0, Metric.P95), (99.0, Metric.P99)):
        assert values[metric][0] == pytest.approx(whole.latency.value_at_percentile_us(pct) / 1000)
    assert values[Metric.MEAN][0] == pytest.approx(whole.latency.mean_us / 1000)
    assert values[Metric.RPS][0] == pytest.approx(200.0)
    assert values[Metric.ERROR_RATE][0] == 0.0


def test_single_runs_aa_raise_no_false_alarm() -> None:
    rng = np.random.default_rng(11)
    verdicts = []
    medians = {"/a": 10.0, "/b": 40.0}
    for seed in range(10):
        a = make_run(rng, seconds=8, per_second=100, median_ms=medians)
        b = make_run(rng, seconds=8, per_second=100, median_ms=medians)
        comparison = compare_runs(samples([a]), samples([b], 2), seed=seed)
        assert comparison.method is Method.INTERVALS
        verdicts.append(comparison.verdict)
    assert Verdict.REGRESSED not in verdicts
    assert verdicts.count(Verdict.UNCHANGED) >= 8


def test_single_run_slowdown_names_endpoint_and_metric() -> None:
    rng = np.random.default_rng(5)
    a = make_run(rng, median_ms={"/a": 10.0, "/b": 40.0})
    b = make_run(rng, median_ms={"/a": 10.0, "/b": 52.0})
    comparison = compare_runs(samples([a]), samples([b], 2))
    assert comparison.verdict is Verdict.REGRESSED
    regressed = {(f.name, f.metric) for f in comparison.regressions}
    assert ("/b", "p50") in regressed and ("/b", "mean") in regressed
    assert not any(name == "/a" for name, _ in regressed)
    p50 = _finding(comparison, "/b", "p50")
    assert 25.0 < p50.change_pct < 35.0
    assert p50.ci_low_pct is not None and p50.ci_low_pct > 10.0
    assert p50.p_value is not None and p50.p_value <= 0.05
    assert "bootstrap" in p50.test and "beyond ±5%" in p50.reason
    assert any("fewer than 3 runs" in w for w in comparison.warnings)


def test_runs_level_slowdown_with_run_to_run_noise() -> None:
    rng = np.random.default_rng(8)
    base = [make_run(rng, seconds=3, run_drift=0.05) for _ in range(5)]
    cand = [make_run(rng, seconds=3, run_drift=0.05, median_ms={"/a": 13.0}) for _ in range(5)]
    comparison = compare_runs(samples(base), samples(cand, 10))
    assert comparison.method is Method.RUNS
    assert comparison.baseline_runs == (1, 2, 3, 4, 5)
    assert comparison.candidate_runs == (10, 11, 12, 13, 14)
    p50 = _finding(comparison, "/a", "p50")
    assert p50.verdict is Verdict.REGRESSED
    assert p50.p_value == pytest.approx(1 / 252 * 4 / 4)  # four latency metrics, all separated
    assert "Mann-Whitney" in p50.test


def test_three_vs_three_cannot_name_one_endpoint_among_several() -> None:
    """3 vs 3 runs: the smallest one-sided p is 0.05, so once BH spreads alpha over more tests,
    a change confined to one endpoint is inconclusive, never a regression claimed on noise."""
    rng = np.random.default_rng(9)
    base = [make_run(rng, seconds=3, median_ms={"/a": 10.0, "/b": 40.0}) for _ in range(3)]
    cand = [make_run(rng, seconds=3, median_ms={"/a": 10.0, "/b": 52.0}) for _ in range(3)]
    comparison = compare_runs(samples(base), samples(cand, 10))
    p50 = _finding(comparison, "/b", "p50")
    assert p50.verdict is Verdict.INCONCLUSIVE
    assert "not significant" in p50.reason
    assert comparison.verdict is Verdict.INCONCLUSIVE


def test_error_rate_rise_in_percentage_points() -> None:
    rng = np.random.default_rng(4)
    a = make_run(rng, error_rate=0.0)
    b = make_run(rng, error_rate=0.03)
    finding = _finding(compare_runs(samples([a]), samples([b], 2)), "/a", "error_rate")
    assert finding.verdict is Verdict.REGRESSED
    assert finding.unit == "%" and 2.0 < finding.change_pct < 4.0
    assert "pp" in finding.reason


def test_small_latency_change_under_the_floor_is_unchanged() -> None:
    rng = np.random.default_rng(6)
    a, b = make_run(rng, median_ms={"/a": 1.0}), make_run(rng, median_ms={"/a": 1.3})
    finding = _finding(compare_runs(samples([a]), samples([b], 2)), "/a", "p50")
    assert finding.verdict is Verdict.UNCHANGED and "floor" in finding.reason


def test_endpoint_missing_from_candidate_is_inconclusive() -> None:
    rng = np.random.default_rng(6)
    a = make_run(rng, median_ms={"/a": 10.0, "/gone": 10.0})
    b = make_run(rng, median_ms={"/a": 10.0})
    comparison = compare_runs(samples([a]), samples([b], 2))
    gone = _finding(comparison, "/gone", "p50")
    assert gone.verdict is Verdict.INCONCLUSIVE and "candidate" in gone.reason
    assert _finding(comparison, "/gone", "rps").candidate == 0.0


def test_same_seed_same_output() -> None:
    rng = np.random.default_rng(3)
    a, b = make_run(rng), make_run(rng)
    first = compare_runs(samples([a]), samples([b], 2), seed=42)
    assert compare_runs(samples([a]), samples([b], 2), seed=42) == first


def test_fingerprint_differences_are_warned() -> None:
    from surge.compare import RunSample

    rng = np.random.default_rng(3)
    fp = {"host": "ci-1", "surge_version": "0.1.0", "git_dirty": False, "options": {"users": 10}}
    other = {
        "host": "laptop",
        "surge_version": "0.2.0",
        "git_dirty": True,
        "git_commit": "abc",
        "options": {"users": 20, "out": "x.json"},
    }
    comparison = compare_runs(
        [RunSample(make_run(rng), 1, fp)], [RunSample(make_run(rng), 2, other)]
    )
    text = "\n".join(comparison.warnings)
    assert "other host: baseline ci-1, candidate laptop" in text
    assert "other surge version" in text
    assert "users 10 → 20" in text and "out" not in text.split("other options:")[1].split("\n")[0]
    assert "uncommitted changes" in text


def _through_history(run: RunResult, max_intervals: int) -> RunResult:
    """The run's seconds recorded by an Aggregator whose history keeps at most `max_intervals`
    (a long run's equal intervals of several seconds)."""
    agg = Aggregator(History(max_intervals=max_intervals))
    for iv in run.intervals:
        agg.add(Snapshot(iv.seq, 0, iv.start_s, iv.end_s, 1, iv.endpoints))
    result = agg.result(run.meta, run.duration_s)
    agg.close()
    return result


def test_coarser_intervals_of_a_long_run_keep_the_comparison_honest() -> None:
    """Two-second intervals: the same totals, no false alarm on A/A, a real slowdown found."""
    rng = np.random.default_rng(23)
    medians = {"/a": 10.0, "/b": 40.0}
    verdicts = []
    for seed in range(6):
        a = make_run(rng, seconds=40, per_second=50, median_ms=medians)
        b = make_run(rng, seconds=40, per_second=50, median_ms=medians)
        coarse_a, coarse_b = _through_history(a, 20), _through_history(b, 20)
        assert len(coarse_a.intervals) == 20
        assert coarse_a.endpoints == a.endpoints
        comparison = compare_runs(samples([coarse_a]), samples([coarse_b], 2), seed=seed)
        verdicts.append(comparison.verdict)
    assert Verdict.REGRESSED not in verdicts
    slow = make_run(rng, seconds=40, per_second=50, median_ms={"/a": 10.0, "/b": 52.0})
    comparison = compare_runs(samples([coarse_a]), samples([_through_history(slow, 20)], 2))
    assert comparison.verdict is Verdict.REGRESSED
    p50 = _finding(comparison, "/b", "p50")
    assert "over 2 s intervals, 20 vs 20 intervals" in p50.test
    assert p50.ci_low_pct is not None and p50.ci_low_pct > 10.0
