"""The verdict sections of the terminal summary: thresholds, checks, load delivered, generator.

These are the parts a CI log is read for, so every verdict is spelled out in plain words (`PASS`,
`FAIL`, `GENERATOR SATURATED`, `Warning:`) as well as in colour: logs without colour keep the
meaning. User text (expressions, check and endpoint names) is redacted and rendered as `Text`,
never parsed as rich markup.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich import box
from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.text import Text

from surge.metrics import (
    EndpointStats,
    GeneratorVerdict,
    LoadModel,
    LoadSummary,
    SaturationCause,
    ThresholdVerdict,
    UserClassStats,
    WorkerReport,
)
from surge.report.fit_table import Column, FitTable
from surge.report.humanize import (
    NO_VALUE,
    fmt_count,
    fmt_duration,
    fmt_ms,
    fmt_pass_rate,
    fmt_rate,
    fmt_threshold_value,
)
from surge.report.json_report import redact_text
from surge.report.wrap import NAME_COLUMN_MIN_WIDTH, Name, Parts

PASS_MARK = "✓ PASS"
FAIL_MARK = "✗ FAIL"
NOT_MEASURED = "no data"
_TIMING_PERCENTILES = (("p50", "p50"), ("p95", "p95"), ("p99", "p99"))


def thresholds_section(verdicts: Sequence[ThresholdVerdict]) -> list[RenderableType]:
    """The verdict table (one row per threshold) and a one-line overall verdict."""
    columns = (
        Column("Result", justify="left"),
        Column("Threshold", justify="left", wrap=True, min_width=NAME_COLUMN_MIN_WIDTH),
        Column("Endpoint", justify="left", wrap=True, min_width=NAME_COLUMN_MIN_WIDTH),
        Column("Observed"),
        Column("Limit"),
    )
    table = FitTable(
        columns, box=box.SIMPLE_HEAD, pad_edge=False, title="Thresholds", title_justify="left"
    )
    for verdict in verdicts:
        expression = Text(redact_text(verdict.expression))
        if verdict.abort_on_fail:
            expression.append(" (abort on fail)", style="dim")
        observed = (
            NOT_MEASURED
            if verdict.observed is None
            else fmt_threshold_value(verdict.observed, verdict.unit)
        )
        mark = (
            Text(PASS_MARK, style="bold green")
            if verdict.passed
            else Text(FAIL_MARK, style="bold red")
        )
        table.add_row(
            mark,
            Name(expression),
            Name(redact_text(verdict.endpoint)) if verdict.endpoint else Text("all", style="dim"),
            Text(observed, style="" if verdict.passed else "red"),
            f"{verdict.op} {fmt_threshold_value(verdict.limit, verdict.unit)}",
        )
    failed = sum(1 for verdict in verdicts if not verdict.passed)
    if failed:
        line = Text(f"Thresholds: FAIL — {failed} of {len(verdicts)} failed", style="bold red")
    else:
        count = len(verdicts)
        line = Text(f"Thresholds: PASS — {count} of {count} passed", style="bold green")
    return [table, line]


def user_classes_table(classes: Sequence[UserClassStats], duration_s: float) -> FitTable:
    """One row per User class of a scripted run: users started, iterations, requests, req/s."""
    columns = (
        Column("User class", justify="left", wrap=True, key=True, min_width=NAME_COLUMN_MIN_WIDTH),
        *(Column(header) for header in ("Users", "Iterations", "Requests", "req/s")),
    )
    table = FitTable(
        columns, box=box.SIMPLE_HEAD, pad_edge=False, title="User classes", title_justify="left"
    )
    for counts in classes:
        rps = counts.requests / duration_s if duration_s > 0 else 0.0
        table.add_row(
            Name(counts.name),
            fmt_count(counts.users),
            fmt_count(counts.iterations),
            fmt_count(counts.requests),
            fmt_rate(rps),
        )
    return table


def checks_table(endpoints: Sequence[EndpointStats]) -> FitTable:
    """One row per check per endpoint: passes, fails and the pass rate (rounded down)."""
    columns = (
        Column("Check", justify="left", wrap=True, min_width=NAME_COLUMN_MIN_WIDTH),
        Column("Endpoint", justify="left", wrap=True, min_width=NAME_COLUMN_MIN_WIDTH),
        Column("Passes"),
        Column("Fails"),
        Column("Pass rate"),
    )
    table = FitTable(
        columns, box=box.SIMPLE_HEAD, pad_edge=False, title="Checks", title_justify="left"
    )
    for stats in endpoints:
        label = f"{stats.method} {redact_text(stats.name)}".strip()
        for name, count in stats.checks.items():
            table.add_row(
                Name(redact_text(name)),
                Name(label),
                fmt_count(count.passes),
                Text(fmt_count(count.fails), style="red" if count.fails else ""),
                Text(fmt_pass_rate(count.pass_rate), style="red" if count.fails else "green"),
            )
    return table


def _generator_figures(verdict: GeneratorVerdict) -> list[str]:
    parts = [
        f"CPU peak {verdict.cpu_pct_max:.1f}% (mean {verdict.cpu_pct_mean:.1f}%)",
        f"event-loop lag p99 {fmt_ms(verdict.loop_lag_p99_ms)} "
        f"(max {fmt_ms(verdict.loop_lag_max_ms)})",
    ]
    if verdict.schedule_lag_p99_ms > 0:
        parts.append(f"schedule lag p99 {fmt_ms(verdict.schedule_lag_p99_ms)}")
    if verdict.dropped:
        parts.append(f"{fmt_count(verdict.dropped)} dropped")
    if SaturationCause.HOST_BUSY in verdict.causes and verdict.host_cpu_pct is not None:
        parts.append(f"its CPUs {verdict.host_cpu_pct:.0f}% busy (all processes)")
    return parts


_GENERATOR_BOUND = (
    "The load generator itself was the bottleneck:\n"
    "latency and throughput figures below are NOT trustworthy.",
    "Use fewer users or a lower rate, more worker processes, or a bigger machine.",
)
_LOOP_BLOCKED = (
    "Code on the event loop blocked it (the generator's CPU was not pinned):\n"
    "a synchronous call in a task (time.sleep, a blocking client or driver) stops every\n"
    "user while it runs; latencies include the time blocked.",
    "Make the blocking call asynchronous, or run it off the loop (asyncio.to_thread).",
)
_HOST_BUSY = (
    "The host was busy: the generator got too little CPU (its own CPU was not pinned):\n"
    "other processes had the CPUs it runs on, so its event loop waited for one;\n"
    "latencies include the time it waited.",
    "Run on a quieter machine, give the generator a CPU of its own (taskset -c N), or stop\n"
    "other processes during the run.",
)
_LOOP_STALLED = (
    "The event loop lagged while the generator's CPU was not pinned:\n"
    "no user code runs in this run, so the machine held it (other processes, a virtual\n"
    "machine's stolen time, swapping); latencies include the time it stood still.",
    _HOST_BUSY[1],
)
_CAPPED = (
    "Arrivals were dropped at the in-flight cap while the generator kept up:\n"
    "the target answered more slowly than the offered rate allows under --max-in-flight.\n"
    "The latencies recorded are exact, but the target got less load than planned.",
    "Raise --max-in-flight (and the open-file limit), lower --rate, or add target capacity.",
)


def _headline(verdict: GeneratorVerdict) -> tuple[str, str]:
    """What the saturation means and what to do about it, by the rules that fired."""
    causes = set(verdict.causes)
    if not causes or SaturationCause.CPU in causes:
        return _GENERATOR_BOUND
    if SaturationCause.HOST_BUSY in causes:
        return _HOST_BUSY
    if SaturationCause.USER_CODE in causes:
        return _LOOP_BLOCKED
    if SaturationCause.LOOP_LAG in causes:
        return _LOOP_BLOCKED if verdict.user_code else _LOOP_STALLED
    if causes == {SaturationCause.DROPS}:
        return _CAPPED
    return _GENERATOR_BOUND


def saturation_banner(verdict: GeneratorVerdict) -> Panel:
    """The red full-width panel of a saturated generator: its figures measure surge, not the
    target, and must not be read as the service's latency or capacity. What it says depends on
    the rules that fired: a pinned CPU (the generator), a lagging loop with the CPU free (code
    blocking the loop; a busy host when other processes had its CPUs; never code in a URL run,
    which runs none), or drops alone (the in-flight cap and a slow target)."""
    headline, what_to_do = _headline(verdict)
    first, _, rest = headline.partition("\n")
    text = Text(first, style="bold red")
    text.append(f"\n{rest}", style="bold red")
    for reason in verdict.reasons:
        text.append(f"\n  • {redact_text(reason)}")
    advice = Text(what_to_do, style="red")
    body = Group(text, Parts(_generator_figures(verdict), style="dim"), advice)
    return Panel(body, border_style="bold red", title="GENERATOR SATURATED", title_align="left")


def generator_line(verdict: GeneratorVerdict) -> Parts:
    """A healthy generator in one quiet line, so a reader knows it was checked."""
    figures = _generator_figures(verdict)
    return Parts([f"Generator healthy: {figures[0]}", *figures[1:]], style="dim")


def generator_notes(verdict: GeneratorVerdict) -> list[Text]:
    """What was seen without saturating the run (drops at the in-flight cap, user code that
    blocked the loop briefly), each with what to do, in yellow."""
    lines = []
    for note in verdict.notes:
        text = Text(f"Note: {redact_text(note)}.", style="yellow")
        if "dropped" in note:
            text.append(f"\n  {_CAPPED[1]}", style="yellow")
        elif "blocked the event loop" in note:
            text.append(f"\n  {_LOOP_BLOCKED[1]}", style="yellow")
        lines.append(text)
    return lines


def load_section(load: LoadSummary, endpoints: Sequence[EndpointStats]) -> list[RenderableType]:
    """Offered vs achieved load, the open model's accounting and timings, and a warning when
    the offered load was not sustained."""
    parts: list[RenderableType] = []
    if load.model is LoadModel.OPEN:
        parts.append(_arrivals_line(load))
    if load.offered_rps is not None or load.model is LoadModel.OPEN:
        parts.append(_rate_line(load))
    if load.model is LoadModel.OPEN:
        parts.append(
            Text(
                "Open model: latency runs from the intended send time (schedule lag included), "
                "service time from the actual send.",
                style="dim",
            )
        )
        timed = [stats for stats in endpoints if stats.service_time.total]
        if timed:
            parts.append(_timings_table(timed))
    if not load.sustained:
        parts.append(_not_sustained_line(load))
    return parts


def _arrivals_line(load: LoadSummary) -> Parts:
    arrivals = load.arrivals
    failed = Text(f"{fmt_count(arrivals.failed)} failed", style="red" if arrivals.failed else "")
    dropped = f"{fmt_count(arrivals.dropped_total)} dropped"
    if arrivals.dropped:
        by_reason = ", ".join(
            f"{reason} {fmt_count(count)}" for reason, count in sorted(arrivals.dropped.items())
        )
        dropped += f" ({by_reason})"
    parts: list[str | Text] = [
        f"Arrivals: {fmt_count(arrivals.scheduled)} scheduled",
        f"{fmt_count(arrivals.completed)} completed",
        failed,
        Text(dropped, style="bold red" if arrivals.dropped_total else ""),
        f"{fmt_count(arrivals.in_flight_at_end)} in flight at the end",
    ]
    if arrivals.lost_with_worker:
        lost = f"{fmt_count(arrivals.lost_with_worker)} lost with a worker"
        parts.append(Text(lost, style="bold red"))
    return Parts(parts)


def _rate_line(load: LoadSummary) -> Text:
    line = Text(f"Rate: {fmt_rate(load.achieved_rps)}/s achieved")
    if load.offered_rps is not None:
        line.append(f" of {fmt_rate(load.offered_rps)}/s offered")
        if load.offered_rps > 0:
            line.append(f" ({load.achieved_rps / load.offered_rps:.0%})")
    if load.load_s is not None:
        line.append(f" over the {fmt_duration(load.load_s)} load phase")
        if load.graceful_stop_s:
            line.append(f"; graceful stop {fmt_duration(load.graceful_stop_s)}", style="dim")
    return line


def _not_sustained_line(load: LoadSummary) -> Text:
    text = "Warning: the offered load was not sustained"
    if load.offered_rps is not None:
        text += (
            f" ({fmt_rate(load.achieved_rps)}/s of {fmt_rate(load.offered_rps)}/s): "
            "the target got less load than planned"
        )
    return Text(text + ".", style="bold yellow")


def _timings_table(endpoints: Sequence[EndpointStats]) -> FitTable:
    """Service time and schedule lag percentiles per endpoint (open model)."""
    columns = [
        Column("Method", justify="left", key=True),
        Column("Name", justify="left", wrap=True, key=True, min_width=NAME_COLUMN_MIN_WIDTH),
    ]
    for kind in ("Service", "Lag"):
        columns += [Column(f"{kind} {header}", group=kind) for header, _ in _TIMING_PERCENTILES]
    table = FitTable(columns, box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    for stats in endpoints:
        cells: list[RenderableType] = [Text(stats.method), Name(redact_text(stats.name))]
        for histogram in (stats.service_time, stats.schedule_lag):
            summary = histogram.summary_ms()
            cells.extend(
                fmt_ms(summary[key]) if histogram.total else NO_VALUE
                for _, key in _TIMING_PERCENTILES
            )
        table.add_row(*cells)
    return table


def _worker_end(report: WorkerReport) -> str:
    if not report.lost:
        return "finished"
    at = "" if report.lost_at_s is None else f" at {report.lost_at_s:.1f} s"
    return f"{report.state.value.upper()}{at}: {redact_text(report.reason or '')}"


def degraded_banner(workers: Sequence[WorkerReport]) -> Panel:
    """A lost worker: from the moment of the loss the run offered less load than planned."""
    text = Text("A worker was lost mid-run: the run offered less load than planned.", "bold")
    for report in workers:
        if not report.lost:
            continue
        kept = (
            "no data"
            if report.last_snapshot_end_s is None
            else f"its data up to {report.last_snapshot_end_s:.1f} s is kept"
        )
        text.append(f"\n  • worker {report.worker} ({report.host} pid {report.pid}) ")
        text.append(f"{_worker_end(report)}; {kept}")
    return Panel(text, border_style="bold yellow", title="DEGRADED", title_align="left")


def workers_table(workers: Sequence[WorkerReport]) -> FitTable:
    """One row per worker: its requests, its own health, how it ended."""
    columns = (
        Column("#", key=True),
        Column("host", justify="left", wrap=True, min_width=NAME_COLUMN_MIN_WIDTH),
        Column("pid"),
        Column("requests"),
        Column("CPU peak"),
        Column("CPU mean"),
        Column("loop lag p99"),
        Column("state", justify="left", wrap=True, min_width=NAME_COLUMN_MIN_WIDTH),
    )
    table = FitTable(
        columns, box=box.SIMPLE_HEAD, pad_edge=False, title="Workers", title_justify="left"
    )
    for report in workers:
        state = Text(_worker_end(report), style="yellow" if report.lost else "")
        if report.saturated:
            state.append(" · SATURATED", style="bold red")
        table.add_row(
            str(report.worker),
            Name(report.host),
            str(report.pid),
            fmt_count(report.requests),
            f"{report.cpu_pct_max:.0f}%",
            f"{report.cpu_pct_mean:.0f}%",
            fmt_ms(report.loop_lag_p99_ms),
            state,
        )
    return table
