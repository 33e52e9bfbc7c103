"""CSV reports in Locust's file convention: `PREFIX_stats.csv`, `PREFIX_history.csv`, and
`PREFIX_checks.csv` (one row per check per endpoint), `PREFIX_resources.csv` (one row per
resource sample per source: host, generator, each monitored target) and `PREFIX_protocol.csv`
(one row per WebSocket, SSE or HTTP/2 figure per endpoint: protocols, counts, close codes,
timings).

Headers are stable (columns are only ever appended). Latencies are milliseconds with 3 decimals,
the error and pass rates are ratios (0.0125 means 1.25 %), lines end with "\\n". A cell with no
value (open-model timings of a closed-model run, a timeline second without a target) is empty.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import TextIO

from surge.metrics import EndpointStats, Histogram, RunResult
from surge.report.json_report import (
    MS_DIGITS,
    RATE_DIGITS,
    RATIO_DIGITS,
    SECONDS_DIGITS,
    number,
    redact_text,
)
from surge.report.protocol_rows import protocol_rows
from surge.report.resources_export import write_resources_csv

STATS_HEADER: tuple[str, ...] = (
    "Method",
    "Name",
    "Requests",
    "Failures",
    "Error rate",
    "RPS",
    "Bytes",
    "Min (ms)",
    "Mean (ms)",
    "Stddev (ms)",
    "p50 (ms)",
    "p75 (ms)",
    "p90 (ms)",
    "p95 (ms)",
    "p99 (ms)",
    "p99.9 (ms)",
    "p99.99 (ms)",
    "Max (ms)",
    "Errors",
    "Service p50 (ms)",
    "Service p95 (ms)",
    "Service p99 (ms)",
    "Schedule lag p50 (ms)",
    "Schedule lag p95 (ms)",
    "Schedule lag p99 (ms)",
    "Retries",
)
HISTORY_HEADER: tuple[str, ...] = (
    "Time (s)",
    "Requests",
    "Failures",
    "RPS",
    "p50 (ms)",
    "p95 (ms)",
    "p99 (ms)",
    "Active users",
    "Target",
)
CHECKS_HEADER: tuple[str, ...] = ("Method", "Name", "Check", "Passes", "Fails", "Pass rate")
PROTOCOL_HEADER: tuple[str, ...] = (
    "Method",
    "Name",
    "Kind",
    "Metric",
    "Count",
    "p50 (ms)",
    "p95 (ms)",
    "p99 (ms)",
    "Max (ms)",
)
_TIMING_KEYS = ("p50", "p95", "p99")
_LATENCY_KEYS = ("min", "mean", "stddev", "p50", "p75", "p90", "p95", "p99", "p999", "p9999", "max")


def _fixed(value: float, digits: int) -> str:
    return f"{number(value, digits):.{digits}f}"


def _timings(histogram: Histogram) -> list[str]:
    """p50/p95/p99 of an open-model timing, or empty cells when nothing was timed."""
    if not histogram.total:
        return [""] * len(_TIMING_KEYS)
    summary = histogram.summary_ms()
    return [_fixed(summary[key], MS_DIGITS) for key in _TIMING_KEYS]


def _stats_row(stats: EndpointStats, duration_s: float) -> list[str]:
    summary = stats.latency.summary_ms()
    rps = stats.requests / duration_s if duration_s > 0 else 0.0
    return [
        stats.method,
        redact_text(stats.name),
        str(stats.requests),
        str(stats.failures),
        _fixed(stats.error_rate, RATIO_DIGITS),
        _fixed(rps, RATE_DIGITS),
        str(stats.bytes_received),
        *(_fixed(summary[key], MS_DIGITS) for key in _LATENCY_KEYS),
        ";".join(f"{kind}={count}" for kind, count in sorted(stats.errors.items())),
        *_timings(stats.service_time),
        *_timings(stats.schedule_lag),
        str(stats.retries),
    ]


def write_stats_csv(result: RunResult, fp: TextIO) -> None:
    """One row per endpoint, then a "Total" row. Open `fp` with `newline=""`."""
    writer = csv.writer(fp, lineterminator="\n")
    writer.writerow(STATS_HEADER)
    for stats in result.endpoints:
        writer.writerow(_stats_row(stats, result.duration_s))
    writer.writerow(_stats_row(result.total, result.duration_s))


def write_history_csv(result: RunResult, fp: TextIO) -> None:
    """One row per second of the run (the timeline). Open `fp` with `newline=""`."""
    writer = csv.writer(fp, lineterminator="\n")
    writer.writerow(HISTORY_HEADER)
    for point in result.timeline:
        writer.writerow(
            [
                _fixed(point.t_s, SECONDS_DIGITS),
                str(point.requests),
                str(point.failures),
                _fixed(point.rps, RATE_DIGITS),
                _fixed(point.p50_ms, MS_DIGITS),
                _fixed(point.p95_ms, MS_DIGITS),
                _fixed(point.p99_ms, MS_DIGITS),
                str(point.active_users),
                "" if point.target is None else _fixed(point.target, RATE_DIGITS),
            ]
        )


def write_checks_csv(result: RunResult, fp: TextIO) -> None:
    """One row per check per endpoint (header only when the run had no checks).
    Open `fp` with `newline=""`."""
    writer = csv.writer(fp, lineterminator="\n")
    writer.writerow(CHECKS_HEADER)
    for stats in result.endpoints:
        for name, count in stats.checks.items():
            writer.writerow(
                [
                    stats.method,
                    redact_text(stats.name),
                    redact_text(name),
                    str(count.passes),
                    str(count.fails),
                    _fixed(count.pass_rate, RATIO_DIGITS),
                ]
            )


def write_protocol_csv(result: RunResult, fp: TextIO) -> None:
    """One row per protocol figure per endpoint (`Kind`: protocol, count, close_code, timing;
    the ms cells of timings only). Header only when no endpoint recorded one.
    Open `fp` with `newline=""`."""
    writer = csv.writer(fp, lineterminator="\n")
    writer.writerow(PROTOCOL_HEADER)
    for row in protocol_rows(result.endpoints):
        times = (row.p50_ms, row.p95_ms, row.p99_ms, row.max_ms)
        writer.writerow(
            [
                row.method,
                row.name,
                row.kind.value,
                row.metric,
                str(row.count),
                *("" if value is None else _fixed(value, MS_DIGITS) for value in times),
            ]
        )


def write_csv(result: RunResult, prefix: str) -> list[Path]:
    """Write `PREFIX_stats.csv`, `PREFIX_history.csv`, `PREFIX_checks.csv`,
    `PREFIX_resources.csv` and `PREFIX_protocol.csv`; return their paths.

    The checks, resources and protocol files are written even when empty (header only), so a CI
    step can rely on the set of files.
    """
    written: list[Path] = []
    for suffix, writer in (
        ("stats", write_stats_csv),
        ("history", write_history_csv),
        ("checks", write_checks_csv),
        ("resources", write_resources_csv),
        ("protocol", write_protocol_csv),
    ):
        path = Path(f"{prefix}_{suffix}.csv")
        with path.open("w", newline="", encoding="utf-8") as fp:
            writer(result, fp)
        written.append(path)
    return written
