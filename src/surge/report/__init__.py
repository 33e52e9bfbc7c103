"""surge.report: functions of a RunResult and a writer (terminal, JSON, CSV, JUnit XML) and the
live view."""

import typing as _typing

from surge.lazy_names import lazy_getattr as _lazy_getattr

if _typing.TYPE_CHECKING:
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

# Each name's module, imported on first use (PEP 562): the live view does not load the HTML
# report, nor `surge --help` any of it.
_LAZY: dict[str, str] = {
    "SCHEMA_VERSION": "surge.report.json_report",
    "LiveView": "surge.report.live",
    "junit_element": "surge.report.junit",
    "print_summary": "surge.report.terminal",
    "render_html": "surge.report.html",
    "result_to_dict": "surge.report.json_report",
    "results_to_dict": "surge.report.json_report",
    "write_checks_csv": "surge.report.csv_report",
    "write_csv": "surge.report.csv_report",
    "write_history_csv": "surge.report.csv_report",
    "write_html": "surge.report.html",
    "write_json": "surge.report.json_report",
    "write_junit": "surge.report.junit",
    "write_results_json": "surge.report.json_report",
    "write_stats_csv": "surge.report.csv_report",
}


__getattr__ = _lazy_getattr(globals(), _LAZY)


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
