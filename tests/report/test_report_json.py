"""The results JSON contract: golden files, exact keys, HDR round trip, several scenarios,
checks, thresholds, open-model figures and generator health."""

from __future__ import annotations

import dataclasses
import io
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from surge.metrics import CheckCount, Histogram, RunResult, ThresholdVerdict
from surge.report import (
    SCHEMA_VERSION,
    result_to_dict,
    results_to_dict,
    write_json,
    write_results_json,
)

DOC_PATH = Path(__file__).resolve().parents[2] / "docs" / "results-json.md"
READER_BLOCK = re.compile(r"```python\n(.*?)```", re.S)
EXAMPLE_BLOCK = re.compile(
    r"(<!-- example:start -->\n```json\n)(.*?)(```\n<!-- example:end -->)", re.S
)

TOP_KEYS = {
    "schema_version",
    "meta",
    "summary",
    "endpoints",
    "timeline",
    "thresholds",
    "thresholds_passed",
    "resources",
    "workers",
    "user_classes",
}
USER_CLASS_KEYS = {"name", "users", "iterations", "requests", "rps"}
META_KEYS = {
    "surge_version",
    "name",
    "started_at",
    "finished_at",
    "target",
    "mode",
    "options",
    "insecure",
    "aborted",
    "abort_reason",
}
LATENCY_KEYS = {"min", "mean", "stddev", "p50", "p75", "p90", "p95", "p99", "p999", "p9999", "max"}
SUMMARY_KEYS = {
    "requests",
    "failures",
    "error_rate",
    "rps",
    "duration_s",
    "bytes_received",
    "incomplete",
    "retries",
    "status_codes",
    "errors",
    "latency_ms",
    "checks",
    "service_time_ms",
    "schedule_lag_ms",
    "load",
    "generator",
    "degraded",
}
ENDPOINT_KEYS = {
    "method",
    "name",
    "requests",
    "failures",
    "error_rate",
    "rps",
    "bytes_received",
    "incomplete",
    "retries",
    "status_codes",
    "errors",
    "error_messages",
    "latency_ms",
    "failure_latency_ms",
    "latency_hdr",
    "checks",
    "service_time_ms",
    "schedule_lag_ms",
}
TIMELINE_KEYS = {
    "t_s",
    "requests",
    "failures",
    "rps",
    "p50_ms",
    "p95_ms",
    "p99_ms",
    "active_users",
    "target",
}
THRESHOLD_KEYS = {
    "expression",
    "endpoint",
    "metric",
    "op",
    "limit",
    "unit",
    "observed",
    "passed",
    "abort_on_fail",
}
LOAD_KEYS = {
    "model",
    "offered_rps",
    "achieved_rps",
    "sustained",
    "scheduled",
    "completed",
    "failed",
    "dropped",
    "dropped_total",
    "in_flight_at_end",
    "lost_with_worker",
    "schedule_lag_ms",
    "load_phase_s",
    "graceful_stop_s",
}
GENERATOR_KEYS = {
    "saturated",
    "reasons",
    "cpu_pct_max",
    "cpu_pct_mean",
    "loop_lag_p99_ms",
    "loop_lag_max_ms",
    "schedule_lag_p99_ms",
    "dropped",
    "causes",
    "notes",
    "stalls",
}


def _text(result: RunResult) -> str:
    out = io.StringIO()
    write_json(result, out)
    return out.getvalue()


def _strict_loads(text: str) -> Any:
    def reject(constant: str) -> Any:
        raise AssertionError(f"non-finite number {constant} in JSON")

    return json.loads(text, parse_constant=reject)


def test_json_matches_golden(sample: RunResult, assert_golden: Callable[[str, str], None]) -> None:
    assert_golden("sample.json", _text(sample))


def test_open_model_json_matches_golden(
    open_run: RunResult, assert_golden: Callable[[str, str], None]
) -> None:
    assert_golden("open.json", _text(open_run))


def test_json_is_indented_sorted_and_newline_terminated(sample: RunResult) -> None:
    text = _text(sample)
    assert text.endswith("}\n")
    assert text.startswith('{\n  "endpoints": [')
    assert (
        text == json.dumps(_strict_loads(text), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    )


@pytest.mark.parametrize("kind", ["sample", "open", "refused", "empty"])
def test_json_has_exactly_the_contract_keys(
    kind: str, build: dict[str, Callable[[], RunResult]]
) -> None:
    doc = _strict_loads(_text(build[kind]()))
    assert set(doc) == TOP_KEYS
    assert doc["schema_version"] == SCHEMA_VERSION == 1
    assert set(doc["meta"]) == META_KEYS
    assert set(doc["summary"]) == SUMMARY_KEYS
    assert set(doc["summary"]["latency_ms"]) == LATENCY_KEYS
    for endpoint in doc["endpoints"]:
        assert set(endpoint) == ENDPOINT_KEYS
        assert set(endpoint["latency_ms"]) == LATENCY_KEYS
        assert set(endpoint["failure_latency_ms"]) == LATENCY_KEYS
        for key in ("service_time_ms", "schedule_lag_ms"):
            assert endpoint[key] is None or set(endpoint[key]) == LATENCY_KEYS
    for point in doc["timeline"]:
        assert set(point) == TIMELINE_KEYS
    for verdict in doc["thresholds"]:
        assert set(verdict) == THRESHOLD_KEYS
    for counts in doc["user_classes"]:
        assert set(counts) == USER_CLASS_KEYS
    summary = doc["summary"]
    assert summary["load"] is None or set(summary["load"]) == LOAD_KEYS
    assert summary["generator"] is None or set(summary["generator"]) == GENERATOR_KEYS


def test_user_classes_count_users_iterations_and_requests(sample: RunResult) -> None:
    doc = result_to_dict(sample)
    assert doc["user_classes"] == [
        {"name": "Shopper", "users": 8, "iterations": 60, "requests": 185, "rps": 61.667},
        {"name": "Visitor", "users": 2, "iterations": 30, "requests": 30, "rps": 10.0},
    ]
    assert sum(c["requests"] for c in doc["user_classes"]) == doc["summary"]["requests"]


def test_closed_run_checks_thresholds_load_and_generator(sample: RunResult) -> None:
    doc = result_to_dict(sample)
    orders = next(e for e in doc["endpoints"] if e["name"] == "/api/orders")
    assert orders["checks"] == {
        "body has id": {"passes": 60, "fails": 1, "pass_rate": round(60 / 61, 6)},
        "status is 201": {"passes": 60, "fails": 4, "pass_rate": round(60 / 64, 6)},
    }
    health = next(e for e in doc["endpoints"] if e["name"] == "/health")
    assert health["checks"] == {}
    assert doc["summary"]["checks"]["status is 200"] == {
        "passes": 120,
        "fails": 0,
        "pass_rate": 1.0,
    }
    assert doc["summary"]["service_time_ms"] is None  # closed model: not measured
    assert orders["schedule_lag_ms"] is None
    assert doc["thresholds_passed"] is False
    assert [(v["expression"], v["passed"]) for v in doc["thresholds"]] == [
        ("p95<200ms", True),
        ("error_rate<1%", False),
        ("POST /api/orders: p99<100ms", True),
        ("rps>50", True),
    ]
    failed = doc["thresholds"][1]
    assert failed == {
        "expression": "error_rate<1%",
        "endpoint": None,
        "metric": "error_rate",
        "op": "<",
        "limit": 1.0,
        "unit": "%",
        "observed": 2.3256,  # percent, 4 decimals
        "passed": False,
        "abort_on_fail": True,
    }
    assert doc["thresholds"][2]["endpoint"] == "POST /api/orders"
    assert doc["summary"]["load"]["model"] == "closed"
    assert doc["summary"]["load"]["offered_rps"] is None
    assert doc["summary"]["load"]["schedule_lag_ms"] is None
    assert doc["summary"]["generator"]["saturated"] is False
    assert [p["target"] for p in doc["timeline"]] == [10.0, 10.0, 10.0]


def test_open_run_accounting_timings_and_saturation(open_run: RunResult) -> None:
    doc = result_to_dict(open_run)
    load = doc["summary"]["load"]
    assert load["model"] == "open" and load["sustained"] is False
    assert load["offered_rps"] == 100.0 and load["achieved_rps"] == round(230 / 3, 3)
    assert load["dropped"] == {"max_in_flight": 65, "stopped": 5}
    assert load["dropped_total"] == 70
    assert (load["scheduled"], load["completed"], load["failed"], load["in_flight_at_end"]) == (
        300,
        223,
        3,
        4,
    )
    assert load["scheduled"] == (
        load["completed"] + load["failed"] + load["dropped_total"] + load["in_flight_at_end"]
    )
    assert load["schedule_lag_ms"]["max"] == 735.1  # the last arrival started, still in flight
    deals = next(e for e in doc["endpoints"] if e["name"] == "/api/deals")
    assert set(deals["service_time_ms"]) == LATENCY_KEYS
    # latency runs from the intended send time; service time leaves the lag out
    assert deals["service_time_ms"]["p95"] < 20 < deals["latency_ms"]["p95"]
    assert deals["service_time_ms"]["max"] > 900  # a timed-out request's service time counts
    assert deals["schedule_lag_ms"]["max"] > 100
    assert doc["summary"]["service_time_ms"]["max"] <= 1000.0
    generator = doc["summary"]["generator"]
    assert generator["saturated"] is True
    assert generator["reasons"] == [
        "generator CPU ≥ 90% for 2 s (peak 99%)",
        "65 arrivals dropped (max_in_flight: 65)",
    ]
    assert generator["dropped"] == 65
    assert generator["schedule_lag_p99_ms"] == pytest.approx(load["schedule_lag_ms"]["p99"])
    assert [p["target"] for p in doc["timeline"]] == [100.0, 100.0, 100.0]
    assert doc["thresholds_passed"] is True


def test_results_without_verdicts_have_nulls_and_empty_lists(refused: RunResult) -> None:
    doc = result_to_dict(refused)
    assert doc["thresholds"] == [] and doc["thresholds_passed"] is True
    assert doc["summary"]["load"] is None and doc["summary"]["generator"] is None
    assert doc["summary"]["checks"] == {}
    assert [p["target"] for p in doc["timeline"]] == [None]


def test_threshold_with_nothing_measured_is_null(sample: RunResult) -> None:
    verdict = ThresholdVerdict("GET /x: p95<1s", "GET /x", "p95", "<", 1000.0, "ms", None, False)
    doc = _strict_loads(_text(dataclasses.replace(sample, thresholds=(verdict,))))
    assert doc["thresholds"][0]["observed"] is None
    assert doc["thresholds_passed"] is False


def test_json_counts_and_maps(sample: RunResult) -> None:
    doc = result_to_dict(sample)
    summary = doc["summary"]
    assert summary["requests"] == 215
    assert summary["failures"] == 5
    assert summary["status_codes"] == {"200": 151, "201": 60, "503": 3}
    assert summary["errors"] == {"check": 1, "http_status": 3, "timeout": 1}
    orders = next(e for e in doc["endpoints"] if e["name"] == "/api/orders")
    assert orders["error_messages"]["timeout: read timeout"] == 1
    assert orders["error_rate"] == round(5 / 65, 6)
    assert [p["active_users"] for p in doc["timeline"]] == [5, 10, 10]


def test_latency_hdr_decodes_to_the_same_counts(sample: RunResult) -> None:
    doc = result_to_dict(sample)
    for endpoint, stats in zip(doc["endpoints"], sample.endpoints, strict=True):
        decoded = Histogram.decode(endpoint["latency_hdr"])
        assert decoded.total == stats.latency.total == stats.requests - stats.failures
        assert np.array_equal(decoded.indices, stats.latency.indices)
        assert np.array_equal(decoded.counts, stats.latency.counts)


def test_failures_never_enter_latency(sample: RunResult) -> None:
    doc = result_to_dict(sample)
    success_max_ms = max(stats.latency.max_us for stats in sample.endpoints) / 1000
    assert doc["summary"]["latency_ms"]["max"] == pytest.approx(success_max_ms)
    assert doc["summary"]["latency_ms"]["max"] < 100  # the 30 s timeout is not in it
    orders = next(e for e in doc["endpoints"] if e["name"] == "/api/orders")
    assert orders["latency_ms"]["max"] < 100
    assert orders["failure_latency_ms"]["max"] == 30_000.0


@pytest.mark.parametrize("kind", ["empty", "refused"])
def test_zero_success_results_have_finite_numbers(
    kind: str, build: dict[str, Callable[[], RunResult]]
) -> None:
    result = build[kind]()
    doc = _strict_loads(_text(result))
    assert doc["summary"]["latency_ms"] == dict.fromkeys(LATENCY_KEYS, 0.0)
    assert Histogram.decode(result.total.latency.encode()).total == 0
    for endpoint in doc["endpoints"]:
        assert endpoint["latency_ms"]["max"] == 0.0


def test_empty_result_document(empty: RunResult) -> None:
    doc = result_to_dict(empty)
    assert doc["endpoints"] == [] and doc["timeline"] == []
    assert doc["summary"]["rps"] == 0.0 and doc["summary"]["error_rate"] == 0.0


def test_single_result_is_the_plain_document(sample: RunResult) -> None:
    assert results_to_dict([sample]) == result_to_dict(sample)


def test_several_results_use_the_scenarios_wrapper(sample: RunResult, refused: RunResult) -> None:
    doc = results_to_dict([sample, refused])
    assert doc == {
        "schema_version": 1,
        "scenarios": [result_to_dict(sample), result_to_dict(refused)],
    }
    out = io.StringIO()
    write_results_json([sample, refused], out)
    assert _strict_loads(out.getvalue()) == doc


def test_no_results_is_an_error() -> None:
    with pytest.raises(ValueError, match="at least one"):
        results_to_dict([])


def test_secrets_are_redacted(sample: RunResult) -> None:
    meta = dataclasses.replace(
        sample.meta,
        target="https://alice:hunter2@api.example.com/v1?api_key=abc123&page=2",
        options={
            "headers": {"Authorization": "Bearer s3cr3t", "Accept": "application/json"},
            "header": ["Cookie: sid=s3cr3t", "X-Trace: 1"],
            "auth_token": "s3cr3t",
            "password": None,
            "timeout_s": float("inf"),
            "paths": ("/a", "/b"),
        },
    )
    text = _text(dataclasses.replace(sample, meta=meta))
    assert "hunter2" not in text and "abc123" not in text and "s3cr3t" not in text
    doc = _strict_loads(text)
    assert doc["meta"]["target"] == "https://***@api.example.com/v1?api_key=***&page=2"
    options = doc["meta"]["options"]
    assert options["headers"] == {"Authorization": "***", "Accept": "application/json"}
    assert options["header"] == ["Cookie: ***", "X-Trace: 1"]
    assert options["auth_token"] == "***"
    assert options["password"] is None
    assert options["timeout_s"] is None
    assert options["paths"] == ["/a", "/b"]


def test_user_text_in_verdicts_and_checks_is_redacted(sample: RunResult) -> None:
    verdict = ThresholdVerdict(
        "GET /a?token=s3cr3t: p95<1s", "GET /a?token=s3cr3t", "p95", "<", 1000.0, "ms", 5.0, True
    )
    items = sample.endpoints[0]
    leaky = dataclasses.replace(
        items,
        checks={
            "redirects to https://bob:s3cr3t@h/": CheckCount(2, 1),
            "redirects to https://eve:0th3r@h/": CheckCount(3, 0),
        },
    )
    meta = dataclasses.replace(sample.meta, aborted=True, abort_reason="threshold ?api_key=s3cr3t")
    result = dataclasses.replace(
        sample, meta=meta, thresholds=(verdict,), endpoints=(leaky, *sample.endpoints[1:])
    )
    text = _text(result)
    assert "s3cr3t" not in text and "0th3r" not in text
    doc = _strict_loads(text)
    # the value ends before the selector's ':' (which stays), not at the next blank
    assert doc["thresholds"][0]["expression"] == "GET /a?token=***: p95<1s"
    assert doc["thresholds"][0]["endpoint"] == "GET /a?token=***"
    # both names redact to the same text: their counts merge
    assert doc["endpoints"][0]["checks"] == {
        "redirects to https://***@h/": {"passes": 5, "fails": 1, "pass_rate": round(5 / 6, 6)}
    }
    assert doc["meta"]["abort_reason"] == "threshold ?api_key=***"


class _BrokenWriter(io.StringIO):
    def write(self, s: str) -> int:
        raise OSError(28, "No space left on device")


def test_write_errors_propagate(sample: RunResult) -> None:
    with pytest.raises(OSError, match="No space left"):
        write_json(sample, _BrokenWriter())


def test_docs_example_is_the_fixture_document(sample: RunResult, regenerating: bool) -> None:
    """docs/results-json.md shows the real document of the test fixture (regenerated with
    SURGE_REGEN_GOLDEN=1 like the golden files)."""
    text = _text(sample)
    doc_text = DOC_PATH.read_text(encoding="utf-8")
    match = EXAMPLE_BLOCK.search(doc_text)
    assert match, f"{DOC_PATH} lacks the <!-- example:start --> json block"
    if regenerating:
        DOC_PATH.write_text(
            doc_text[: match.start(2)] + text + doc_text[match.end(2) :], encoding="utf-8"
        )
        return
    assert match.group(2) == text, "docs example is stale: run with SURGE_REGEN_GOLDEN=1"


@pytest.mark.parametrize("scenarios", [1, 2])
def test_docs_reader_snippet_runs(
    sample: RunResult,
    scenarios: int,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    match = READER_BLOCK.search(DOC_PATH.read_text(encoding="utf-8"))
    assert match, "docs/results-json.md lacks the python reader example"
    with (tmp_path / "result.json").open("w", encoding="utf-8") as fp:
        write_results_json([sample] * scenarios, fp)
    monkeypatch.chdir(tmp_path)
    exec(compile(match.group(1), str(DOC_PATH), "exec"), {})
    assert capsys.readouterr().out == "checkout 64.191 ms\n" * scenarios
