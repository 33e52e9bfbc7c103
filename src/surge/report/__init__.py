"""surge.report: functions of a RunResult and a writer (terminal, JSON, CSV, JUnit XML) and the
live view."""

from surge.report.csv_report import (
    write_checks_csv,
    write_csv,
    write_history_csv,
    write_stats_csv,
)
from surge.report.html import render_html, write_html
from surge.report.json_report import (
    SCHEMA_VERSION,
    result_to_dict,
    results_to_dict,
    write_json,
    write_results_json,
)
from surge.report.junit import junit_element, write_junit
from surge.report.live import LiveView
from surge.report.terminal import print_summary

__all__ = [
    "SCHEMA_VERSION",
    "LiveView",
    "junit_element",
    "print_summary",
    "render_html",
    "result_to_dict",
    "results_to_dict",
    "write_checks_csv",
    "write_csv",
    "write_history_csv",
    "write_html",
    "write_json",
    "write_junit",
    "write_results_json",
    "write_stats_csv",
]
