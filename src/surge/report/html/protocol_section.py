"""The HTML report's WebSocket, Server-Sent Events and HTTP/2 section: one sortable table of
every figure recorded inside sessions and streams (the rows of `report.protocol_rows`)."""

from __future__ import annotations

from surge.metrics import RunResult
from surge.report.html.page import Cell, Column, paragraph, table
from surge.report.humanize import NO_VALUE, fmt_count, fmt_ms
from surge.report.protocol_rows import RowKind, protocol_rows

_KIND_TITLES = {
    RowKind.PROTOCOL: "protocol",
    RowKind.COUNT: "count",
    RowKind.CLOSE_CODE: "close code",
    RowKind.TIMING: "timing",
}


def protocol_part(result: RunResult) -> str:
    """The table, or "" when no endpoint recorded a protocol figure (the section is left out)."""
    rows = protocol_rows(result.endpoints)
    if not rows:
        return ""
    cells = []
    for row in rows:
        times = (row.p50_ms, row.p95_ms, row.p99_ms, row.max_ms)
        cells.append(
            [
                Cell(row.endpoint, css="name"),
                Cell(_KIND_TITLES[row.kind]),
                Cell(row.metric),
                Cell(fmt_count(row.count), row.count, numeric=True),
                *(
                    Cell(NO_VALUE if value is None else fmt_ms(value), value, numeric=True)
                    for value in times
                ),
            ]
        )
    columns = (
        Column("Endpoint"),
        Column("Kind"),
        Column("Figure"),
        Column("Count", True),
        Column("p50", True),
        Column("p95", True),
        Column("p99", True),
        Column("Max", True),
    )
    note = paragraph(
        "Inside WebSocket sessions, event streams and HTTP/2 connections: the protocol that "
        "carried each endpoint's exchanges, messages and events, close codes, and timings "
        "(connect, TLS, upgrade, session, reply, ping RTT, first event, event gap).",
        "note",
    )
    return note + table(columns, cells, sortable=True)
