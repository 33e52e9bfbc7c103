"""From user input to ThresholdSpecs: `--threshold` texts, scenario entries, and validation
against the endpoints a run will have."""

from __future__ import annotations

import pytest

from surge.scenario.model import ThresholdEntry
from surge.thresholds import (
    DEFAULT_ABORT_GRACE_S,
    Selector,
    Threshold,
    ThresholdError,
    parse_threshold,
    parse_thresholds,
    specs_from_entries,
    validate,
    with_abort,
)


def test_command_line_thresholds_name_the_option_in_errors() -> None:
    specs = parse_thresholds(["p95<200ms", "error_rate<1%"], abort_on_fail=True, grace_s=3)
    assert [s.expression for s in specs] == ["p95<200ms", "error_rate<1%"]
    assert all(s.abort_on_fail and s.grace_s == 3 and s.where == "--threshold" for s in specs)
    with pytest.raises(ThresholdError) as caught:
        parse_thresholds(["p95<200ms", "p95<<1s"])
    assert str(caught.value).startswith("--threshold: invalid threshold 'p95<<1s': ")


def test_entries_of_strings_and_threshold_objects() -> None:
    entries = [
        ThresholdEntry("p95<200ms", "scenarios.toml:4"),
        ThresholdEntry("error_rate<1%", "scenarios.toml:5", abort_on_fail=True, grace_s=2.0),
        ThresholdEntry(Threshold(max_p99_ms=900, min_throughput_rps=10), "shop.py:12"),
    ]
    specs = specs_from_entries(entries)
    assert [(s.expression, s.where) for s in specs] == [
        ("p95<200ms", "scenarios.toml:4"),
        ("error_rate<1%", "scenarios.toml:5"),
        ("p99<=900ms", "shop.py:12"),
        ("rps>=10", "shop.py:12"),
    ]
    assert [(s.abort_on_fail, s.grace_s) for s in specs] == [
        (False, DEFAULT_ABORT_GRACE_S),
        (True, 2.0),
        (False, DEFAULT_ABORT_GRACE_S),
        (False, DEFAULT_ABORT_GRACE_S),
    ]


def test_global_abort_and_grace_apply_unless_the_entry_sets_its_own() -> None:
    entries = [
        ThresholdEntry("p95<1s", "a.toml:1"),
        ThresholdEntry("p99<1s", "a.toml:2", grace_s=1.0),
        ThresholdEntry(Threshold(max_p95_ms=5, grace_s=4.0), "s.py:3"),
    ]
    specs = specs_from_entries(entries, abort_on_fail=True, grace_s=30.0)
    assert all(s.abort_on_fail for s in specs)
    assert [s.grace_s for s in specs] == [30.0, 1.0, 4.0]


def test_entry_errors_name_where_the_entry_is() -> None:
    with pytest.raises(ThresholdError) as caught:
        specs_from_entries([ThresholdEntry("GET /x: p69<1s", "scenarios.toml:12")])
    text = str(caught.value)
    assert text.startswith("scenarios.toml:12: invalid threshold 'GET /x: p69<1s': unknown metric")
    assert text.splitlines()[-1] == "            ^^^"

    with pytest.raises(ThresholdError, match=r"^shop.py:7: a threshold must be an expression"):
        specs_from_entries([ThresholdEntry(42, "shop.py:7")])


def test_with_abort_marks_every_spec() -> None:
    specs = with_abort([parse_threshold("p95<1s"), parse_threshold("p99<2s", grace_s=1)])
    assert all(s.abort_on_fail for s in specs)
    assert [s.grace_s for s in specs] == [DEFAULT_ABORT_GRACE_S, 1]
    regraced = with_abort(specs, grace_s=7.5)
    assert [s.grace_s for s in regraced] == [7.5, 7.5]


KNOWN = {("GET", "/api/products"), ("POST", "/api/login"), ("GET", "/api/login")}


@pytest.mark.parametrize(
    "text",
    ["p95<1s", "GET /api/products: p95<1s", "/api/login: p95<1s", "POST /api/login: rps>1"],
)
def test_selectors_of_known_endpoints_validate(text: str) -> None:
    validate([parse_threshold(text)], KNOWN)


def test_an_unknown_endpoint_is_rejected_with_the_known_ones_listed() -> None:
    spec = parse_threshold("GET /api/product: p95<1s", where="--threshold")
    with pytest.raises(ThresholdError) as caught:
        validate([spec], KNOWN)
    error = caught.value
    assert "no endpoint 'GET /api/product' in this run" in error.message
    assert "known endpoints: GET /api/login, GET /api/products, POST /api/login" in error.message
    assert "did you mean 'GET /api/products'?" in error.message
    lines = str(error).splitlines()
    assert lines[0].startswith("--threshold: invalid threshold 'GET /api/product: p95<1s'")
    assert lines[-1] == "    " + "^" * len("GET /api/product")


def test_a_method_that_the_endpoint_lacks_is_rejected() -> None:
    with pytest.raises(ThresholdError, match="no endpoint 'DELETE /api/login'"):
        validate([parse_threshold("DELETE /api/login: p95<1s")], KNOWN)


def test_unknown_endpoints_pass_validation_when_endpoints_are_dynamic() -> None:
    validate([parse_threshold("GET /anything: p95<1s")], None)


def test_validation_with_no_known_endpoints() -> None:
    with pytest.raises(ThresholdError, match=r"known endpoints: \(none\)"):
        validate([parse_threshold("/x: p95<1s")], set())


def test_selector_of_a_python_threshold_is_validated_too() -> None:
    (spec,) = Threshold(max_p95_ms=100, endpoint="/api/logn").specs()
    assert spec.selector == Selector(None, "/api/logn")
    with pytest.raises(ThresholdError, match="did you mean '/api/login'"):
        validate([spec], KNOWN)
