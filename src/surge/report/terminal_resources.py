"""The resources section of the end-of-run summary: peak and mean CPU, memory and I/O of the
host, the generator (surge and its workers) and each monitored target process.

Figures come from `surge.metrics.resource_stats`, the same functions the JSON, CSV, thresholds
and the HTML report use, so every output shows the same peak and mean.
"""

from __future__ import annotations

from collections.abc import Callable

from rich import box
from rich.console import RenderableType
from rich.text import Text

from surge.metrics.resource_stats import ProcessSummary, Stat, summarize_resources
from surge.metrics.resources import Resources
from surge.report.fit_table import Column, FitTable
from surge.report.humanize import NO_VALUE, fmt_bytes, fmt_count
from surge.report.json_report import redact_text
from surge.report.wrap import NAME_COLUMN_MIN_WIDTH, Name, Parts


def fmt_cpu(pct: float) -> str:
    return f"{pct:.1f}%"


def fmt_bytes_per_s(bps: float) -> str:
    return f"{fmt_bytes(round(bps))}/s"


def _peak(stat: Stat | None, fmt: Callable[[float], str]) -> str:
    return NO_VALUE if stat is None else fmt(stat.peak)


def _mean(stat: Stat | None, fmt: Callable[[float], str]) -> str:
    return NO_VALUE if stat is None else fmt(stat.mean)


def _size(value: float) -> str:
    return fmt_bytes(round(value))


def _row(
    label: Name, stats: dict[str, Stat], cpu: str, memory: str, read: str, write: str
) -> list[RenderableType]:
    get = stats.get
    return [
        label,
        _peak(get(cpu), fmt_cpu),
        _mean(get(cpu), fmt_cpu),
        _peak(get(memory), _size),
        _mean(get(memory), _size),
        _peak(get(read), fmt_bytes_per_s),
        _peak(get(write), fmt_bytes_per_s),
    ]


def _process_row(label: str, summary: ProcessSummary) -> list[RenderableType]:
    return _row(Name(label), dict(summary.stats), "cpu_pct", "rss_bytes", "read_bps", "write_bps")


def _counts_line(label: str, summary: ProcessSummary) -> Parts:
    parts = []
    for name, title in (
        ("threads", "threads"),
        ("open_files", "open files"),
        ("connections", "connections"),
    ):
        stat = summary.stats.get(name)
        if stat is not None:
            parts.append(f"{title} {fmt_count(round(stat.peak))} (mean {stat.mean:,.1f})")
    if parts:
        parts[0] = f"{label}: {parts[0]}"
    return Parts(parts or [f"{label}:"], style="dim")


def resources_section(resources: Resources) -> list[RenderableType]:
    """The table (one row per source: peak and mean CPU and memory, peak read/write rates),
    the host's network line, each target's threads/files/connections, and exited targets."""
    summary = summarize_resources(resources)
    every = f"every {resources.interval_s:g} s"
    if summary.host is not None:
        host_total = fmt_bytes(summary.host.memory_total_bytes)
        every += f"; host: {summary.host.cores} cores, {host_total}"
    headers = ("CPU peak", "CPU mean", "Mem peak", "Mem mean", "Read peak", "Write peak")
    columns = [
        Column("Source", justify="left", wrap=True, key=True, min_width=NAME_COLUMN_MIN_WIDTH),
        *(Column(header) for header in headers),
    ]
    table = FitTable(
        columns,
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        collapse_padding=True,
        title=f"Resources ({fmt_count(summary.samples)} samples, {every})",
        title_justify="left",
    )
    parts: list[RenderableType] = [table]
    host = summary.host
    if host is not None:
        host_label = Name("host")
        fields = ("cpu_pct", "memory_used_bytes", "disk_read_bps", "disk_write_bps")
        table.add_row(*_row(host_label, dict(host.stats), *fields))
    if summary.generator is not None:
        table.add_row(*_process_row("generator", summary.generator))
    for label, target in summary.targets.items():
        table.add_row(*_process_row(redact_text(label), target))
    if host is not None:
        sent, recv = host.stats.get("net_sent_bps"), host.stats.get("net_recv_bps")
        if sent is not None and recv is not None:
            parts.append(
                Parts(
                    [
                        f"Host network: sent peak {fmt_bytes_per_s(sent.peak)} "
                        f"(mean {fmt_bytes_per_s(sent.mean)})",
                        f"received peak {fmt_bytes_per_s(recv.peak)} "
                        f"(mean {fmt_bytes_per_s(recv.mean)})",
                    ],
                    style="dim",
                )
            )
    for label, target in summary.targets.items():
        parts.append(_counts_line(redact_text(label), target))
    for monitored in resources.targets:
        if monitored.exited_at_s is not None:
            parts.append(
                Text(
                    f"Note: target {redact_text(monitored.label)} exited at "
                    f"{monitored.exited_at_s:.1f} s; later samples leave it out.",
                    style="yellow",
                )
            )
        elif monitored.label not in summary.targets:
            parts.append(
                Text(
                    f"Note: target {redact_text(monitored.label)} was never sampled.",
                    style="yellow",
                )
            )
    return parts
