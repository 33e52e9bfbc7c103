"""The threshold grammar: `[SELECTOR:] METRIC OP VALUE`."""

from __future__ import annotations

import pickle

import pytest

from surge.thresholds import (
    DEFAULT_ABORT_GRACE_S,
    METRIC_KINDS,
    Kind,
    Metric,
    Op,
    Selector,
    ThresholdError,
    ThresholdSpec,
    metric_names,
    parse_threshold,
)


def error_of(text: str) -> ThresholdError:
    with pytest.raises(ThresholdError) as caught:
        parse_threshold(text)
    return caught.value


def pointer(error: ThresholdError) -> str:
    """The text above the `^` marks of an error message (what the carets point at)."""
    lines = str(error).splitlines()
    shown, carets = lines[-2], lines[-1]
    start = len(carets) - len(carets.lstrip(" "))
    return shown[start : len(carets)]


def test_a_global_latency_threshold() -> None:
    spec = parse_threshold("p95<200ms")
    assert spec == ThresholdSpec(
        expression="p95<200ms",
        selector=None,
        metric=Metric.P95,
        op=Op.LT,
        limit=200.0,
        abort_on_fail=False,
        grace_s=DEFAULT_ABORT_GRACE_S,
        where=None,
    )
    assert spec.unit == "ms"
    assert spec.kind is Kind.LATENCY


@pytest.mark.parametrize(
    "metric", ["p50", "p75", "p90", "p95", "p99", "p999", "mean", "max", "min"]
)
@pytest.mark.parametrize(
    ("value", "limit_ms"),
    [("500us", 0.5), ("500µs", 0.5), ("200ms", 200.0), ("1.5s", 1500.0), ("2s", 2000.0)],
)
def test_every_latency_metric_and_unit(metric: str, value: str, limit_ms: float) -> None:
    spec = parse_threshold(f"{metric}<{value}")
    assert spec.metric is Metric(metric)
    assert spec.limit == pytest.approx(limit_ms)
    assert spec.unit == "ms"


@pytest.mark.parametrize(("text", "op"), [("<", Op.LT), ("<=", Op.LE), (">", Op.GT), (">=", Op.GE)])
def test_every_operator(text: str, op: Op) -> None:
    assert parse_threshold(f"rps{text}100").op is op


@pytest.mark.parametrize(
    ("op", "observed", "limit", "holds"),
    [
        (Op.LT, 1.0, 2.0, True),
        (Op.LT, 2.0, 2.0, False),
        (Op.LE, 2.0, 2.0, True),
        (Op.LE, 2.1, 2.0, False),
        (Op.GT, 2.0, 2.0, False),
        (Op.GT, 2.1, 2.0, True),
        (Op.GE, 2.0, 2.0, True),
        (Op.GE, 1.9, 2.0, False),
    ],
)
def test_operator_semantics(op: Op, observed: float, limit: float, holds: bool) -> None:
    assert op.holds(observed, limit) is holds


@pytest.mark.parametrize(
    ("text", "metric", "limit", "unit"),
    [
        ("error_rate<1%", Metric.ERROR_RATE, 1.0, "%"),
        ("error_rate<0.5%", Metric.ERROR_RATE, 0.5, "%"),
        ("error_rate<0.01", Metric.ERROR_RATE, 1.0, "%"),  # a bare fraction
        ("error_rate<=1", Metric.ERROR_RATE, 100.0, "%"),
        ("error_rate<=0", Metric.ERROR_RATE, 0.0, "%"),
        ("checks>99%", Metric.CHECKS, 99.0, "%"),
        ("checks>=0.999", Metric.CHECKS, 99.9, "%"),
        ("rps>100", Metric.RPS, 100.0, "rps"),
        ("rps>=12.5/s", Metric.RPS, 12.5, "rps"),
        ("failures<1", Metric.FAILURES, 1.0, "count"),
        ("requests>=1000", Metric.REQUESTS, 1000.0, "count"),
    ],
)
def test_non_latency_metrics(text: str, metric: Metric, limit: float, unit: str) -> None:
    spec = parse_threshold(text)
    assert (spec.metric, spec.unit) == (metric, unit)
    assert spec.limit == pytest.approx(limit)


def test_every_metric_has_a_kind_and_is_listed() -> None:
    assert set(METRIC_KINDS) == set(Metric)
    assert metric_names() == tuple(m.value for m in Metric)


@pytest.mark.parametrize(
    "text",
    ["p95<200ms", " p95 < 200ms ", "p95< 200 ms", "\tp95\t<=\t200ms", "p95 <200ms"],
)
def test_whitespace_around_tokens(text: str) -> None:
    spec = parse_threshold(text)
    assert (spec.metric, spec.limit) == (Metric.P95, 200.0)
    assert spec.expression == text.strip()


@pytest.mark.parametrize(
    ("text", "selector"),
    [
        ("GET /api/deals: p95<500ms", Selector("GET", "/api/deals")),
        ("GET   /api/deals :p95<500ms", Selector("GET", "/api/deals")),
        ("/api/deals: p95<500ms", Selector(None, "/api/deals")),
        ("POST /api/login:p99<1s", Selector("POST", "/api/login")),
        ("/items/{id:int}: p95<5ms", Selector(None, "/items/{id:int}")),
        ("GET /items/{id:int}: rps>1", Selector("GET", "/items/{id:int}")),
        ("SCRIPT Shop.browse: failures<1", Selector("SCRIPT", "Shop.browse")),
        ("search: p95<5ms", Selector(None, "search")),
        ("health check: p95<5ms", Selector(None, "health check")),
    ],
)
def test_selectors(text: str, selector: Selector) -> None:
    assert parse_threshold(text).selector == selector


def test_selector_labels_and_matching() -> None:
    both, name_only = Selector("GET", "/x"), Selector(None, "/x")
    assert (both.label, name_only.label) == ("GET /x", "/x")
    assert both.matches("GET", "/x") and not both.matches("POST", "/x")
    assert name_only.matches("GET", "/x") and name_only.matches("POST", "/x")
    assert not name_only.matches("GET", "/y")


def test_abort_grace_and_where_are_carried() -> None:
    spec = parse_threshold("p95<1s", abort_on_fail=True, grace_s=3.0, where="a.toml:4")
    assert (spec.abort_on_fail, spec.grace_s, spec.where) == (True, 3.0, "a.toml:4")


@pytest.mark.parametrize(
    ("text", "message", "points_at"),
    [
        ("p96<200ms", "unknown metric 'p96'", "p96"),
        ("GET /x: p96<1s", "unknown metric 'p96'", "p96"),
        ("latency<1s", "use one of: p50, p75", "latency"),
        ("p95 == 200ms", "unknown operator '=='; use one of <, <=, >, >=", "=="),
        ("p95 = 200ms", "unknown operator '='", "="),
        ("p95 200ms", "expected an operator (<, <=, >, >=) after 'p95'", "200ms"),
        ("p95<200", "p95 is a latency: add a unit", "200"),
        ("p95<200m", "unknown unit 'm' for p95", "m"),
        ("p95<fast", "p95 needs a number here", "fast"),
        ("p95<-5ms", "p95 needs a number here", "-5ms"),
        ("error_rate<5", "write a percentage with '%', e.g. 5%", "5"),
        ("error_rate<1ms", "error_rate is a percentage", "ms"),
        ("error_rate<101%", "a percentage is at most 100%", "101%"),
        ("rps>10ms", "rps is requests per second", "ms"),
        ("failures<1.5", "failures is a count: write a whole number", "1.5"),
        ("requests>10%", "requests is a count", "%"),
        (": p95<1ms", "the endpoint before ':' is empty", ":"),
        ("<200ms", "expected a metric here", "<200ms"),
    ],
)
def test_errors_name_the_expression_and_point_at_the_bad_text(
    text: str, message: str, points_at: str
) -> None:
    error = error_of(text)
    assert message in error.message
    first = str(error).splitlines()[0]
    assert first.startswith(f"invalid threshold {text.strip()!r}: ")
    assert str(error).splitlines()[-2] == f"    {text.strip()}"
    assert pointer(error) == points_at


def test_missing_value_points_past_the_end() -> None:
    error = error_of("p95 <")
    assert "expected a value after '<', e.g. 200ms" in error.message
    assert str(error).splitlines()[-1] == "         ^"


def test_unknown_metric_suggests_the_closest() -> None:
    assert "did you mean 'error_rate'?" in error_of("eror_rate<1%").message


@pytest.mark.parametrize("text", ["", "   "])
def test_empty_expression(text: str) -> None:
    assert "the threshold is empty" in error_of(text).message


def test_not_a_string() -> None:
    with pytest.raises(ThresholdError, match="must be an expression string") as caught:
        parse_threshold(200, where="--threshold")  # type: ignore[arg-type]
    assert str(caught.value).startswith("--threshold: ")


def test_where_prefixes_the_message_and_survives_pickling() -> None:
    with pytest.raises(ThresholdError) as caught:
        parse_threshold("p95<2", where="scenarios.toml:7")
    error = caught.value
    assert str(error).startswith("scenarios.toml:7: invalid threshold 'p95<2': ")
    copy = pickle.loads(pickle.dumps(error))
    assert str(copy) == str(error)
    assert isinstance(error, ValueError)


def test_specs_are_frozen() -> None:
    spec = parse_threshold("p95<1s")
    with pytest.raises(AttributeError):
        spec.limit = 2.0  # type: ignore[misc]
