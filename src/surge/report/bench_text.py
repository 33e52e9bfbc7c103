"""The text report of benches: pytest-benchmark's columns with p95 and p99 added, grouped by
kind (or `group`), one time unit per table; a sweep table per concurrency sweep; then errors,
queries, memory, thresholds and warnings under each bench that has them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO

from surge.metrics.bench import BenchEntry, BenchLevel, Flavor

_UNITS = (("s", 1e3), ("ms", 1.0), ("us", 1e-3), ("ns", 1e-6))  # unit, size in ms
_OPS_UNITS = (("Mops/s", 1e6), ("Kops/s", 1e3), ("ops/s", 1.0))


def time_unit(values_ms: Sequence[float]) -> tuple[str, float]:
    """The unit a table shows times in (the largest under which the smallest value is >= 1)."""
    smallest = min((v for v in values_ms if v > 0), default=1.0)
    for unit, size in _UNITS:
        if smallest >= size:
            return unit, size
    return _UNITS[-1]


def ops_unit(values: Sequence[float]) -> tuple[str, float]:
    smallest = min((v for v in values if v > 0), default=1.0)
    for unit, size in _OPS_UNITS:
        if smallest >= size:
            return unit, size
    return _OPS_UNITS[-1]


def _fmt(value: float, size: float) -> str:
    return f"{value / size:,.4f}"


def _table(rows: list[list[str]], right_from: int = 1) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    out = []
    for row in rows:
        cells = [
            cell.ljust(widths[i]) if i < right_from else cell.rjust(widths[i])
            for i, cell in enumerate(row)
        ]
        out.append("  ".join(cells).rstrip())
    return out


def group_of(entry: BenchEntry) -> str:
    return entry.group or entry.kind.title


def stats_table(entries: Sequence[BenchEntry]) -> list[str]:
    """The pytest-benchmark-like table of a group of benches."""
    unit, size = time_unit([e.stats.min_ms for e in entries if e.stats.calls])
    ounit, osize = ops_unit([e.stats.ops for e in entries if e.stats.calls])
    header = [
        f"Name (time in {unit})", "Min", "Max", "Mean", "StdDev", "Median", "IQR", "P95",
        "P99", "Outliers", f"OPS ({ounit})", "Rounds", "Iterations", "Errors",
    ]  # fmt: skip
    rows = [header]
    for e in sorted(entries, key=lambda e: e.stats.mean_ms if e.stats.calls else float("inf")):
        s = e.stats
        if not s.calls:
            rows.append([e.name, *(["-"] * 10), "0", "-", f"{s.errors:,}"])
            continue
        rows.append(
            [
                e.name + (" [async]" if e.flavor is Flavor.ASYNC else ""),
                *(_fmt(v, size) for v in (s.min_ms, s.max_ms, s.mean_ms, s.stddev_ms)),
                *(_fmt(v, size) for v in (s.median_ms, s.iqr_ms, s.p95_ms, s.p99_ms)),
                f"{s.outliers_stddev};{s.outliers_iqr}",
                f"{s.ops / osize:,.4f}",
                f"{s.rounds:,}",
                f"{s.iterations:,}",
                f"{s.errors:,}",
            ]
        )
    return _table(rows)


def sweep_table(entry: BenchEntry) -> list[str]:
    """One row per concurrency level; the peak-throughput level and failed thresholds marked."""
    levels = entry.levels
    unit, size = time_unit([lv.stats.median_ms for lv in levels if lv.stats.calls])
    peak = entry.peak_level
    rows = [["Concurrency", "OPS (ops/s)", "Mean", "P50", "P95", "P99", "Max", "Errors", ""]]
    for level in levels:
        s = level.stats
        rows.append(
            [
                str(level.concurrency),
                f"{s.ops:,.1f}",
                *(_fmt(v, size) for v in (s.mean_ms, s.median_ms, s.p95_ms, s.p99_ms, s.max_ms)),
                f"{s.errors:,}",
                _level_note(level, peak),
            ]
        )
    pool = levels[0].pool.value if levels else ""
    head = f"{entry.name}: concurrency sweep on {pool} (times in {unit})"
    return [head, *_table(rows)]


def _level_note(level: BenchLevel, peak: BenchLevel | None) -> str:
    notes = []
    if peak is not None and level.concurrency == peak.concurrency:
        notes.append("peak throughput")
    failed = [v.expression for v in level.thresholds if not v.passed]
    if failed:
        notes.append("FAILED " + ", ".join(failed))
    return "; ".join(notes)


def _bytes(value: int) -> str:
    sign = "-" if value < 0 else ""
    number = float(abs(value))
    for unit in ("B", "KB", "MB", "GB"):
        if number < 1000 or unit == "GB":
            return f"{sign}{number:,.1f} {unit}" if unit != "B" else f"{sign}{number:,.0f} B"
        number /= 1000
    return f"{value} B"


def details(entry: BenchEntry) -> list[str]:
    """Errors, queries, memory, harness costs, thresholds and warnings of one bench."""
    lines = []
    if entry.errors_by_type:
        errors = ", ".join(f"{name} x{count:,}" for name, count in entry.errors_by_type.items())
        lines.append(f"  errors: {errors}")
    if entry.queries_per_call is not None:
        lines.append(f"  queries per call: {entry.queries_per_call:g}")
    if entry.memory is not None:
        m = entry.memory
        lines.append(
            f"  memory over {m.calls:,} calls: RSS +{_bytes(m.increase_bytes)}, "
            f"traced peak {_bytes(m.peak_bytes)}, retained {_bytes(m.retained_bytes)}"
        )
        lines.extend(f"    {site.where}: {_bytes(site.size_bytes)}" for site in m.top[:3])
    c = entry.calibration
    if entry.flavor is Flavor.ASYNC and c.loop_trip_ns is not None:
        lines.append(
            f"  async on uvloop: harness {c.overhead_ns:,.0f} ns per call, "
            f"one loop round trip {c.loop_trip_ns:,.0f} ns"
        )
    for verdict in entry.thresholds:
        shown = (
            "nothing measured"
            if verdict.observed is None
            else f"{verdict.observed:g} {verdict.unit}"
        )
        lines.append(f"  {'PASS' if verdict.passed else 'FAIL'} {verdict.expression} ({shown})")
    failing = entry.first_failing_level
    if failing is not None:
        lines.append(f"  thresholds first fail at concurrency {failing.concurrency}")
    lines.extend(f"  warning: {w}" for w in entry.warnings)
    return lines


def bench_tables(entries: Sequence[BenchEntry]) -> str:
    """The whole text report of some benches."""
    groups: dict[str, list[BenchEntry]] = {}
    for entry in entries:
        groups.setdefault(group_of(entry), []).append(entry)
    out: list[str] = []
    for group, members in groups.items():
        label = f" {group}: {len(members)} bench{'es' if len(members) != 1 else ''} "
        table = stats_table(members)
        width = max(len(line) for line in table)
        out.append(label.center(width, "-"))
        out.extend(table)
        for entry in members:
            if entry.levels:
                out.append("")
                out.extend(sweep_table(entry))
            extra = details(entry)
            if extra:
                out.append(f"{entry.name}:")
                out.extend(extra)
        out.append("")
    legend = (
        "Outliers: 1 standard deviation from the mean; 1.5 IQR from the quartiles. "
        "OPS: successful calls per second."
    )
    out.append(legend)
    return "\n".join(out) + "\n"


def write_bench_text(entries: Sequence[BenchEntry], fp: TextIO) -> None:
    fp.write(bench_tables(entries))
