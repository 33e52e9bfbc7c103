"""The end-of-run terminal summary (rich): title, per-endpoint latency table, User classes, load,
errors, status codes, checks and threshold verdicts (the verdict sections live in
`terminal_sections`).

User-provided text (names, targets, error messages) is always rendered as `Text`, never parsed as
rich markup.
"""

from __future__ import annotations

from rich import box
from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.text import Text

from surge.metrics import EndpointStats, ErrorKind, RunMeta, RunResult
from surge.report.fit_table import Column, FitTable
from surge.report.humanize import (
    NO_VALUE,
    fmt_bytes,
    fmt_count,
    fmt_duration,
    fmt_ms,
    fmt_percent,
    fmt_rate,
)
from surge.report.json_report import redact_text
from surge.report.terminal_protocol import protocol_section
from surge.report.terminal_resources import resources_section
from surge.report.terminal_sections import (
    checks_table,
    degraded_banner,
    generator_line,
    generator_notes,
    load_section,
    saturation_banner,
    thresholds_section,
    user_classes_table,
    workers_table,
)
from surge.report.wrap import NAME_COLUMN_MIN_WIDTH, Name, Parts

TOP_ERROR_MESSAGES = 10
TOP_ENDPOINTS = 50
"""The endpoint table shows at most this many rows (the busiest), then one for the rest: the
files (JSON, CSV, HTML) have every endpoint."""
_KINDS = frozenset(kind.value for kind in ErrorKind)
_LATENCY_COLUMNS = (
    ("p50", "p50"),
    ("p90", "p90"),
    ("p95", "p95"),
    ("p99", "p99"),
    ("p99.9", "p999"),
    ("Max", "max"),
    ("Mean", "mean"),
)


def fmt_failures(stats: EndpointStats) -> str:
    if not stats.failures:
        return "0"
    return f"{stats.failures:,} ({fmt_percent(stats.error_rate)})"


def print_summary(result: RunResult, console: Console) -> None:
    """Print the end-of-run summary of `result` to `console`.

    Order: what was run, anything that makes the numbers untrustworthy (abort, a saturated
    generator) before the numbers, then the numbers, and the threshold verdict last, where a CI
    log's reader looks first.
    """
    console.print(_title(result))
    if result.meta.aborted:
        console.print(_aborted_banner(result.meta))
    if result.generator is not None and result.generator.saturated:
        console.print(saturation_banner(result.generator))
    if result.degraded:
        console.print(degraded_banner(result.workers))
    if result.meta.insecure:
        console.print(
            Text(
                "Note: TLS certificate verification was disabled (--insecure); "
                "results are not from a verified connection.",
                style="yellow",
            )
        )
    console.print(_endpoint_table(result))
    console.print(_totals_line(result))
    if result.user_classes:
        console.print(user_classes_table(result.user_classes, result.duration_s))
    for part in protocol_section(result):  # WebSocket, SSE, HTTP/2: inside sessions and streams
        console.print(part)
    if result.load is not None:
        for part in load_section(result.load, result.endpoints):
            console.print(part)
    if result.generator is not None:
        if not result.generator.saturated:
            console.print(generator_line(result.generator))
        for note in generator_notes(result.generator):
            console.print(note)
    if result.workers:
        console.print(workers_table(result.workers))
    if result.resources is not None and result.resources.samples:
        for part in resources_section(result.resources):
            console.print(part)
    if result.total.failures or result.total.errors:  # errors inside sessions count here too
        console.print(_errors_table(result))
    if result.total.status_codes:
        console.print(_status_line(result.total))
    if any(stats.checks for stats in result.endpoints):
        console.print(checks_table(result.endpoints))
    if result.thresholds:
        for part in thresholds_section(result.thresholds):
            console.print(part)


def _title(result: RunResult) -> Parts:
    meta = result.meta
    parts: list[Text | str] = [Text("surge", style="bold")]
    if meta.name:
        parts.append(Text(meta.name, style="bold cyan"))
    parts += [redact_text(meta.target), fmt_duration(result.duration_s), meta.mode]
    return Parts(parts)


def _aborted_banner(meta: RunMeta) -> Panel:
    reason = f" ({redact_text(meta.abort_reason)})" if meta.abort_reason else ""
    text = Text(f"ABORTED{reason}", style="bold red")
    text.append(" — partial results of an interrupted run", style="red")
    return Panel(text, border_style="red", expand=False)


def endpoint_columns() -> list[Column]:
    """Method and name (repeated when an 80-column terminal splits the table), the counts, and
    the latency percentiles (kept together when they fit)."""
    columns = [
        Column("Method", justify="left", key=True),
        Column("Name", justify="left", wrap=True, key=True, min_width=NAME_COLUMN_MIN_WIDTH),
    ]
    columns += [Column(header, group="counts") for header in ("Requests", "Fails", "RPS")]
    columns += [Column(header, group="latency") for header, _ in _LATENCY_COLUMNS]
    return columns


def _endpoint_table(result: RunResult) -> FitTable:
    table = FitTable(endpoint_columns(), box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    busiest = sorted(result.endpoints, key=lambda s: -s.requests)[:TOP_ENDPOINTS]
    keep = {id(stats) for stats in busiest}
    rest = []
    for stats in result.endpoints:  # in the result's order (by method and name)
        if id(stats) in keep:
            table.add_row(*_endpoint_cells(stats, result.duration_s))
        else:
            rest.append(stats)
    if rest:
        requests = sum(stats.requests for stats in rest)
        failures = sum(stats.failures for stats in rest)
        more = Text(f"… {len(rest):,} more endpoints (every one in --out, --csv, --html)")
        blanks = [""] * (1 + len(_LATENCY_COLUMNS))  # no rate or latency for a mixed row
        table.add_row(
            "", Name(more.plain), fmt_count(requests), fmt_count(failures), *blanks, style="dim"
        )
    table.add_section()
    table.add_row(*_endpoint_cells(result.total, result.duration_s), style="bold")
    return table


def _endpoint_cells(stats: EndpointStats, duration_s: float) -> list[RenderableType]:
    rps = stats.requests / duration_s if duration_s > 0 else 0.0
    cells: list[RenderableType] = [
        Text(stats.method),
        Name(redact_text(stats.name)),
        fmt_count(stats.requests),
        Text(fmt_failures(stats), style="red" if stats.failures else ""),
        fmt_rate(rps),
    ]
    summary = stats.latency.summary_ms()
    for _, key in _LATENCY_COLUMNS:
        cells.append(fmt_ms(summary[key]) if stats.latency.total else NO_VALUE)
    return cells


def _retries_text(result: RunResult) -> str:
    """How many requests were re-sent after the stale keep-alive race, and where."""
    text = f"{fmt_count(result.total.retries)} re-sent on a fresh connection (stale keep-alive)"
    where = [f"{e.method} {e.name} {fmt_count(e.retries)}" for e in result.endpoints if e.retries]
    if len(result.endpoints) > 1:
        text += ": " + ", ".join(where)
    return text


def _totals_line(result: RunResult) -> RenderableType:
    total = result.total
    failed = Text(f"{fmt_count(total.failures)} failed", style="red" if total.failures else "")
    if total.requests:
        failed.append(f" ({fmt_percent(total.error_rate)})")
    parts: list[Text | str] = [
        f"{fmt_count(total.requests)} requests",
        failed,
        f"{fmt_rate(result.rps)} req/s",
        f"{fmt_bytes(total.bytes_received)} received",
    ]
    if total.incomplete:
        parts.append(f"{fmt_count(total.incomplete)} in flight at the end")
    if total.retries:
        parts.append(_retries_text(result))
    line = Parts(parts)
    if not total.requests:
        return Group(line, Text("No requests completed.", style="bold yellow"))
    if not total.latency.total:
        return Group(
            line, Text("No request succeeded: there are no latencies to show.", style="bold yellow")
        )
    return line


def _split_message(message: str) -> tuple[str, str]:
    """("timeout", "read timeout") from "timeout: read timeout"."""
    kind, sep, text = message.partition(": ")
    if sep and kind in _KINDS:
        return kind, text
    if message in _KINDS:
        return message, ""
    return NO_VALUE, message


def _errors_table(result: RunResult) -> RenderableType:
    rows: list[tuple[int, str, str, str]] = []
    for stats in result.endpoints:
        label = f"{stats.method} {redact_text(stats.name)}".strip()
        merged: dict[str, int] = {}
        for message, count in stats.error_messages.items():
            key = redact_text(message)
            merged[key] = merged.get(key, 0) + count
        rows.extend((count, label, *_split_message(message)) for message, count in merged.items())
    rows.sort(key=lambda row: (-row[0], row[1], row[2], row[3]))
    columns = (
        Column("Endpoint", justify="left", wrap=True, min_width=NAME_COLUMN_MIN_WIDTH),
        Column("Class", justify="left"),
        Column("Message", justify="left", wrap=True, min_width=NAME_COLUMN_MIN_WIDTH),
        Column("Count"),
    )
    table = FitTable(
        columns, box=box.SIMPLE_HEAD, pad_edge=False, title="Errors", title_justify="left"
    )
    for count, label, kind, message in rows[:TOP_ERROR_MESSAGES]:
        table.add_row(Name(label), Text(kind), Text(message), fmt_count(count))
    hidden = rows[TOP_ERROR_MESSAGES:]
    if hidden:
        table.add_row(
            "",
            "",
            Text(f"… {len(hidden):,} more messages", style="dim"),
            fmt_count(sum(row[0] for row in hidden)),
        )
    by_kind = [f"{kind} {fmt_count(count)}" for kind, count in sorted(result.total.errors.items())]
    by_kind[0] = f"Error classes: {by_kind[0]}"
    return Group(table, Parts(by_kind, style="red"))


def _status_line(total: EndpointStats) -> Parts:
    parts: list[Text | str] = []
    for code, count in sorted(total.status_codes.items()):
        part = Text("Status codes: " if not parts else "")
        part.append(str(code), style="green" if 200 <= code < 400 else "red")
        part.append(f": {fmt_count(count)}")
        parts.append(part)
    return Parts(parts)
