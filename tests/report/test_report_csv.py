"""CSV reports: golden files, stable headers, Locust's file names."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

import pytest

from surge.metrics import RunResult
from surge.report import write_csv, write_history_csv, write_stats_csv
from surge.report.csv_report import HISTORY_HEADER, STATS_HEADER


def _stats(result: RunResult) -> str:
    out = io.StringIO(newline="")
    write_stats_csv(result, out)
    return out.getvalue()


def _history(result: RunResult) -> str:
    out = io.StringIO(newline="")
    write_history_csv(result, out)
    return out.getvalue()


def test_stats_csv_matches_golden(
    sample: RunResult, assert_golden: Callable[[str, str], None]
) -> None:
    assert_golden("sample_stats.csv", _stats(sample))


def test_history_csv_matches_golden(
    sample: RunResult, assert_golden: Callable[[str, str], None]
) -> None:
    assert_golden("sample_history.csv", _history(sample))


def test_headers_are_stable() -> None:
    assert STATS_HEADER == (
        "Method", "Name", "Requests", "Failures", "Error rate", "RPS", "Bytes",
        "Min (ms)", "Mean (ms)", "Stddev (ms)", "p50 (ms)", "p75 (ms)", "p90 (ms)", "p95 (ms)",
        "p99 (ms)", "p99.9 (ms)", "p99.99 (ms)", "Max (ms)", "Errors",
    )  # fmt: skip
    assert HISTORY_HEADER == (
        "Time (s)", "Requests", "Failures", "RPS", "p50 (ms)", "p95 (ms)", "p99 (ms)",
        "Active users",
    )  # fmt: skip


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


def test_empty_result_writes_headers_and_total(empty: RunResult) -> None:
    rows = list(csv.reader(io.StringIO(_stats(empty))))
    assert rows[0] == list(STATS_HEADER)
    assert rows[1][:4] == ["", "Total", "0", "0"]
    assert _history(empty) == ",".join(HISTORY_HEADER) + "\n"


def test_write_csv_uses_locust_file_names(sample: RunResult, tmp_path: Path) -> None:
    paths = write_csv(sample, str(tmp_path / "run"))
    assert paths == [tmp_path / "run_stats.csv", tmp_path / "run_history.csv"]
    assert paths[0].read_text(encoding="utf-8") == _stats(sample)
    assert paths[1].read_text(encoding="utf-8") == _history(sample)


def test_write_errors_propagate(sample: RunResult, tmp_path: Path) -> None:
    with pytest.raises(OSError):
        write_csv(sample, str(tmp_path / "missing-dir" / "run"))
