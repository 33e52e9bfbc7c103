"""CSV reports: golden files, stable headers, Locust's file names."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

import pytest

from surge.metrics import RunResult
from surge.report import write_checks_csv, write_csv, write_history_csv, write_stats_csv
from surge.report.csv_report import CHECKS_HEADER, HISTORY_HEADER, STATS_HEADER


def _stats(result: RunResult) -> str:
    out = io.StringIO(newline="")
    write_stats_csv(result, out)
    return out.getvalue()


def _history(result: RunResult) -> str:
    out = io.StringIO(newline="")
    write_history_csv(result, out)
    return out.getvalue()


def _checks(result: RunResult) -> str:
    out = io.StringIO(newline="")
    write_checks_csv(result, out)
    return out.getvalue()


@pytest.mark.parametrize("kind", ["sample", "open"])
def test_csv_files_match_golden(
    kind: str,
    build: dict[str, Callable[[], RunResult]],
    assert_golden: Callable[[str, str], None],
) -> None:
    result = build[kind]()
    assert_golden(f"{kind}_stats.csv", _stats(result))
    assert_golden(f"{kind}_history.csv", _history(result))
    assert_golden(f"{kind}_checks.csv", _checks(result))


def test_headers_are_stable() -> None:
    assert STATS_HEADER == (
        "Method", "Name", "Requests", "Failures", "Error rate", "RPS", "Bytes",
        "Min (ms)", "Mean (ms)", "Stddev (ms)", "p50 (ms)", "p75 (ms)", "p90 (ms)", "p95 (ms)",
        "p99 (ms)", "p99.9 (ms)", "p99.99 (ms)", "Max (ms)", "Errors",
        "Service p50 (ms)", "Service p95 (ms)", "Service p99 (ms)",
        "Schedule lag p50 (ms)", "Schedule lag p95 (ms)", "Schedule lag p99 (ms)", "Retries",
    )  # fmt: skip
    assert HISTORY_HEADER == (
        "Time (s)", "Requests", "Failures", "RPS", "p50 (ms)", "p95 (ms)", "p99 (ms)",
        "Active users", "Target",
    )  # fmt: skip
    assert CHECKS_HEADER == ("Method", "Name", "Check", "Passes", "Fails", "Pass rate")


def test_stats_rows_end_with_total(sample: RunResult) -> None:
    rows = list(csv.DictReader(io.StringIO(_stats(sample))))
    assert [row["Name"] for row in rows] == ["/api/items", "/health", "/api/orders", "Total"]
    total = rows[-1]
    assert total["Requests"] == "215" and total["Failures"] == "5"
    assert total["Errors"] == "check=1;http_status=3;timeout=1"
    assert float(total["Max (ms)"]) < 100  # the 30 s timeout is a failure, not a latency


def test_history_has_one_row_per_second(sample: RunResult) -> None:
    rows = list(csv.DictReader(io.StringIO(_history(sample))))
    assert [row["Time (s)"] for row in rows] == ["1.000", "2.000", "3.000"]
    assert [row["Active users"] for row in rows] == ["5", "10", "10"]
    assert [row["Target"] for row in rows] == ["10.000"] * 3


def test_checks_csv_has_one_row_per_check_per_endpoint(sample: RunResult) -> None:
    rows = list(csv.DictReader(io.StringIO(_checks(sample))))
    assert [(r["Method"], r["Name"], r["Check"], r["Passes"], r["Fails"]) for r in rows] == [
        ("GET", "/api/items", "status is 200", "120", "0"),
        ("POST", "/api/orders", "body has id", "60", "1"),
        ("POST", "/api/orders", "status is 201", "60", "4"),
    ]
    assert rows[2]["Pass rate"] == "0.937500"


def test_open_model_timing_columns(sample: RunResult, open_run: RunResult) -> None:
    timing = [h for h in STATS_HEADER if h.startswith(("Service", "Schedule lag"))]
    for row in csv.DictReader(io.StringIO(_stats(sample))):
        assert [row[h] for h in timing] == [""] * 6  # closed model: not measured
    rows = {row["Name"]: row for row in csv.DictReader(io.StringIO(_stats(open_run)))}
    deals = rows["/api/deals"]
    assert float(deals["Service p95 (ms)"]) < 20 < float(deals["p95 (ms)"])
    assert float(deals["Schedule lag p99 (ms)"]) > 100
    assert rows["Total"]["Service p50 (ms)"] != ""
    history = list(csv.DictReader(io.StringIO(_history(open_run))))
    assert [row["Target"] for row in history] == ["100.000"] * 3


def test_empty_result_writes_headers_and_total(empty: RunResult) -> None:
    rows = list(csv.reader(io.StringIO(_stats(empty))))
    assert rows[0] == list(STATS_HEADER)
    assert rows[1][:4] == ["", "Total", "0", "0"]
    assert _history(empty) == ",".join(HISTORY_HEADER) + "\n"
    assert _checks(empty) == ",".join(CHECKS_HEADER) + "\n"


def test_write_csv_uses_locust_file_names(sample: RunResult, tmp_path: Path) -> None:
    paths = write_csv(sample, str(tmp_path / "run"))
    assert paths == [
        tmp_path / "run_stats.csv",
        tmp_path / "run_history.csv",
        tmp_path / "run_checks.csv",
        tmp_path / "run_resources.csv",
        tmp_path / "run_protocol.csv",
    ]
    assert paths[0].read_text(encoding="utf-8") == _stats(sample)
    assert paths[1].read_text(encoding="utf-8") == _history(sample)
    assert paths[2].read_text(encoding="utf-8") == _checks(sample)


def test_write_errors_propagate(sample: RunResult, tmp_path: Path) -> None:
    with pytest.raises(OSError):
        write_csv(sample, str(tmp_path / "missing-dir" / "run"))
