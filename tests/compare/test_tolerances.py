"""--tolerance parsing and the decision rule."""

from __future__ import annotations

import pytest

from surge.compare import METRICS, Metric, ToleranceError, Tolerances, Verdict, parse_tolerances
from surge.compare.verdict import decide, overall


def test_defaults() -> None:
    t = Tolerances()
    assert [t.of(m) for m in METRICS] == [5.0, 10.0, 15.0, 5.0, 5.0, 0.5]
    # protocol metrics follow their HTTP counterparts
    assert t.of(Metric.REPLY_P99) == 15.0 and t.of(Metric.MSGS_SENT_RATE) == 5.0
    tuned = parse_tolerances(["p95=20%", "rps=7%"])
    assert tuned.of(Metric.REPLY_P95) == tuned.of(Metric.EVENT_GAP_P95) == 20.0
    assert tuned.of(Metric.MSGS_RECEIVED_RATE) == 7.0
    assert t.floor_ms == 1.0


def test_parse_all_and_per_metric() -> None:
    t = parse_tolerances(["20%", "p95=15%", "error_rate=1%", "floor=2ms", "p99=30"])
    assert (t.p50, t.p95, t.p99, t.mean, t.rps, t.error_rate, t.floor_ms) == (
        20.0,
        15.0,
        30.0,
        20.0,
        20.0,
        1.0,
        2.0,
    )


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("p96=10%", "unknown metric 'p96'"),
        ("fast", "expected PERCENT"),
        ("p95=10ms", "in %"),
        ("floor=5%", "floor is in ms"),
    ],
)
def test_parse_errors_name_the_item(item: str, message: str) -> None:
    with pytest.raises(ToleranceError, match=message):
        parse_tolerances([item])


def test_decide_needs_significance_tolerance_and_floor() -> None:
    t = Tolerances()
    assert decide(Metric.P95, 10.0, 12.0, 20.0, 0.01, tolerances=t).verdict is Verdict.REGRESSED
    assert decide(Metric.P95, 10.0, 10.9, 9.0, 0.001, tolerances=t).verdict is Verdict.UNCHANGED
    assert decide(Metric.P95, 1.0, 1.2, 20.0, 0.001, tolerances=t).verdict is Verdict.UNCHANGED
    inconclusive = decide(Metric.P95, 10.0, 12.0, 20.0, 0.2, tolerances=t)
    assert inconclusive.verdict is Verdict.INCONCLUSIVE and "not significant" in inconclusive.reason
    cannot = decide(Metric.P95, 10.0, 12.0, 20.0, 0.1, tolerances=t, min_p=0.1)
    assert "cannot reach" in cannot.reason
    assert decide(Metric.RPS, 100.0, 80.0, -20.0, 0.01, tolerances=t).verdict is Verdict.REGRESSED
    assert decide(Metric.RPS, 100.0, 120.0, 20.0, 0.01, tolerances=t).verdict is Verdict.IMPROVED
    assert decide(Metric.P50, None, 3.0, None, None, tolerances=t).verdict is Verdict.INCONCLUSIVE


def test_overall_order() -> None:
    assert overall([Verdict.UNCHANGED, Verdict.IMPROVED]) is Verdict.IMPROVED
    assert overall([Verdict.IMPROVED, Verdict.INCONCLUSIVE]) is Verdict.INCONCLUSIVE
    assert overall([Verdict.INCONCLUSIVE, Verdict.REGRESSED]) is Verdict.REGRESSED
    assert overall([]) is Verdict.UNCHANGED


def test_an_unconfirmed_improvement_is_no_possible_regression() -> None:
    verdicts = [Verdict.UNCHANGED, Verdict.INCONCLUSIVE]
    assert overall(verdicts, [False, False]) is Verdict.UNCHANGED
    assert overall(verdicts, [False, True]) is Verdict.INCONCLUSIVE


def test_exit_codes_of_a_comparison() -> None:
    from dataclasses import replace

    import numpy as np

    from compare.synthetic import make_run, samples
    from surge.compare import compare_runs
    from surge.metrics import ExitCode
    from surge.runner import comparison_exit

    rng = np.random.default_rng(0)
    comparison = compare_runs(samples([make_run(rng)]), samples([make_run(rng)], 2))
    assert comparison_exit(replace(comparison, verdict=Verdict.REGRESSED), strict=False) == 1
    inconclusive = replace(comparison, verdict=Verdict.INCONCLUSIVE)
    assert comparison_exit(inconclusive, strict=False) is ExitCode.OK
    assert comparison_exit(inconclusive, strict=True) is ExitCode.COMPARE_INCONCLUSIVE == 5
    assert comparison_exit(replace(comparison, verdict=Verdict.IMPROVED), strict=True) == 0
