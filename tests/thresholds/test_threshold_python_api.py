"""`surge.Threshold`: keyword limits for scenario scripts, turned into grammar expressions."""

from __future__ import annotations

import math

import pytest

from surge.thresholds import Metric, Op, Selector, Threshold, parse_threshold


def test_each_limit_becomes_its_grammar_expression() -> None:
    threshold = Threshold(
        max_p95_ms=250,
        max_p99_ms=800.5,
        max_mean_ms=100,
        min_throughput_rps=50,
        max_error_rate=0.01,
    )
    assert threshold.expressions() == (
        "p95<=250ms",
        "p99<=800.5ms",
        "mean<=100ms",
        "rps>=50",
        "error_rate<=1%",
    )
    specs = threshold.specs()
    assert [(s.metric, s.op, s.limit) for s in specs] == [
        (Metric.P95, Op.LE, 250.0),
        (Metric.P99, Op.LE, 800.5),
        (Metric.MEAN, Op.LE, 100.0),
        (Metric.RPS, Op.GE, 50.0),
        (Metric.ERROR_RATE, Op.LE, 1.0),
    ]
    assert [s.expression for s in specs] == list(threshold.expressions())


@pytest.mark.parametrize(
    ("rate", "text"),
    [
        (0.07, "error_rate<=7%"),
        (0.001, "error_rate<=0.1%"),
        (0, "error_rate<=0%"),
        (1, "error_rate<=100%"),
    ],
)
def test_error_rate_fraction_is_written_as_a_clean_percent(rate: float, text: str) -> None:
    (expression,) = Threshold(max_error_rate=rate).expressions()
    assert expression == text
    assert parse_threshold(expression).limit == pytest.approx(rate * 100)


def test_endpoint_selects_one_endpoint_for_every_limit() -> None:
    specs = Threshold(max_p95_ms=250, min_throughput_rps=5, endpoint=" GET /api/deals ").specs()
    assert [s.expression for s in specs] == ["GET /api/deals: p95<=250ms", "GET /api/deals: rps>=5"]
    assert {s.selector for s in specs} == {Selector("GET", "/api/deals")}
    name_only = Threshold(max_p99_ms=1, endpoint="/items/{id:int}").specs()
    assert name_only[0].selector == Selector(None, "/items/{id:int}")


def test_abort_and_grace_merge_with_the_caller() -> None:
    (own,) = Threshold(max_p95_ms=1, abort_on_fail=True, grace_s=2).specs(grace_s=30)
    assert (own.abort_on_fail, own.grace_s) == (True, 2)
    (given,) = Threshold(max_p95_ms=1).specs(abort_on_fail=True, grace_s=30, where="s.py:3")
    assert (given.abort_on_fail, given.grace_s, given.where) == (True, 30, "s.py:3")
    (plain,) = Threshold(max_p95_ms=1).specs()
    assert (plain.abort_on_fail, plain.grace_s) == (False, 10.0)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({}, "give at least one limit"),
        ({"max_p95_ms": 0}, "max_p95_ms must be more than 0"),
        ({"max_p99_ms": -1}, "max_p99_ms must be more than 0"),
        ({"max_mean_ms": "200ms"}, "max_mean_ms must be a number"),
        ({"max_p95_ms": True}, "max_p95_ms must be a number"),
        ({"max_p95_ms": math.inf}, "max_p95_ms must be a number"),
        ({"min_throughput_rps": 0}, "min_throughput_rps must be more than 0"),
        ({"max_error_rate": 5}, r"max_error_rate is a fraction between 0 and 1 \(0.01 means 1%\)"),
        ({"max_error_rate": -0.1}, "max_error_rate is a fraction"),
        ({"max_p95_ms": 1, "endpoint": ""}, "endpoint must be a non-empty string"),
        ({"max_p95_ms": 1, "endpoint": 3}, "endpoint must be a non-empty string"),
        ({"max_p95_ms": 1, "abort_on_fail": "yes"}, "abort_on_fail must be True or False"),
        ({"max_p95_ms": 1, "grace_s": -1}, "grace_s must be 0 or more"),
    ],
)
def test_bad_values_raise_a_clear_value_error(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        Threshold(**kwargs)  # type: ignore[arg-type]


def test_threshold_is_a_frozen_value() -> None:
    threshold = Threshold(max_p95_ms=1)
    assert threshold == Threshold(max_p95_ms=1)
    with pytest.raises(AttributeError):
        threshold.max_p95_ms = 2  # type: ignore[misc]
