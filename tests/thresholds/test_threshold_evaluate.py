"""Judging thresholds on hand-built RunResults and running totals, and abort-on-fail."""

from __future__ import annotations

import pytest

from surge.metrics import CheckCount, ThresholdVerdict
from surge.thresholds import (
    AbortWatch,
    Selector,
    Threshold,
    abort_reason,
    evaluate,
    evaluate_stats,
    parse_threshold,
    select,
)
from thresholds.threshold_values import run_result, stats, total_of

# 100 successes of 1..100 ms: p50 = 50 ms, p95 = 95 ms, max = 100 ms, mean = 50.5 ms
DEALS = stats("GET", "/api/deals", range(1, 101), failures=2)
DEALS_POST = stats("POST", "/api/deals", [500.0] * 10)
LOGIN = stats(
    "POST",
    "/api/login",
    [20.0] * 8,
    checks={"status is 200": CheckCount(7, 1), "has token": CheckCount(8, 0)},
)
RESULT = run_result((DEALS, DEALS_POST, LOGIN), duration_s=10.0)


def verdict(text: str) -> ThresholdVerdict:
    (only,) = evaluate([parse_threshold(text)], RESULT)
    return only


@pytest.mark.parametrize(
    ("text", "observed"),
    [
        ("GET /api/deals: p50<1s", 50.0),
        ("GET /api/deals: p75<1s", 75.0),
        ("GET /api/deals: p90<1s", 90.0),
        ("GET /api/deals: p95<1s", 95.0),
        ("GET /api/deals: p99<1s", 99.0),
        ("GET /api/deals: p999<1s", 100.0),
        ("GET /api/deals: mean<1s", 50.5),
        ("GET /api/deals: max<1s", 100.0),
        ("GET /api/deals: min<1s", 1.0),
        ("GET /api/deals: error_rate<5%", 2 / 102 * 100),
        ("GET /api/deals: rps>1", 10.2),
        ("GET /api/deals: failures<5", 2.0),
        ("GET /api/deals: requests>5", 102.0),
        ("POST /api/login: checks>90%", 15 / 16 * 100),
    ],
)
def test_every_metric_is_observed_on_its_endpoint(text: str, observed: float) -> None:
    result = verdict(text)
    assert result.observed == pytest.approx(observed, rel=1e-3)
    assert result.passed is True


def test_a_verdict_carries_the_spec() -> None:
    result = verdict("GET /api/deals: p95 < 90ms")
    assert result == ThresholdVerdict(
        expression="GET /api/deals: p95 < 90ms",
        endpoint="GET /api/deals",
        metric="p95",
        op="<",
        limit=90.0,
        unit="ms",
        observed=pytest.approx(95.0, rel=1e-3),  # type: ignore[arg-type]
        passed=False,
        abort_on_fail=False,
    )


def test_global_thresholds_read_the_total() -> None:
    total = RESULT.total
    assert verdict("requests>=120").observed == 120.0
    assert verdict("failures<1").passed is False
    assert verdict("error_rate<2%").observed == pytest.approx(2 / 120 * 100)
    assert verdict("rps>=12").observed == pytest.approx(12.0)
    assert verdict("max<=500ms").observed == pytest.approx(500.0, rel=1e-3)
    assert verdict("checks>=90%").observed == pytest.approx(15 / 16 * 100)
    assert verdict("p95<1s").endpoint is None
    assert total.requests == 120


def test_a_name_only_selector_merges_all_methods_of_that_name() -> None:
    merged = verdict("/api/deals: requests>=112")
    assert merged.observed == 112.0
    assert merged.endpoint == "/api/deals"
    assert verdict("/api/deals: max<=500ms").observed == pytest.approx(500.0, rel=1e-3)
    assert verdict("/api/deals: p50<100ms").observed == pytest.approx(55.0, rel=1e-2)


def test_select() -> None:
    endpoints = RESULT.endpoints
    assert select(Selector("GET", "/api/deals"), endpoints) is DEALS
    assert select(Selector(None, "/api/login"), endpoints) is LOGIN
    assert select(Selector("DELETE", "/api/deals"), endpoints) is None
    merged = select(Selector(None, "/api/deals"), endpoints)
    assert merged is not None and merged.requests == 112


@pytest.mark.parametrize(
    "text",
    [
        "GET /api/nowhere: p95<1s",  # an endpoint that never ran (scripted runs)
        "GET /api/nowhere: failures<1",
        "POST /api/deals: checks>0%",  # nothing was checked
    ],
)
def test_nothing_to_measure_fails_with_observed_none(text: str) -> None:
    result = verdict(text)
    assert result.observed is None
    assert result.passed is False


def test_a_percentile_without_any_success_fails() -> None:
    down = stats("GET", "/down", failures=5)
    (result,) = evaluate([parse_threshold("p95<1s")], run_result((down,)))
    assert result.observed is None and result.passed is False
    (rate,) = evaluate([parse_threshold("error_rate<=100%")], run_result((down,)))
    assert rate.observed == 100.0 and rate.passed is True


def test_no_request_at_all() -> None:
    empty = run_result((), duration_s=0.0)
    texts = ["error_rate<1%", "rps>0", "failures<1", "requests>=0", "checks>99%"]
    verdicts = evaluate([parse_threshold(t) for t in texts], empty)
    assert [v.observed for v in verdicts] == [None, None, 0.0, 0.0, None]
    assert [v.passed for v in verdicts] == [False, False, True, True, False]


def test_evaluate_keeps_order_and_python_thresholds_work_the_same() -> None:
    specs = (*Threshold(max_p95_ms=100, max_error_rate=0.01).specs(), parse_threshold("rps>1"))
    verdicts = evaluate(specs, RESULT)
    assert [v.expression for v in verdicts] == ["p95<=100ms", "error_rate<=1%", "rps>1"]
    assert [v.passed for v in verdicts] == [False, False, True]  # p95 of 500 ms calls, 1.67% err


def test_evaluate_stats_uses_the_elapsed_time_for_rps() -> None:
    (spec,) = [parse_threshold("rps>=10")]
    endpoints = (DEALS,)
    (slow,) = evaluate_stats([spec], endpoints, total_of(endpoints), elapsed_s=20.0)
    (fast,) = evaluate_stats([spec], endpoints, total_of(endpoints), elapsed_s=5.0)
    assert (slow.observed, slow.passed) == (pytest.approx(5.1), False)
    assert (fast.observed, fast.passed) == (pytest.approx(20.4), True)


class TestAbortWatch:
    def watch(self, *texts: str, grace_s: float = 5.0) -> AbortWatch:
        """Watch `texts`, abort-on-fail unless marked with a leading `!`."""
        specs = [
            parse_threshold(t.lstrip("!"), abort_on_fail=not t.startswith("!"), grace_s=grace_s)
            for t in texts
        ]
        return AbortWatch(specs)

    def check(self, watch: AbortWatch, elapsed_s: float) -> ThresholdVerdict | None:
        return watch.check((DEALS,), total_of((DEALS,)), elapsed_s)

    def test_nothing_aborts_during_the_grace_period(self) -> None:
        watch = self.watch("p95<10ms", grace_s=5.0)
        assert watch.armed
        assert self.check(watch, 0.0) is None
        assert self.check(watch, 4.99) is None
        lost = self.check(watch, 5.0)
        assert lost is not None
        assert lost.expression == "p95<10ms"
        assert lost.abort_on_fail is True
        assert lost.observed == pytest.approx(95.0, rel=1e-3)

    def test_thresholds_that_hold_do_not_abort(self) -> None:
        watch = self.watch("p95<1s", "error_rate<5%")
        assert self.check(watch, 60.0) is None

    def test_the_first_lost_threshold_is_returned(self) -> None:
        watch = self.watch("p95<1s", "error_rate<1%", "p99<10ms")
        lost = self.check(watch, 10.0)
        assert lost is not None and lost.expression == "error_rate<1%"

    def test_each_threshold_has_its_own_grace(self) -> None:
        watch = AbortWatch(
            [
                parse_threshold("p95<10ms", abort_on_fail=True, grace_s=30.0),
                parse_threshold("failures<1", abort_on_fail=True, grace_s=2.0),
            ]
        )
        lost = self.check(watch, 3.0)
        assert lost is not None and lost.expression == "failures<1"

    def test_thresholds_without_abort_on_fail_are_not_watched(self) -> None:
        watch = self.watch("!p95<10ms")
        assert not watch.armed
        assert self.check(watch, 100.0) is None

    def test_lower_bounds_on_growing_counts_never_abort(self) -> None:
        watch = self.watch("requests>1000", "failures>=5")
        assert not watch.armed
        assert self.check(watch, 100.0) is None

    def test_rps_is_judged_on_running_totals(self) -> None:
        watch = self.watch("rps>=10")
        assert self.check(watch, 10.0) is None  # 102 requests in 10 s
        lost = self.check(watch, 20.0)  # the same 102 requests after 20 s: 5.1/s
        assert lost is not None and lost.observed == pytest.approx(5.1)

    def test_nothing_measured_yet_does_not_abort(self) -> None:
        watch = self.watch("GET /later: p95<1ms", "checks>99%")
        assert self.check(watch, 60.0) is None

    def test_abort_reason_names_expression_time_and_observed(self) -> None:
        lost = self.check(self.watch("GET /api/deals: p95<10ms"), 12.4)
        assert lost is not None
        assert abort_reason(lost, 12.4) == (
            "threshold GET /api/deals: p95<10ms failed after 12s (observed 95 ms)"
        )
        rate = self.check(self.watch("error_rate<1%"), 6.0)
        assert rate is not None
        assert abort_reason(rate, 6.0).endswith("(observed 1.96%)")
