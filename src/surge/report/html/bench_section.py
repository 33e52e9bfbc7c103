"""The HTML part of a bench run: the stats table, and per concurrency sweep the throughput and
latency against concurrency (server-side SVG, like every other chart of the report)."""

from __future__ import annotations

from collections.abc import Sequence

from surge.metrics.bench import BenchEntry
from surge.redaction import redact_text
from surge.report.html.page import Cell, Column, grid, heading, paragraph, table
from surge.report.html.svg import LineChart, Series, line_chart
from surge.report.html.units import Unit
from surge.report.humanize import NO_VALUE, fmt_ms


def fmt_time(value_ms: float) -> str:
    """A per-call time in the unit that suits it: `52.1 ns`, `48.30 µs`, `1.25 ms`."""
    if value_ms <= 0:
        return "0"
    if value_ms < 0.001:
        return f"{value_ms * 1e6:.1f} ns"
    if value_ms < 1:
        return f"{value_ms * 1e3:.2f} µs"
    return fmt_ms(value_ms)


def _t(value_ms: float) -> Cell:
    return Cell(fmt_time(value_ms), value_ms, numeric=True)


_COLUMNS = [
    Column("Bench"),
    Column("Kind"),
    *(Column(t, numeric=True) for t in ("Min", "Median", "Mean", "P95", "P99", "Max")),
    *(Column(t, numeric=True) for t in ("StdDev", "Ops/s", "Rounds", "Iterations", "Errors")),
    Column("Queries/call", numeric=True),
    Column("Memory (RSS +)", numeric=True),
]


def _row(entry: BenchEntry) -> list[Cell]:
    s = entry.stats
    memory = entry.memory
    return [
        Cell(redact_text(entry.name)),
        Cell(entry.kind.title),
        *(_t(v) for v in (s.min_ms, s.median_ms, s.mean_ms, s.p95_ms, s.p99_ms, s.max_ms)),
        _t(s.stddev_ms),
        Cell(f"{s.ops:,.1f}", s.ops, numeric=True),
        Cell(f"{s.rounds:,}", s.rounds, numeric=True),
        Cell(f"{s.iterations:,}", s.iterations, numeric=True),
        Cell(f"{s.errors:,}", s.errors, numeric=True, css="bad" if s.errors else ""),
        Cell(
            NO_VALUE if entry.queries_per_call is None else f"{entry.queries_per_call:g}",
            entry.queries_per_call,
            numeric=True,
        ),
        Cell(
            NO_VALUE if memory is None else f"{memory.increase_bytes / 1e6:,.2f} MB",
            None if memory is None else memory.increase_bytes,
            numeric=True,
        ),
    ]


def sweep_charts(entry: BenchEntry) -> str:
    """Throughput and latency percentiles against concurrency for one sweep."""
    levels = entry.levels
    xs = [float(level.concurrency) for level in levels]
    ticks = [(float(level.concurrency), str(level.concurrency)) for level in levels]
    name = redact_text(entry.name)
    throughput = LineChart(
        title=f"{name}: throughput vs concurrency",
        xs=xs,
        series=[Series("ops/s", [level.stats.ops for level in levels])],
        x_unit=Unit.COUNT,
        y_unit=Unit.PER_S,
        x_ticks=ticks,
    )
    latency = LineChart(
        title=f"{name}: latency vs concurrency",
        xs=xs,
        series=[
            Series("p50", [level.stats.median_ms for level in levels]),
            Series("p95", [level.stats.p95_ms for level in levels]),
            Series("p99", [level.stats.p99_ms for level in levels]),
        ],
        x_unit=Unit.COUNT,
        y_unit=Unit.MS,
        x_ticks=ticks,
    )
    peak, failing = entry.peak_level, entry.first_failing_level
    notes = []
    if peak is not None:
        notes.append(
            f"Peak throughput at concurrency {peak.concurrency} ({peak.stats.ops:,.1f}/s)."
        )
    if failing is not None:
        failed = ", ".join(v.expression for v in failing.thresholds if not v.passed)
        notes.append(f"Thresholds first fail at concurrency {failing.concurrency} ({failed}).")
    return "\n".join(
        [
            heading(f"{name}: concurrency sweep on {levels[0].pool.value}"),
            paragraph(" ".join(notes)),
            grid(line_chart(throughput), line_chart(latency)),
        ]
    )


def benches_part(entries: Sequence[BenchEntry]) -> str:
    """The bench table, then the sweep charts."""
    parts = [
        table(_COLUMNS, [_row(e) for e in entries], sortable=True),
        paragraph(
            "Per-call times, exact over every round (a round times its iterations together). "
            "Ops/s: successful calls per second.",
            "note",
        ),
    ]
    parts.extend(sweep_charts(e) for e in entries if e.levels)
    return "\n".join(parts)
