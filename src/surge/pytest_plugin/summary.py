"""The session's summary in the terminal: the benches (grouped, sorted by mean, one time unit per
table: `surge.report.bench_text`), the load tests, what was stored and written, and the
comparison with its verdict per bench and metric."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from surge.compare import Comparison, Finding
from surge.metrics import RunResult
from surge.metrics.bench import BenchEntry
from surge.pytest_plugin.compare import VERDICT_MARK
from surge.report.bench_text import bench_tables


@dataclass(frozen=True, slots=True)
class LoadRow:
    nodeid: str
    result: RunResult


def columns(rows: Sequence[Sequence[str]], left: int = 1) -> list[str]:
    """Rows as aligned text: the first `left` columns to the left, the rest to the right."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(
            cell.ljust(widths[i]) if i < left else cell.rjust(widths[i])
            for i, cell in enumerate(row)
        ).rstrip()
        for row in rows
    ]


def short_names(entries: Sequence[BenchEntry]) -> list[BenchEntry]:
    """The benches named by their test (`test_render[big]`), or by node id where two tests of
    the session share a name."""
    shorts = [e.name.rsplit("::", 1)[-1] for e in entries]
    return [
        replace(e, name=short) if shorts.count(short) == 1 else e
        for e, short in zip(entries, shorts, strict=True)
    ]


def bench_lines(entries: Sequence[BenchEntry]) -> list[str]:
    return bench_tables(short_names(entries)).rstrip("\n").splitlines()


def load_lines(rows: Sequence[LoadRow]) -> list[str]:
    table = [["Load test", "Requests", "Failures", "Req/s", "P50 (ms)", "P95 (ms)",
              "P99 (ms)", "Verdict"]]  # fmt: skip
    for row in rows:
        r = row.result
        table.append(
            [
                row.nodeid.rsplit("::", 1)[-1],
                f"{r.requests:,}",
                f"{r.failures:,} ({r.error_rate:.2%})",
                f"{r.rps:,.1f}",
                f"{r.p50_ms:,.2f}",
                f"{r.p95_ms:,.2f}",
                f"{r.p99_ms:,.2f}",
                "passed" if r.passed else f"FAILED (exit {int(r.exit_code)})",
            ]
        )
    return columns(table)


def value_text(unit: str, value: float | None) -> str:
    if value is None:
        return "-"
    if unit == "ms":
        for label, size in (("s", 1e3), ("ms", 1.0), ("us", 1e-3)):
            if abs(value) >= size:
                return f"{value / size:,.3f} {label}"
        return f"{value * 1e6:,.1f} ns"
    if unit == "%":
        return f"{value:.2f}%"
    return f"{value:,.1f} ops/s"


def _change(f: Finding) -> str:
    if f.change_pct is None:
        return "-"
    unit = " pp" if f.unit == "%" else "%"
    text = f"{f.change_pct:+.1f}{unit}"
    if f.ci_low_pct is not None and f.ci_high_pct is not None:
        text += f" [{f.ci_low_pct:+.1f}, {f.ci_high_pct:+.1f}]"
    return text


def comparison_lines(comparison: Comparison, against: str) -> list[str]:
    rows = [["Bench", "Metric", "Baseline", "This run", "Change [95% CI]", "p", "Verdict"]]
    for f in comparison.findings:
        metric = "ops" if f.metric == "rps" else f.metric
        rows.append(
            [
                f.name.rsplit("::", 1)[-1],
                metric,
                value_text(f.unit, f.baseline),
                value_text(f.unit, f.candidate),
                _change(f),
                "-" if f.p_value is None else f"{f.p_value:.3g}",
                VERDICT_MARK[f.verdict],
            ]
        )
    head = f"compared with {against} (alpha {comparison.alpha:g}, Benjamini-Hochberg):"
    warnings = [f"warning: {w}" for w in comparison.warnings]
    verdict = f"verdict: {comparison.verdict.value.upper()}"
    return [head, *warnings, *columns(rows, left=2), verdict]
