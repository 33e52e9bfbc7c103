"""The HTML report of a comparison: the verdict table, then baseline against candidate overlays.

`render_compare_html(comparison, baseline_results, candidate_results)` reads the findings as the
comparison computed them (nothing is re-judged here) and draws, per endpoint, both sides'
latency distributions on one log-scaled percentile axis, and both sides' timelines on one chart.
A side of several runs is drawn merged: histograms added, timelines averaged second by second.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import TYPE_CHECKING, TextIO

from surge.metrics import EndpointStats, Histogram, RunResult, TimelinePoint, merge_all
from surge.redaction import redact_text
from surge.report.html.page import (
    Cell,
    Column,
    Tone,
    badge,
    badges,
    document,
    facts,
    grid,
    heading,
    paragraph,
    section,
    table,
)
from surge.report.html.run_charts import TOP_ENDPOINTS, distribution_chart
from surge.report.html.svg import PALETTE, LineChart, Series, line_chart
from surge.report.html.units import Unit
from surge.report.humanize import NO_VALUE, fmt_count, fmt_ms, fmt_percent, fmt_rate

if TYPE_CHECKING:  # read only; importing surge.compare at run time would load scipy
    from surge.compare import Comparison, Finding

# Verdicts by their stable value (surge.compare.Verdict), so that no statistics are imported here.
REGRESSED, IMPROVED, UNCHANGED, INCONCLUSIVE = "regressed", "improved", "unchanged", "inconclusive"
_TONE = {REGRESSED: Tone.BAD, IMPROVED: Tone.OK, UNCHANGED: Tone.INFO, INCONCLUSIVE: Tone.WARN}
_ORDER = {REGRESSED: 0, INCONCLUSIVE: 1, IMPROVED: 2}
_BASE, _CAND = PALETTE[7], PALETTE[0]
_SIDES = (_BASE, _CAND)
Key = tuple[str, str]


def _value(finding: Finding, value: float | None) -> str:
    if value is None:
        return NO_VALUE
    if finding.unit == "ms":
        return fmt_ms(value)
    if finding.unit == "rps":
        return f"{fmt_rate(value)}/s"
    if finding.unit == "msg/s":
        return f"{fmt_rate(value)} msg/s"
    return f"{value:.2f}%"


def _change(finding: Finding) -> str:
    if finding.change_pct is None:
        return NO_VALUE
    suffix = " pp" if finding.unit == "%" else "%"
    text = f"{finding.change_pct:+.1f}{suffix}"
    if finding.ci_low_pct is not None and finding.ci_high_pct is not None:
        text += f" [{finding.ci_low_pct:+.1f}, {finding.ci_high_pct:+.1f}]"
    return text


def _finding_row(f: Finding) -> list[Cell]:
    return [
        Cell(redact_text(f.endpoint), css="name"),
        Cell(f.metric),
        Cell(_value(f, f.baseline), f.baseline if f.baseline is not None else -1, numeric=True),
        Cell(_value(f, f.candidate), f.candidate if f.candidate is not None else -1, numeric=True),
        Cell(_change(f), f.change_pct if f.change_pct is not None else 0.0, numeric=True),
        Cell(NO_VALUE if f.p_value is None else f"{f.p_value:.4f}", f.p_value or 1.0, numeric=True),
        Cell(f"±{f.tolerance:g}{' pp' if f.unit == '%' else '%'}", f.tolerance, numeric=True),
        Cell(f.verdict.value, css="fail" if f.verdict.value == REGRESSED else ""),
        Cell(redact_text(f.reason)),
    ]


def findings_table(comparison: Comparison) -> str:
    ranked = sorted(comparison.findings, key=lambda f: _ORDER.get(f.verdict.value, 3))
    if not ranked:
        return paragraph("The comparison has no findings (no endpoint on either side).", "note")
    columns = (
        Column("Endpoint"),
        Column("Metric"),
        Column("Baseline", True),
        Column("Candidate", True),
        Column("Change [CI]", True),
        Column("p (adj.)", True),
        Column("Tolerance", True),
        Column("Verdict"),
        Column("Why"),
    )
    rows = [_finding_row(f) for f in ranked]
    css = ["failrow" if f.verdict.value == REGRESSED else "" for f in ranked]
    note = paragraph(
        "Changes are relative (%) except error rate (percentage points); the interval is the "
        "confidence interval of the change; p-values are one-sided and adjusted for the number "
        "of findings (Benjamini-Hochberg).",
        "note",
    )
    return table(columns, rows, sortable=True, row_css=css, table_id="findings") + note


def _merged(results: Sequence[RunResult], key: Key) -> Histogram:
    return merge_all(e.latency for r in results for e in r.endpoints if e.key == key)


def _side_totals(results: Sequence[RunResult]) -> tuple[int, int, float, Histogram]:
    requests = sum(r.total.requests for r in results)
    failures = sum(r.total.failures for r in results)
    duration = sum(r.duration_s for r in results)
    rps = requests / duration if duration > 0 else 0.0
    return requests, failures, rps, merge_all(r.total.latency for r in results)


def summary_table(base: Sequence[RunResult], cand: Sequence[RunResult]) -> str:
    rows = []
    sides = (("baseline", base), ("candidate", cand))
    for name, results in sides:
        requests, failures, rps, latency = _side_totals(results)
        s = latency.summary_ms()
        has = latency.total > 0
        rows.append(
            [
                Cell(name),
                Cell(fmt_count(len(results)), numeric=True),
                Cell(fmt_count(requests), numeric=True),
                Cell(f"{fmt_rate(rps)}/s", numeric=True),
                Cell(fmt_percent(failures / requests if requests else 0.0), numeric=True),
                *(
                    Cell(fmt_ms(s[k]) if has else NO_VALUE, numeric=True)
                    for k in ("p50", "p95", "p99")
                ),
            ]
        )
    columns = (
        Column("Side"),
        Column("Runs", True),
        Column("Requests", True),
        Column("Throughput", True),
        Column("Errors", True),
        Column("p50", True),
        Column("p95", True),
        Column("p99", True),
    )
    return table(columns, rows)


def _mean_by_second(results: Sequence[RunResult], field: str, count: int) -> list[float | None]:
    """`field` of each second's timeline point, averaged over the runs that have it."""
    out: list[float | None] = []
    for i in range(count):
        values: list[float] = []
        for r in results:
            if i < len(r.timeline):
                point: TimelinePoint = r.timeline[i]
                if field != "rps" and point.requests <= point.failures:
                    continue  # no success that second: no latency
                values.append(float(getattr(point, field)))
        out.append(sum(values) / len(values) if values else None)
    return out


def timeline_charts(base: Sequence[RunResult], cand: Sequence[RunResult]) -> str:
    count = max((len(r.timeline) for r in (*base, *cand)), default=0)
    xs = [float(i + 1) for i in range(count)]
    charts = []
    for title, field, unit in (
        ("Requests per second", "rps", Unit.RPS),
        ("p95 latency over time", "p95_ms", Unit.MS),
    ):
        chart = LineChart(
            title,
            xs,
            [
                Series("baseline", _mean_by_second(base, field, count), _BASE, True),
                Series("candidate", _mean_by_second(cand, field, count), _CAND),
            ],
            Unit.SECONDS,
            unit,
            note="Second by second from each run's start; several runs are averaged.",
        )
        charts.append(line_chart(chart))
    return grid(*charts)


def _endpoints(base: Sequence[RunResult], cand: Sequence[RunResult]) -> list[EndpointStats]:
    """One stats value per endpoint key (for labels and ranking), busiest first."""
    by_key: dict[Key, int] = {}
    first: dict[Key, EndpointStats] = {}
    for r in (*base, *cand):
        for e in r.endpoints:
            by_key[e.key] = by_key.get(e.key, 0) + e.requests
            first.setdefault(e.key, e)
    ranked = sorted(by_key, key=lambda k: (-by_key[k], k))
    return [first[k] for k in ranked]


def _verdict_line(comparison: Comparison, key: Key) -> str:
    notable = [
        f"{f.metric} {f.verdict.value}"
        for f in comparison.findings
        if (f.method, f.name) == key and f.verdict.value in (REGRESSED, IMPROVED)
    ]
    return ", ".join(notable) if notable else "no significant change"


def overlays(comparison: Comparison, base: Sequence[RunResult], cand: Sequence[RunResult]) -> str:
    endpoints = _endpoints(base, cand)
    parts = []
    if len(endpoints) > 1:
        total = [
            ("baseline", merge_all(r.total.latency for r in base), True),
            ("candidate", merge_all(r.total.latency for r in cand), False),
        ]
        parts.append(
            distribution_chart("All endpoints: latency by percentile", total, colors=_SIDES)
        )
    figures = []
    for stats in endpoints[:TOP_ENDPOINTS]:
        name = f"{stats.method} {redact_text(stats.name)}".strip()
        figures.append(
            distribution_chart(
                f"{name}: {_verdict_line(comparison, stats.key)}",
                [
                    ("baseline", _merged(base, stats.key), True),
                    ("candidate", _merged(cand, stats.key), False),
                ],
                colors=_SIDES,
            )
        )
    if len(endpoints) > TOP_ENDPOINTS:
        parts.append(
            paragraph(
                f"The {TOP_ENDPOINTS} busiest of {len(endpoints)} endpoints are drawn; the "
                "verdict table has them all.",
                "note",
            )
        )
    return "\n".join([*parts, grid(*figures)])


def _header(comparison: Comparison) -> str:
    c = comparison
    title = f"{redact_text(c.baseline_name)} → {redact_text(c.candidate_name)}"
    tally: dict[str, int] = {}
    for f in c.findings:
        tally[f.verdict.value] = tally.get(f.verdict.value, 0) + 1
    counts = [
        badge(f"{tally[v]} {v}", _TONE[v])
        for v in (REGRESSED, INCONCLUSIVE, IMPROVED)
        if v in tally
    ]
    rows = [
        (
            "Baseline",
            f"{redact_text(c.baseline_name)} runs {_ids(c.baseline_runs)}"
            + (
                f" (baseline version {redact_text(c.baseline_version)})"
                if c.baseline_version
                else ""
            ),
        ),
        ("Candidate", f"{redact_text(c.candidate_name)} runs {_ids(c.candidate_runs)}"),
        ("Method", c.method.value),
        ("Significance level", f"{c.alpha:g}"),
        ("Bootstrap seed", str(c.seed)),
    ]
    warnings = ""
    if c.warnings:
        items = "".join(f"<li>{escape(redact_text(w))}</li>" for w in c.warnings)
        warnings = heading("Warnings") + f'<ul class="warnings">{items}</ul>'
    return "\n".join(
        [
            f"<h1>surge compare: {escape(title)}</h1>",
            badges(
                [
                    badge(
                        f"VERDICT: {c.verdict.value.upper()}", _TONE.get(c.verdict.value, Tone.INFO)
                    ),
                    *counts,
                ]
            ),
            facts(rows),
            warnings,
        ]
    )


def _ids(ids: Sequence[int]) -> str:
    return ", ".join(f"#{i}" for i in ids) if ids else "(not stored)"


def render_compare_html(
    comparison: Comparison,
    baseline_results: Sequence[RunResult],
    candidate_results: Sequence[RunResult],
) -> str:
    """The comparison as one self-contained HTML page."""
    if not baseline_results or not candidate_results:
        raise ValueError("render_compare_html needs at least one run on each side")
    base, cand = baseline_results, candidate_results
    body = "\n".join(
        [
            _header(comparison),
            section("summary", "Summary", summary_table(base, cand)),
            section("findings", "Verdicts", findings_table(comparison)),
            section("distributions", "Latency distributions", overlays(comparison, base, cand)),
            section("timelines", "Timelines", timeline_charts(base, cand)),
        ]
    )
    title = f"surge compare: {redact_text(comparison.baseline_name)}"
    return document(title, body, generator="surge")


def write_compare_html(
    comparison: Comparison,
    baseline_results: Sequence[RunResult],
    candidate_results: Sequence[RunResult],
    fp: TextIO,
) -> None:
    """Write `render_compare_html(...)` to `fp` (write errors propagate)."""
    fp.write(render_compare_html(comparison, baseline_results, candidate_results))
