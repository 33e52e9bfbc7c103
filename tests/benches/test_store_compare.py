"""Benches as stored runs: the store keeps them whole, history lists their exact figures, and
compare tests them over their samples (Benjamini-Hochberg across benches), with no latency floor
in the way of a microsecond bench's 10 % regression."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from surge.benches import per_call_ns, stats_of
from surge.benches.record import run_result
from surge.compare import Method, RunSample, Verdict, compare_runs, parse_tolerances
from surge.metrics.bench import BenchEntry, BenchKind, Calibration, Flavor
from surge.store import Store, fingerprint


def entry(name: str, mean_ns: float, seed: int, *, rounds: int = 2000) -> BenchEntry:
    """A serial bench of `rounds` rounds of 10 calls around `mean_ns` per call (1 % noise)."""
    rng = np.random.default_rng(seed)
    per_call = rng.normal(mean_ns, mean_ns * 0.01, size=rounds)
    sample_ns = tuple(int(v) for v in np.rint(per_call * 10))
    stats = stats_of(
        per_call_ns(sample_ns, 10), iterations=10, errors=0, total_s=sum(sample_ns) / 1e9
    )
    return BenchEntry(
        name=name,
        kind=BenchKind.DATABASE_QUERY,
        flavor=Flavor.SYNC,
        stats=stats,
        calibration=Calibration(30.0, 50.0, None, 10, True, 20_000),
        sample_ns=sample_ns,
    )


def suite(*entries: BenchEntry) -> RunSample:
    return RunSample(run_result(entries, name="queries", target="bench_queries.py"))


def verdicts(comparison_findings: object) -> dict[tuple[str, str], Verdict]:
    return {(f.name, f.metric): f.verdict for f in comparison_findings}  # type: ignore[attr-defined]


def test_a_to_a_is_unchanged_and_a_ten_percent_slowdown_regresses() -> None:
    base = suite(entry("fetch_user", 50_000, 1), entry("list_orders", 800_000, 2))
    same = suite(entry("fetch_user", 50_000, 3), entry("list_orders", 800_000, 4))
    slower = suite(entry("fetch_user", 55_000, 5), entry("list_orders", 800_000, 6))

    aa = compare_runs([base], [same])
    assert aa.method is Method.SAMPLES
    assert aa.verdict is Verdict.UNCHANGED, [f.reason for f in aa.findings]

    ab = compare_runs([base], [slower])
    found = verdicts(ab.findings)
    assert ab.verdict is Verdict.REGRESSED
    assert found[("fetch_user", "p50")] is Verdict.REGRESSED
    assert found[("fetch_user", "mean")] is Verdict.REGRESSED
    assert found[("fetch_user", "rps")] is Verdict.REGRESSED  # ops/s fell by ~9 %
    assert found[("list_orders", "p50")] is Verdict.UNCHANGED
    p50 = next(f for f in ab.findings if (f.name, f.metric) == ("fetch_user", "p50"))
    assert p50.baseline == pytest.approx(0.050, rel=0.01)  # ms, from the samples
    assert p50.change_pct == pytest.approx(10.0, abs=1.0)
    assert "bootstrap over samples" in p50.test
    assert any("bootstrap over samples" in w for w in ab.warnings)


def test_the_load_run_floor_does_not_hide_a_microsecond_regression_unless_asked() -> None:
    base = suite(entry("tiny", 2_000, 1))
    slower = suite(entry("tiny", 2_400, 2))
    assert compare_runs([base], [slower]).verdict is Verdict.REGRESSED
    floored = compare_runs([base], [slower], tolerances=parse_tolerances(["bench_floor=0.01ms"]))
    p50 = next(f for f in floored.findings if f.metric == "p50")
    assert p50.verdict is Verdict.UNCHANGED and "floor" in p50.reason
    rps = next(f for f in floored.findings if f.metric == "rps")
    assert rps.verdict is Verdict.REGRESSED  # a floor is about latency, not throughput


def test_three_runs_a_side_use_the_run_level_test_on_exact_values() -> None:
    base = [suite(entry("q", 50_000, seed)) for seed in (1, 2, 3)]
    cand = [suite(entry("q", 60_000, seed)) for seed in (4, 5, 6)]
    comparison = compare_runs(base, cand)
    assert comparison.method is Method.RUNS
    p50 = next(f for f in comparison.findings if f.metric == "p50")
    assert p50.baseline == pytest.approx(base[1].result.benches[0].stats.median_ms, rel=0.02)
    assert p50.verdict is Verdict.REGRESSED


def test_store_keeps_a_bench_run_whole_and_lists_its_exact_figures(tmp_path: Path) -> None:
    result = suite(entry("fetch_user", 50_000, 1)).result
    with Store.open(str(tmp_path / "s.db")) as store:
        run_id = store.save(result, fingerprint({"duration": 1.0}))
        back = store.get(run_id).result
        (summary,) = store.summaries()
    assert back.benches == result.benches
    assert back.meta.mode == "bench"
    assert back.endpoints[0].method == "DB" and back.endpoints[0].name == "fetch_user"
    assert summary.p50_ms == pytest.approx(result.benches[0].stats.median_ms)
    assert summary.requests == 20_000
    assert summary.rps == pytest.approx(result.benches[0].stats.ops)


def test_a_bench_run_is_a_run_with_calls_as_requests() -> None:
    result = suite(entry("a", 50_000, 1), entry("b", 200_000, 2)).result
    assert result.is_bench
    assert [e.name for e in result.endpoints] == ["a", "b"]
    assert result.total.requests == 40_000
    a = result.endpoints[0]
    # µs histogram of the per-call times: the median bucket sits at 50 µs
    assert a.latency.value_at_percentile_us(50) == pytest.approx(50, abs=1)
