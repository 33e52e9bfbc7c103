"""The HTML report of one or more runs: `render_html(results) -> str`, `write_html(results, fp)`.

One self-contained file; a file of several scenarios gets one section per scenario, in order, with
a table of contents. Numbers are those of the JSON results document (same sources, same
redaction).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from html import escape
from typing import Any, TextIO

from surge.metrics import EndpointStats, RunResult
from surge.redaction import redact_text
from surge.report.html.bench_section import benches_part
from surge.report.html.page import (
    Cell,
    Column,
    Tone,
    card,
    cards,
    document,
    grid,
    heading,
    paragraph,
    section,
    table,
)
from surge.report.html.protocol_section import protocol_part
from surge.report.html.resources_section import resources_parts
from surge.report.html.run_charts import (
    concurrency_chart,
    endpoint_latency_chart,
    error_class_chart,
    label,
    latency_chart,
    run_distribution_chart,
    status_chart,
    throughput_chart,
)
from surge.report.html.verdicts import (
    generator_part,
    load_part,
    meta_facts,
    thresholds_part,
    verdict_badges,
    workers_part,
)
from surge.report.humanize import (
    NO_VALUE,
    fmt_bytes,
    fmt_count,
    fmt_duration,
    fmt_ms,
    fmt_pass_rate,
    fmt_percent,
    fmt_rate,
)
from surge.report.json_report import result_to_dict

TOP_ERROR_MESSAGES = 20
_LATENCY_KEYS = (
    ("p50", "p50"),
    ("p90", "p90"),
    ("p95", "p95"),
    ("p99", "p99"),
    ("p99.9", "p999"),
    ("Max", "max"),
    ("Mean", "mean"),
)


def _ms_cell(stats: EndpointStats, summary: dict[str, float], key: str) -> Cell:
    if stats.latency.total == 0:
        return Cell(NO_VALUE, -1.0, numeric=True)
    return Cell(fmt_ms(summary[key]), summary[key], numeric=True)


def _endpoint_row(stats: EndpointStats, duration_s: float, *, total: bool = False) -> list[Cell]:
    summary = stats.latency.summary_ms()
    rps = stats.requests / duration_s if duration_s > 0 else 0.0
    retried = f" (+{fmt_count(stats.retries)} re-sent)" if stats.retries else ""
    failures = Cell(
        fmt_count(stats.failures) + retried,
        stats.failures,
        numeric=True,
        css="fail" if stats.failures else "",
    )
    return [
        Cell("" if total else stats.method),
        Cell("Total" if total else redact_text(stats.name), css="name"),
        Cell(fmt_count(stats.requests), stats.requests, numeric=True),
        failures,
        Cell(fmt_percent(stats.error_rate), stats.error_rate, numeric=True),
        Cell(fmt_rate(rps), rps, numeric=True),
        *(_ms_cell(stats, summary, key) for _, key in _LATENCY_KEYS),
        Cell(fmt_bytes(stats.bytes_received), stats.bytes_received, numeric=True),
    ]


def endpoints_part(result: RunResult, anchor: str) -> str:
    columns = [
        Column("Method"),
        Column("Endpoint"),
        Column("Requests", True),
        Column("Failures", True),
        Column("Errors", True),
        Column("req/s", True),
        *(Column(title, True) for title, _ in _LATENCY_KEYS),
        Column("Received", True),
    ]
    rows = [_endpoint_row(e, result.duration_s) for e in result.endpoints]
    if not rows:
        return paragraph("No request completed.", "note")
    footer = _endpoint_row(result.total, result.duration_s, total=True)
    note = paragraph(
        "Latency columns are of successful requests; click a column header to sort.", "note"
    )
    return table(columns, rows, sortable=True, footer=footer, table_id=f"{anchor}-table") + note


def user_classes_part(result: RunResult) -> str:
    """One row per User class of a scripted run (nothing in URL mode)."""
    if not result.user_classes:
        return ""
    rows = []
    for counts in result.user_classes:
        rps = counts.requests / result.duration_s if result.duration_s > 0 else 0.0
        rows.append(
            [
                Cell(counts.name, css="name"),
                Cell(fmt_count(counts.users), counts.users, numeric=True),
                Cell(fmt_count(counts.iterations), counts.iterations, numeric=True),
                Cell(fmt_count(counts.requests), counts.requests, numeric=True),
                Cell(fmt_rate(rps), rps, numeric=True),
            ]
        )
    columns = (
        Column("User class"),
        Column("Users", True),
        Column("Iterations", True),
        Column("Requests", True),
        Column("req/s", True),
    )
    return heading("User classes") + table(columns, rows)


def _requests_detail(total: EndpointStats) -> str:
    detail = f"{fmt_count(total.successes)} succeeded"
    if total.incomplete:
        detail += f", {fmt_count(total.incomplete)} in flight at the end"
    if total.retries:
        detail += f", {fmt_count(total.retries)} re-sent (stale keep-alive)"
    return detail


def summary_cards(result: RunResult) -> str:
    total = result.total
    summary = total.latency.summary_ms()
    has_latency = total.latency.total > 0

    def ms(key: str) -> str:
        return fmt_ms(summary[key]) if has_latency else NO_VALUE

    failed = Tone.BAD if total.failures else None
    return cards(
        [
            card("Requests", fmt_count(total.requests), _requests_detail(total)),
            card(
                "Throughput", f"{fmt_rate(result.rps)}/s", f"over {fmt_duration(result.duration_s)}"
            ),
            card(
                "Error rate",
                fmt_percent(total.error_rate),
                f"{fmt_count(total.failures)} failed",
                failed,
            ),
            card("p50", ms("p50"), "median latency"),
            card("p95", ms("p95")),
            card("p99", ms("p99"), f"max {ms('max')}"),
            card("Received", fmt_bytes(total.bytes_received)),
        ]
    )


def _timings_part(result: RunResult) -> str:
    """Open model: latency from the intended send vs service time vs schedule lag."""
    total = result.total
    if not total.service_time.total:
        return ""
    rows = []
    for name, hist in (
        ("latency (from intended send)", total.latency),
        ("service time (from actual send)", total.service_time),
        ("schedule lag", total.schedule_lag),
    ):
        s = hist.summary_ms()
        rows.append(
            [Cell(name), *(Cell(fmt_ms(s[k]), numeric=True) for k in ("p50", "p95", "p99", "max"))]
        )
    columns = (
        Column("Timing"),
        Column("p50", True),
        Column("p95", True),
        Column("p99", True),
        Column("Max", True),
    )
    return heading("Open-model timings") + table(columns, rows)


def errors_part(result: RunResult) -> str:
    rows: list[tuple[int, str, str]] = []
    for stats in result.endpoints:
        merged: dict[str, int] = {}
        for message, count in stats.error_messages.items():
            key = redact_text(message)
            merged[key] = merged.get(key, 0) + count
        rows.extend((count, label(stats), message) for message, count in merged.items())
    rows.sort(key=lambda row: (-row[0], row[1], row[2]))
    parts = [grid(status_chart(result.total), error_class_chart(result.total))]
    if rows:
        cells = [
            [Cell(endpoint, css="name"), Cell(message), Cell(fmt_count(n), n, numeric=True)]
            for n, endpoint, message in rows[:TOP_ERROR_MESSAGES]
        ]
        hidden = rows[TOP_ERROR_MESSAGES:]
        if hidden:
            more = sum(row[0] for row in hidden)
            cells.append(
                [
                    Cell(""),
                    Cell(f"… {len(hidden):,} more messages"),
                    Cell(fmt_count(more), numeric=True),
                ]
            )
        columns = (Column("Endpoint"), Column("Error"), Column("Count", True))
        parts.append(heading("Error messages") + table(columns, cells))
    return "\n".join(parts)


def checks_part(result: RunResult) -> str:
    rows = []
    css = []
    for stats in result.endpoints:
        for name, count in sorted(stats.checks.items()):
            fails = Cell(
                fmt_count(count.fails), count.fails, numeric=True, css="fail" if count.fails else ""
            )
            rows.append(
                [
                    Cell(redact_text(name)),
                    Cell(label(stats), css="name"),
                    Cell(fmt_count(count.passes), count.passes, numeric=True),
                    fails,
                    Cell(fmt_pass_rate(count.pass_rate), count.pass_rate, numeric=True),
                ]
            )
            css.append("failrow" if count.fails else "")
    if not rows:
        return paragraph("No named checks were run.", "note")
    columns = (
        Column("Check"),
        Column("Endpoint"),
        Column("Passes", True),
        Column("Fails", True),
        Column("Pass rate", True),
    )
    return table(columns, rows, row_css=css)


def _option_text(value: Any) -> str:
    if value is None:
        return NO_VALUE
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "\n".join(value) if value else NO_VALUE
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _unset(value: Any) -> bool:
    return value is None or value is False or (isinstance(value, str | list | dict) and not value)


def options_part(result: RunResult) -> str:
    """The options as the JSON document records them (secrets already `***`)."""
    recorded = result_to_dict(result)["meta"]["options"]
    options = {k: v for k, v in recorded.items() if not _unset(v)}
    if not options:
        return paragraph("No options were recorded.", "note")
    note = paragraph("Options left unset (or off) are not listed.", "note")
    rows = [
        [Cell(str(k), css="mono"), Cell(_option_text(v), css="mono")]
        for k, v in sorted(options.items())
    ]
    return table((Column("Option"), Column("Value")), rows) + note


def _load_parts(result: RunResult, anchor: str) -> list[str]:
    open_note = ""
    if result.total.service_time.total:
        open_note = paragraph(
            "Open model: latency runs from the intended send time, so it includes any delay "
            "the generator added (no coordinated omission).",
            "note",
        )
    return [
        section(
            f"{anchor}-endpoints",
            "Endpoints",
            endpoints_part(result, anchor),
            user_classes_part(result),
        ),
        section(
            f"{anchor}-throughput",
            "Throughput over time",
            grid(throughput_chart(result), concurrency_chart(result)),
        ),
        section(
            f"{anchor}-latency",
            "Latency",
            open_note,
            grid(latency_chart(result), run_distribution_chart(result)),
            endpoint_latency_chart(result),
            _timings_part(result),
        ),
    ]


def _bench_parts(result: RunResult, anchor: str) -> list[str]:
    """A run of callable benches: their exact stats and sweep charts instead of timelines."""
    return [section(f"{anchor}-benches", "Benches", benches_part(result.benches))]


def run_section(result: RunResult, anchor: str) -> str:
    """Everything about one run, its element ids prefixed with `anchor`."""
    protocol = protocol_part(result)
    protocol_sections = (
        [section(f"{anchor}-protocol", "Sessions and streams", protocol)] if protocol else []
    )
    return "\n".join(
        [
            f'<section class="scenario" id="{anchor}">',
            f"<h1>{_h(result.meta.name)}</h1>",
            verdict_badges(result),
            meta_facts(result),
            summary_cards(result),
            section(
                f"{anchor}-verdicts",
                "Verdicts",
                thresholds_part(result.thresholds),
                generator_part(result.generator),
                load_part(result.load),
                workers_part(result.workers),
            ),
            *(_bench_parts(result, anchor) if result.is_bench else _load_parts(result, anchor)),
            *protocol_sections,
            section(f"{anchor}-errors", "Status codes and errors", errors_part(result)),
            section(f"{anchor}-checks", "Checks", checks_part(result)),
            section(f"{anchor}-resources", "Resources", *resources_parts(result.resources)),
            section(f"{anchor}-options", "Options", options_part(result)),
            "</section>",
        ]
    )


def _h(text: str) -> str:
    return escape(redact_text(text))


def _toc(results: Sequence[RunResult]) -> str:
    links = "".join(f'<a href="#s{i + 1}">{_h(r.meta.name)}</a>' for i, r in enumerate(results))
    return f'<nav class="toc">Scenarios: {links}</nav>'


def render_html(results: Sequence[RunResult]) -> str:
    """The report of `results` (one section per scenario, in order) as one HTML page."""
    if not results:
        raise ValueError("render_html needs at least one RunResult")
    names = ", ".join(redact_text(r.meta.name) for r in results)
    body = [_toc(results)] if len(results) > 1 else []
    body.extend(run_section(r, f"s{i + 1}") for i, r in enumerate(results))
    return document(f"surge report: {names}", "\n".join(body), generator="surge")


def write_html(results: Sequence[RunResult], fp: TextIO) -> None:
    """Write `render_html(results)` to `fp` (write errors propagate)."""
    fp.write(render_html(results))
