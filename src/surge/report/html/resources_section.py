"""Resource charts of a run: host, generator process and monitored target processes.

Reads `RunResult.resources` (see `surge.metrics.resources`); a run without monitoring gets a
short note instead of charts. A target that exited is a gap in its lines from then on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from surge.metrics import ProcessSample, Resources, ResourceSample
from surge.redaction import redact_text
from surge.report.html.page import Cell, Column, grid, paragraph, table
from surge.report.html.svg import PALETTE, LineChart, Series, line_chart
from surge.report.html.units import Unit, value_label

_Pick = Callable[[ProcessSample], float]


def _target_labels(resources: Resources) -> list[str]:
    labels = [t.label for t in resources.targets]
    for sample in resources.samples:
        labels.extend(k for k in sample.targets if k not in labels)
    return labels


def _target_series(resources: Resources, pick: _Pick, start: int) -> list[Series]:
    out = []
    for i, name in enumerate(_target_labels(resources)):
        values = [pick(s.targets[name]) if name in s.targets else None for s in resources.samples]
        out.append(Series(f"target {redact_text(name)}", values, PALETTE[(start + i) % 10]))
    return out


def _chart(
    title: str, samples: Sequence[ResourceSample], series: list[Series], unit: Unit, note: str = ""
) -> str:
    chart = LineChart(title, [s.t_s for s in samples], series, Unit.SECONDS, unit, note=note)
    return line_chart(chart)


def _charts(res: Resources) -> list[str]:
    samples = res.samples
    cpu = [
        Series("host (all cores)", [s.host.cpu_pct for s in samples], PALETTE[7]),
        Series("generator", [s.generator.cpu_pct for s in samples], PALETTE[0]),
        *_target_series(res, lambda p: p.cpu_pct, 2),
    ]
    rss = [
        Series("generator", [float(s.generator.rss_bytes) for s in samples], PALETTE[0]),
        *_target_series(res, lambda p: float(p.rss_bytes), 2),
    ]
    host_memory = [
        Series("used", [float(s.host.memory_used_bytes) for s in samples], PALETTE[4]),
        Series("total", [float(s.host.memory_total_bytes) for s in samples], PALETTE[7], True),
    ]
    disk = [
        Series("read", [s.host.disk_read_bps for s in samples], PALETTE[5]),
        Series("write", [s.host.disk_write_bps for s in samples], PALETTE[3]),
    ]
    net = [
        Series("received", [s.host.net_recv_bps for s in samples], PALETTE[2]),
        Series("sent", [s.host.net_sent_bps for s in samples], PALETTE[6]),
    ]
    return [
        _chart("CPU", samples, cpu, Unit.PERCENT, "A process's CPU is in % of one core."),
        _chart("Process memory (RSS)", samples, rss, Unit.BYTES),
        _chart("Host memory", samples, host_memory, Unit.BYTES),
        _chart("Host disk I/O", samples, disk, Unit.BYTES_PER_S),
        _chart("Host network", samples, net, Unit.BYTES_PER_S),
    ]


def _peak_mean(values: Sequence[float]) -> tuple[float, float]:
    return (max(values), sum(values) / len(values)) if values else (0.0, 0.0)


def _summary_rows(res: Resources) -> list[list[Cell]]:
    samples = res.samples
    figures: list[tuple[str, list[float], Unit]] = [
        ("host CPU", [s.host.cpu_pct for s in samples], Unit.PERCENT),
        (
            "host CPU, busiest core",
            [max(s.host.per_core_pct, default=0.0) for s in samples],
            Unit.PERCENT,
        ),
        ("host memory used", [float(s.host.memory_used_bytes) for s in samples], Unit.BYTES),
        ("host disk read", [s.host.disk_read_bps for s in samples], Unit.BYTES_PER_S),
        ("host disk write", [s.host.disk_write_bps for s in samples], Unit.BYTES_PER_S),
        ("host network received", [s.host.net_recv_bps for s in samples], Unit.BYTES_PER_S),
        ("host network sent", [s.host.net_sent_bps for s in samples], Unit.BYTES_PER_S),
        ("generator CPU", [s.generator.cpu_pct for s in samples], Unit.PERCENT),
        ("generator RSS", [float(s.generator.rss_bytes) for s in samples], Unit.BYTES),
    ]
    for name in _target_labels(res):
        parts = [s.targets[name] for s in samples if name in s.targets]
        shown = redact_text(name)
        figures.extend(
            [
                (f"target {shown} CPU", [p.cpu_pct for p in parts], Unit.PERCENT),
                (f"target {shown} RSS", [float(p.rss_bytes) for p in parts], Unit.BYTES),
                (f"target {shown} threads", [float(p.threads) for p in parts], Unit.COUNT),
                (f"target {shown} connections", [float(p.connections) for p in parts], Unit.COUNT),
            ]
        )
    rows = []
    for title, values, unit in figures:
        peak, mean = _peak_mean(values)
        rows.append(
            [
                Cell(title),
                Cell(value_label(peak, unit), peak, numeric=True),
                Cell(value_label(mean, unit), mean, numeric=True),
            ]
        )
    return rows


def resources_parts(resources: Resources | None) -> list[str]:
    """The charts and the peak/mean table, or a note when nothing was sampled."""
    if resources is None or not resources.samples:
        return [paragraph("Resources were not monitored in this run.", "note")]
    targets = [
        [
            Cell(redact_text(t.label)),
            Cell(str(t.pid), t.pid, numeric=True),
            Cell(redact_text(t.name)),
            Cell("running" if t.exited_at_s is None else f"exited at {t.exited_at_s:.1f} s"),
        ]
        for t in resources.targets
    ]
    parts = [grid(*_charts(resources))]
    columns = (Column("Figure"), Column("Peak", True), Column("Mean", True))
    parts.append(table(columns, _summary_rows(resources)))
    if targets:
        target_columns = (Column("Target"), Column("PID", True), Column("Process"), Column("State"))
        parts.append(table(target_columns, targets))
    interval = value_label(resources.interval_s, Unit.SECONDS)
    parts.append(paragraph(f"Sampled every {interval}; {len(resources.samples)} samples.", "note"))
    return parts
