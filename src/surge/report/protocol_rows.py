"""WebSocket, Server-Sent Events and HTTP/2 figures as rows, one shape for every report.

`protocol_rows(endpoints)` gives, per endpoint that recorded inside sessions or streams, one
`ProtocolRow` per figure: each protocol used (how many exchanges), each count, each close code
and each timing (its sample count and p50/p95/p99/max in ms). The terminal, CSV and HTML reports
render these rows; the JSON document carries the same figures in each endpoint's `protocol`.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from surge.metrics import EndpointStats
from surge.report.json_report import redact_text


class RowKind(enum.Enum):
    PROTOCOL = "protocol"  # exchanges per protocol (HTTP/2, WebSocket, SSE)
    COUNT = "count"
    CLOSE_CODE = "close_code"
    TIMING = "timing"


@dataclass(frozen=True, slots=True)
class ProtocolRow:
    """One figure of one endpoint; `p50_ms` … `max_ms` are set for timings only."""

    method: str
    name: str
    kind: RowKind
    metric: str
    count: int
    p50_ms: float | None = None
    p95_ms: float | None = None
    p99_ms: float | None = None
    max_ms: float | None = None

    @property
    def endpoint(self) -> str:
        return f"{self.method} {self.name}".strip()


def has_protocol(stats: EndpointStats) -> bool:
    return bool(stats.protocols or stats.counts or stats.timings or stats.close_codes)


def protocol_rows(endpoints: Iterable[EndpointStats]) -> list[ProtocolRow]:
    rows: list[ProtocolRow] = []
    for stats in endpoints:
        if not has_protocol(stats):
            continue
        method, name = stats.method, redact_text(stats.name)
        for wire, n in sorted(stats.protocols.items()):
            rows.append(ProtocolRow(method, name, RowKind.PROTOCOL, wire, n))
        for count, n in stats.counts.items():
            rows.append(ProtocolRow(method, name, RowKind.COUNT, count, n))
        for code, n in sorted(stats.close_codes.items()):
            rows.append(ProtocolRow(method, name, RowKind.CLOSE_CODE, str(code), n))
        for timing, histogram in stats.timings.items():
            summary = histogram.summary_ms()
            rows.append(
                ProtocolRow(
                    method,
                    name,
                    RowKind.TIMING,
                    timing,
                    histogram.total,
                    summary["p50"],
                    summary["p95"],
                    summary["p99"],
                    summary["max"],
                )
            )
    return rows
