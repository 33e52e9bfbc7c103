"""The results JSON contract: golden file, exact keys, HDR round trip, several scenarios."""

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

from surge.metrics import Histogram, RunResult
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

TOP_KEYS = {"schema_version", "meta", "summary", "endpoints", "timeline"}
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
    "status_codes",
    "errors",
    "latency_ms",
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
    "status_codes",
    "errors",
    "error_messages",
    "latency_ms",
    "failure_latency_ms",
    "latency_hdr",
}
TIMELINE_KEYS = {"t_s", "requests", "failures", "rps", "p50_ms", "p95_ms", "p99_ms", "active_users"}


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


def test_json_is_indented_sorted_and_newline_terminated(sample: RunResult) -> None:
    text = _text(sample)
    assert text.endswith("}\n")
    assert text.startswith('{\n  "endpoints": [')
    assert (
        text == json.dumps(_strict_loads(text), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    )


def test_json_has_exactly_the_contract_keys(sample: RunResult) -> None:
    doc = _strict_loads(_text(sample))
    assert set(doc) == TOP_KEYS
    assert doc["schema_version"] == SCHEMA_VERSION == 1
    assert set(doc["meta"]) == META_KEYS
    assert set(doc["summary"]) == SUMMARY_KEYS
    assert set(doc["summary"]["latency_ms"]) == LATENCY_KEYS
    assert doc["endpoints"]
    for endpoint in doc["endpoints"]:
        assert set(endpoint) == ENDPOINT_KEYS
        assert set(endpoint["latency_ms"]) == LATENCY_KEYS
        assert set(endpoint["failure_latency_ms"]) == LATENCY_KEYS
    assert doc["timeline"]
    for point in doc["timeline"]:
        assert set(point) == TIMELINE_KEYS


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
