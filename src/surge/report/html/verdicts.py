"""The top of a run's report: what ran, the verdict badges, thresholds, generator health, load
delivered and workers. Anything that makes the numbers untrustworthy reads before the numbers."""

from __future__ import annotations

from collections.abc import Sequence

from surge.metrics import GeneratorVerdict, LoadModel, LoadSummary, RunResult, ThresholdVerdict
from surge.metrics.workers import WorkerReport
from surge.redaction import redact_text
from surge.report.html.page import (
    Cell,
    Column,
    Tone,
    badge,
    badges,
    facts,
    heading,
    paragraph,
    table,
)
from surge.report.humanize import (
    NO_VALUE,
    fmt_count,
    fmt_duration,
    fmt_ms,
    fmt_rate,
    fmt_threshold_value,
)


def verdict_badges(result: RunResult) -> str:
    items = []
    meta = result.meta
    if meta.aborted:
        reason = f": {redact_text(meta.abort_reason)}" if meta.abort_reason else ""
        items.append(badge(f"ABORTED{reason}", Tone.BAD))
    if result.total.requests and result.total.successes == 0:
        items.append(badge("NO REQUEST SUCCEEDED", Tone.BAD))
    if result.thresholds:
        failed = sum(1 for v in result.thresholds if not v.passed)
        count = len(result.thresholds)
        if failed:
            items.append(badge(f"THRESHOLDS FAILED ({failed} of {count})", Tone.BAD))
        else:
            items.append(badge(f"THRESHOLDS PASSED ({count} of {count})", Tone.OK))
    if result.generator is not None:
        if result.generator.saturated:
            items.append(badge("GENERATOR SATURATED", Tone.BAD))
        else:
            items.append(badge("generator healthy", Tone.OK))
    lost = sum(1 for w in result.workers if w.lost)
    if lost:
        items.append(badge(f"DEGRADED: {lost} of {len(result.workers)} workers lost", Tone.BAD))
    if result.load is not None and not result.load.sustained:
        items.append(badge("offered load not sustained", Tone.WARN))
    if meta.insecure:
        items.append(badge("TLS verification off", Tone.WARN))
    return badges(items)


def meta_facts(result: RunResult) -> str:
    meta = result.meta
    rows = [
        ("Target", redact_text(meta.target)),
        ("Mode", meta.mode),
        ("Started", meta.started_at),
        ("Finished", meta.finished_at),
        ("Duration", fmt_duration(result.duration_s)),
        ("surge", meta.surge_version),
    ]
    return facts(rows)


def thresholds_part(verdicts: Sequence[ThresholdVerdict]) -> str:
    if not verdicts:
        return paragraph("No thresholds were set.", "note")
    rows = []
    css = []
    for v in verdicts:
        observed = NO_VALUE if v.observed is None else fmt_threshold_value(v.observed, v.unit)
        expression = redact_text(v.expression) + (" (abort on fail)" if v.abort_on_fail else "")
        rows.append(
            [
                Cell("pass" if v.passed else "FAIL", css="pass" if v.passed else "fail"),
                Cell(expression),
                Cell(redact_text(v.endpoint) if v.endpoint else "all"),
                Cell(observed, numeric=True),
                Cell(f"{v.op} {fmt_threshold_value(v.limit, v.unit)}", numeric=True),
            ]
        )
        css.append("" if v.passed else "failrow")
    columns = (
        Column("Result"),
        Column("Threshold"),
        Column("Endpoint"),
        Column("Observed", True),
        Column("Limit", True),
    )
    return heading("Thresholds") + table(columns, rows, row_css=css)


def generator_part(verdict: GeneratorVerdict | None) -> str:
    if verdict is None:
        return ""
    state = (
        "SATURATED: the figures measure surge, not the target" if verdict.saturated else "healthy"
    )
    rows = [
        ("State", state),
        ("CPU", f"peak {verdict.cpu_pct_max:.1f}%, mean {verdict.cpu_pct_mean:.1f}%"),
        (
            "Event-loop lag",
            f"p99 {fmt_ms(verdict.loop_lag_p99_ms)}, max {fmt_ms(verdict.loop_lag_max_ms)}",
        ),
    ]
    if verdict.schedule_lag_p99_ms > 0:
        rows.append(("Schedule lag p99", fmt_ms(verdict.schedule_lag_p99_ms)))
    if verdict.dropped:
        rows.append(("Dropped arrivals", fmt_count(verdict.dropped)))
    rows.extend(("Reason", redact_text(reason)) for reason in verdict.reasons)
    rows.extend(("Note", redact_text(note)) for note in verdict.notes)
    return heading("Load generator") + facts(rows)


def load_part(load: LoadSummary | None) -> str:
    if load is None:
        return ""
    rows = [("Model", load.model.value), ("Achieved", f"{fmt_rate(load.achieved_rps)}/s")]
    if load.offered_rps is not None:
        share = f" ({load.achieved_rps / load.offered_rps:.0%})" if load.offered_rps > 0 else ""
        rows.append(("Offered", f"{fmt_rate(load.offered_rps)}/s{share}"))
    rows.append(("Sustained", "yes" if load.sustained else "NO: the target got less load"))
    if load.model is LoadModel.OPEN:
        arrivals = load.arrivals
        dropped = fmt_count(arrivals.dropped_total)
        if arrivals.dropped:
            dropped += (
                " ("
                + ", ".join(
                    f"{reason} {fmt_count(n)}" for reason, n in sorted(arrivals.dropped.items())
                )
                + ")"
            )
        rows.extend(
            [
                ("Scheduled", fmt_count(arrivals.scheduled)),
                ("Completed", fmt_count(arrivals.completed)),
                ("Failed", fmt_count(arrivals.failed)),
                ("Dropped", dropped),
                ("In flight at the end", fmt_count(arrivals.in_flight_at_end)),
            ]
        )
        if arrivals.lag.total:
            lag = arrivals.lag.summary_ms()
            rows.append(("Schedule lag", f"p50 {fmt_ms(lag['p50'])}, p99 {fmt_ms(lag['p99'])}"))
    return heading("Load delivered") + facts(rows)


def workers_part(workers: Sequence[WorkerReport]) -> str:
    """One row per worker of a multi-process or distributed run (nothing for a single process)."""
    if not workers:
        return ""
    rows = []
    css = []
    for w in workers:
        notes = [redact_text(r) for r in w.health_reasons]
        if w.reason:
            notes.insert(0, redact_text(w.reason))
        if w.lost_at_s is not None:
            notes.insert(0, f"lost at {w.lost_at_s:.1f} s")
        rows.append(
            [
                Cell(str(w.worker), w.worker, numeric=True),
                Cell(redact_text(w.host)),
                Cell(str(w.pid), w.pid, numeric=True),
                Cell(w.state.value, css="fail" if w.lost else ""),
                Cell(fmt_count(w.requests), w.requests, numeric=True),
                Cell(f"{w.cpu_pct_max:.0f}% / {w.cpu_pct_mean:.0f}%", w.cpu_pct_max, numeric=True),
                Cell(fmt_ms(w.loop_lag_p99_ms), w.loop_lag_p99_ms, numeric=True),
                Cell(fmt_count(w.dropped), w.dropped, numeric=True),
                Cell("yes" if w.saturated else "no", css="fail" if w.saturated else ""),
                Cell("; ".join(notes)),
            ]
        )
        css.append("failrow" if w.lost or w.saturated else "")
    columns = (
        Column("Worker", True),
        Column("Host"),
        Column("PID", True),
        Column("State"),
        Column("Requests", True),
        Column("CPU peak / mean", True),
        Column("Loop lag p99", True),
        Column("Dropped", True),
        Column("Saturated"),
        Column("Notes"),
    )
    return heading(f"Workers ({len(workers)})") + table(columns, rows, row_css=css)
