"""Resources in the exports: the JSON `resources` object and `PREFIX_resources.csv`.

Both read `RunResult.resources` through `surge.metrics.resource_stats` (the same peak and mean as
the terminal summary, thresholds and the HTML report). Percentages and byte rates carry 3
decimals, byte sizes and counts are whole numbers.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from typing import Any, TextIO

from surge.metrics import RunResult
from surge.metrics.resource_stats import (
    HOST_FIELDS,
    PROCESS_FIELDS,
    ProcessSummary,
    Stat,
    summarize_resources,
)
from surge.metrics.resources import HostSample, ProcessSample, Resources
from surge.redaction import redact_text

DIGITS = 3
_WHOLE = frozenset({"rss_bytes", "memory_used_bytes", "threads", "open_files", "connections"})

RESOURCES_HEADER: tuple[str, ...] = (
    "Time (s)",
    "Source",
    "CPU (%)",
    "Memory (bytes)",
    "Threads",
    "Open files",
    "Connections",
    "Read (B/s)",
    "Write (B/s)",
    "Net sent (B/s)",
    "Net recv (B/s)",
)


def _num(name: str, value: float) -> float | int:
    if name in _WHOLE:
        return round(value)
    return round(value, DIGITS) + 0.0


def _stat(name: str, stat: Stat) -> dict[str, float | int]:
    return {"peak": _num(name, stat.peak), "mean": round(stat.mean, DIGITS) + 0.0}


def _stats(stats: Mapping[str, Stat]) -> dict[str, Any]:
    return {name: _stat(name, stat) for name, stat in stats.items()}


def _process_summary(summary: ProcessSummary | None) -> dict[str, Any] | None:
    if summary is None:
        return None
    return {"samples": summary.samples, **_stats(summary.stats)}


def _host(sample: HostSample) -> dict[str, Any]:
    out: dict[str, Any] = {name: _num(name, getattr(sample, name)) for name in HOST_FIELDS}
    out["per_core_pct"] = [_num("cpu_pct", pct) for pct in sample.per_core_pct]
    out["memory_total_bytes"] = sample.memory_total_bytes
    return out


def _process(sample: ProcessSample) -> dict[str, Any]:
    return {name: _num(name, getattr(sample, name)) for name in PROCESS_FIELDS}


def resources_to_dict(resources: Resources | None) -> dict[str, Any] | None:
    """The JSON `resources` object: targets, summary (peak/mean) and the series; None when the
    run sampled nothing."""
    if resources is None:
        return None
    summary = summarize_resources(resources)
    host = summary.host
    return {
        "interval_s": resources.interval_s,
        "samples": summary.samples,
        "targets": [
            {
                "label": redact_text(t.label),
                "pid": t.pid,
                "name": redact_text(t.name),
                "cmdline": redact_text(t.cmdline),
                "exited_at_s": t.exited_at_s,
            }
            for t in resources.targets
        ],
        "summary": {
            "host": None
            if host is None
            else {
                "samples": host.samples,
                "cores": host.cores,
                "memory_total_bytes": host.memory_total_bytes,
                **_stats(host.stats),
            },
            "generator": _process_summary(summary.generator),
            "targets": {
                redact_text(label): _process_summary(target)
                for label, target in summary.targets.items()
            },
        },
        "series": [
            {
                "t_s": round(sample.t_s, DIGITS) + 0.0,
                "host": _host(sample.host),
                "generator": _process(sample.generator),
                "targets": {
                    redact_text(label): _process(target) for label, target in sample.targets.items()
                },
            }
            for sample in resources.samples
        ],
    }


def _cell(name: str, value: float) -> str:
    number = _num(name, value)
    return str(number) if isinstance(number, int) else f"{number:.{DIGITS}f}"


def _process_row(t_s: str, source: str, sample: ProcessSample) -> list[str]:
    return [
        t_s,
        source,
        _cell("cpu_pct", sample.cpu_pct),
        _cell("rss_bytes", sample.rss_bytes),
        _cell("threads", sample.threads),
        _cell("open_files", sample.open_files),
        _cell("connections", sample.connections),
        _cell("read_bps", sample.read_bps),
        _cell("write_bps", sample.write_bps),
        "",
        "",
    ]


def write_resources_csv(result: RunResult, fp: TextIO) -> None:
    """One row per sample per source (`host`, `generator`, each target label); the host's read
    and write are disk I/O, its memory is memory in use. Header only when nothing was sampled.
    Open `fp` with `newline=""`."""
    writer = csv.writer(fp, lineterminator="\n")
    writer.writerow(RESOURCES_HEADER)
    if result.resources is None:
        return
    for sample in result.resources.samples:
        t_s = f"{sample.t_s:.{DIGITS}f}"
        host = sample.host
        writer.writerow(
            [
                t_s,
                "host",
                _cell("cpu_pct", host.cpu_pct),
                _cell("memory_used_bytes", host.memory_used_bytes),
                "",
                "",
                "",
                _cell("disk_read_bps", host.disk_read_bps),
                _cell("disk_write_bps", host.disk_write_bps),
                _cell("net_sent_bps", host.net_sent_bps),
                _cell("net_recv_bps", host.net_recv_bps),
            ]
        )
        writer.writerow(_process_row(t_s, "generator", sample.generator))
        for label, target in sample.targets.items():
            writer.writerow(_process_row(t_s, redact_text(label), target))
