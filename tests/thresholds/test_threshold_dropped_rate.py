"""`dropped_rate`: open-model drops as a threshold, and the built-in `dropped_rate<1%` of every
open-model run that the user's own `dropped_rate` threshold replaces."""

from __future__ import annotations

import dataclasses

import pytest

from surge.metrics import Arrivals, LoadModel, LoadSummary
from surge.thresholds import (
    OPEN_MODEL_DEFAULTS,
    AbortWatch,
    ThresholdError,
    evaluate,
    parse_threshold,
    parse_thresholds,
    with_defaults,
)
from thresholds.threshold_values import run_result, stats


def _run(dropped: dict[str, int], scheduled: int = 1000):
    load = LoadSummary(
        LoadModel.OPEN, 100.0, 90.0, True, Arrivals(scheduled=scheduled, dropped=dropped)
    )
    return dataclasses.replace(run_result((stats("GET", "/a", [10.0]),)), load=load)


def test_dropped_rate_leaves_out_arrivals_due_after_the_stop() -> None:
    result = _run({"max_in_flight": 45, "stopped": 100}, scheduled=1000)
    (verdict,) = evaluate(parse_thresholds(["dropped_rate<5%"]), result)
    assert verdict.observed == pytest.approx(5.0)  # 45 of the 900 scheduled while live
    assert not verdict.passed and verdict.unit == "%"


def test_no_drops_or_no_load_summary_is_zero() -> None:
    (verdict,) = evaluate(parse_thresholds(["dropped_rate<1%"]), _run({"stopped": 3}))
    assert verdict.observed == 0.0 and verdict.passed
    closed = run_result((stats("GET", "/a", [10.0]),))
    assert evaluate(parse_thresholds(["dropped_rate<1%"]), closed)[0].passed


def test_dropped_rate_takes_no_endpoint_and_never_aborts() -> None:
    with pytest.raises(ThresholdError, match="leave out the endpoint"):
        parse_threshold("GET /a: dropped_rate<1%")
    spec = parse_threshold("dropped_rate<1%", abort_on_fail=True)
    assert not AbortWatch([spec]).armed  # judged at the end, on the run's arrivals


def test_the_default_is_added_to_open_model_runs_only_and_yields_to_the_users() -> None:
    assert OPEN_MODEL_DEFAULTS == ("dropped_rate<1%",)
    mine = parse_thresholds(["p95<200ms"])
    added = with_defaults(mine, open_model=True)
    assert [s.expression for s in added] == ["p95<200ms", "dropped_rate<1%"]
    assert added[-1].where == "default threshold"
    assert with_defaults(mine, open_model=False) == mine
    looser = parse_thresholds(["dropped_rate<5%"])
    assert with_defaults(looser, open_model=True) == looser
