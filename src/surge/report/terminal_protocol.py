"""The terminal's WebSocket, Server-Sent Events and HTTP/2 section: what happened inside
sessions and streams (counts, close codes, protocols), then their timings."""

from __future__ import annotations

from rich import box
from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from surge.metrics import RunResult
from surge.metrics.protocol import COUNT_NAMES
from surge.report.humanize import fmt_count, fmt_ms, fmt_rate
from surge.report.protocol_rows import ProtocolRow, RowKind, protocol_rows

_NAMES = {
    "sessions": "sessions",
    "msgs_sent": "msgs sent",
    "msgs_received": "msgs received",
    "msg_bytes_sent": "bytes sent",
    "msg_bytes_received": "bytes received",
    "pings": "pings",
    "events": "events",
    "reconnects": "reconnects",
    "connections": "connections",
    "session_errors": "errors in sessions",
}


def protocol_section(result: RunResult) -> list[RenderableType]:
    """The section's tables; empty when no endpoint recorded a protocol figure."""
    rows = protocol_rows(result.endpoints)
    if not rows:
        return []
    parts: list[RenderableType] = [_counts_table(rows, result.duration_s)]
    timings = [row for row in rows if row.kind is RowKind.TIMING]
    if timings:
        parts.append(_timings_table(timings))
    return parts


def _counts_table(rows: list[ProtocolRow], duration_s: float) -> Table:
    """One row per endpoint; its counts as one line of figures that wraps in narrow terminals."""
    table = Table(
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        title="Sessions and streams (WebSocket, SSE, HTTP/2)",
        title_justify="left",
    )
    table.add_column("Endpoint", overflow="fold", min_width=8)
    table.add_column("Protocol", overflow="fold", min_width=6)
    table.add_column("Figures", overflow="fold", ratio=1)
    table.add_column("Close codes", overflow="fold")
    order = {name: i for i, name in enumerate(COUNT_NAMES)}
    for endpoint in dict.fromkeys(row.endpoint for row in rows):
        mine = [row for row in rows if row.endpoint == endpoint]
        counts = sorted(
            (row for row in mine if row.kind is RowKind.COUNT),
            key=lambda row: order.get(row.metric, len(order)),
        )
        figures = [f"{_NAMES.get(row.metric, row.metric)} {fmt_count(row.count)}" for row in counts]
        moved = sum(row.count for row in counts if row.metric in ("msgs_sent", "msgs_received"))
        if moved and duration_s > 0:
            figures.append(f"{fmt_rate(moved / duration_s)} msgs/s")
        protocols = ", ".join(
            f"{row.metric} {fmt_count(row.count)}" for row in mine if row.kind is RowKind.PROTOCOL
        )
        closes = [row for row in mine if row.kind is RowKind.CLOSE_CODE]
        codes = " · ".join(f"{row.metric}: {fmt_count(row.count)}" for row in closes)
        table.add_row(Text(endpoint), Text(protocols), Text(" · ".join(figures)), Text(codes))
    return table


def _timings_table(rows: list[ProtocolRow]) -> Table:
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, title="Timings", title_justify="left")
    table.add_column("Endpoint", overflow="fold")
    table.add_column("Timing", no_wrap=True)
    for header in ("Count", "p50", "p95", "p99", "Max"):
        table.add_column(header, justify="right", no_wrap=True)
    for row in rows:
        table.add_row(
            Text(row.endpoint),
            Text(row.metric),
            fmt_count(row.count),
            *(fmt_ms(value or 0.0) for value in (row.p50_ms, row.p95_ms, row.p99_ms, row.max_ms)),
        )
    return table
