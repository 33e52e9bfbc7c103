"""`surge history`, `surge show`, `surge export` and `surge baseline`: reading the run store.

Every command takes `--store URL` (or $SURGE_STORE; default `.surge/surge.db` here). A store
problem (unknown run or name, bad URL, unreachable database) is one message and exit code 2.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click
from rich import box
from rich.console import Console, RenderableType
from rich.text import Text

from surge.cli.store_access import fail, opened, output_console, store_option
from surge.cli.store_access import store_url as access_store_url
from surge.report import print_summary, write_csv, write_results_json
from surge.report.fit_table import Column, FitTable
from surge.report.humanize import fmt_count, fmt_ms, fmt_percent, fmt_rate
from surge.report.wrap import NAME_COLUMN_MIN_WIDTH, Name, Parts
from surge.store import (
    Baseline,
    RunSummary,
    Store,
    StoredRun,
    StoreError,
    StoreMissing,
    baseline_run_ids,
)

F = TypeVar("F", bound=Callable[..., Any])
SPARKS = "▁▂▃▄▅▆▇█"
# metric attribute, label, formatter, True when a higher value is better
TREND_METRICS: tuple[tuple[str, str, Callable[[float], str], bool], ...] = (
    ("p50_ms", "p50", fmt_ms, False),
    ("p95_ms", "p95", fmt_ms, False),
    ("p99_ms", "p99", fmt_ms, False),
    ("rps", "req/s", fmt_rate, True),
    ("error_rate", "errors", fmt_percent, False),
)
UNITS_IN_HEADER = {"p50": "p50 ms", "p95": "p95 ms", "p99": "p99 ms"}


def cell_text(label: str, value: float) -> str:
    """A table cell: latencies without their unit (it is in the header)."""
    if label == "req/s" and value >= 100:
        return f"{value:,.0f}"
    text = {lbl: fmt for _, lbl, fmt, _ in TREND_METRICS}[label](value)
    return text.removesuffix(" ms") if label in UNITS_IN_HEADER else text


# -- history


def when(created_at: str) -> str:
    """`2026-11-21 11:30` (UTC) from a stored ISO timestamp."""
    return created_at[:16].replace("T", " ")


def short_when(created_at: str) -> str:
    """`11-21 11:30` (UTC): the table column."""
    return when(created_at)[5:]


def commit_label(summary: RunSummary) -> str:
    if summary.git_commit is None:
        return "—"
    return summary.git_commit[:8] + ("*" if summary.git_dirty else "")


def verdict_label(summary: RunSummary) -> Text:
    if summary.aborted:
        return Text("aborted", style="yellow")
    if summary.requests and summary.failures == summary.requests:
        return Text("no success", style="bold red")
    if summary.saturated:
        return Text("saturated", style="bold red")
    if summary.thresholds_failed:
        return Text(f"{summary.thresholds_failed} threshold(s) failed", style="red")
    return Text("ok", style="green")


def change(newer: float, older: float, higher_is_better: bool) -> Text:
    """The change from `older` to `newer` in %, red when it is for the worse."""
    if older == 0:
        return Text("")
    pct = (newer - older) / older * 100
    if abs(pct) < 0.05:
        return Text(" ±0%", style="dim")
    worse = (pct < 0) if higher_is_better else (pct > 0)
    return Text(f" {pct:+.0f}%", style="red" if worse else "green")


def sparkline(values: Sequence[float]) -> str:
    lo, hi = min(values), max(values)
    if hi == lo:
        return SPARKS[0] * len(values)
    return "".join(SPARKS[round((v - lo) / (hi - lo) * (len(SPARKS) - 1))] for v in values)


def older_runs(summaries: Sequence[RunSummary]) -> dict[int, RunSummary]:
    """For each run, the run of the same name stored just before it (when listed)."""
    older: dict[int, RunSummary] = {}
    last_of: dict[str, RunSummary] = {}
    for summary in reversed(summaries):  # oldest first
        if summary.name in last_of:
            older[summary.id] = last_of[summary.name]
        last_of[summary.name] = summary
    return older


def history_table(
    summaries: Sequence[RunSummary],
    baseline_ids: set[int],
    *,
    show_names: bool,
    before: Sequence[RunSummary] = (),
) -> FitTable:
    """One row per run, newest first; each metric with its change from the previous run of the
    same name (`before`: older runs not listed, used only for those changes)."""
    commits = any(s.git_commit is not None for s in summaries)
    columns = [Column("ID", key=True)]
    if show_names:
        columns.append(Column("Name", justify="left", wrap=True, min_width=NAME_COLUMN_MIN_WIDTH))
    columns.append(Column("When (UTC)", justify="left"))
    if commits:
        columns.append(Column("Commit", justify="left"))
    columns.append(Column("Requests"))
    columns += [
        Column(UNITS_IN_HEADER.get(label, label), group="metrics")
        for _, label, _, _ in TREND_METRICS
    ]
    columns.append(Column("Verdict", justify="left"))
    table = FitTable(
        columns, box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, collapse_padding=True
    )
    older_of = older_runs([*summaries, *before])
    for summary in summaries:
        older = older_of.get(summary.id)
        cells: list[RenderableType] = [f"{summary.id}{' ★' if summary.id in baseline_ids else ''}"]
        if show_names:
            cells.append(Name(summary.name))
        cells.append(short_when(summary.created_at))
        if commits:
            cells.append(commit_label(summary))
        cells.append(fmt_count(summary.requests))
        for attr, label, _, higher_better in TREND_METRICS:
            value = float(getattr(summary, attr))
            cell = Text(cell_text(label, value))
            if older is not None:
                cell.append_text(change(value, float(getattr(older, attr)), higher_better))
            cells.append(cell)
        cells.append(verdict_label(summary))
        table.add_row(*cells)
    return table


def trend_lines(summaries: Sequence[RunSummary]) -> list[Text]:
    """Per metric: a sparkline over the listed runs (oldest to newest), first → last value."""
    oldest_first = list(reversed(summaries))
    lines: list[Text] = []
    for attr, label, fmt, higher_better in TREND_METRICS:
        values = [float(getattr(s, attr)) for s in oldest_first]
        line = Text(f"{label:>7} {sparkline(values)}  {fmt(values[0])} → {fmt(values[-1])}")
        line.append_text(change(values[-1], values[0], higher_better))
        lines.append(line)
    return lines


def print_history(store: Store, name: str | None, limit: int, console: Console) -> list[RunSummary]:
    """The history table of `name` (or of every run) and, for one name, its trend lines."""
    fetched = store.summaries(name, limit=limit + 1)
    summaries, before = fetched[:limit], fetched[limit:]
    if not summaries:
        if name is None:
            console.print(f"no runs stored in {store.where} yet: `surge run …` stores every run")
            return summaries
        fail(f"no run named {name!r} in {store.where} (see `surge history`)")
    baseline_ids = {i for ids in store.baseline_members().values() for i in ids}
    console.print(history_table(summaries, baseline_ids, show_names=name is None, before=before))
    if name is not None and len(summaries) > 1:
        console.print(f"trend over the last {len(summaries)} runs (oldest → newest):")
        for line in trend_lines(summaries):
            console.print(line)
    if baseline_ids:
        console.print(Text("★ part of a baseline (surge baseline list)", style="dim"))
    return summaries


@click.command("history")
@click.argument("name", required=False)
@click.option(
    "-n",
    "--limit",
    type=click.IntRange(min=1),
    default=20,
    show_default=True,
    help="Show the newest N runs.",
)
@click.option(
    "--changes",
    is_flag=True,
    help="Also find change points: lasting shifts of each endpoint's metrics over these runs "
    "(needs NAME; docs/compare.md).",
)
@store_option
def history_cmd(name: str | None, limit: int, changes: bool, store_url: str | None) -> None:
    """Stored runs, newest first (all, or those named NAME), with each metric's trend."""
    console = output_console()
    try:
        store = Store.open(access_store_url(store_url), create=False)
    except StoreMissing as exc:
        if name is not None:
            fail(str(exc))
        console.print(str(exc), markup=False)
        return
    except StoreError as exc:
        fail(str(exc))
    with store:
        try:
            print_history(store, name, limit, console)
        except StoreError as exc:
            fail(str(exc))
        if changes:
            from surge.cli.changes import print_changes

            print_changes(store, name, limit, console)


# -- show and export


def describe(stored: StoredRun) -> list[str]:
    """Where a stored run came from: id, name, time, git commit, host, tool version."""
    fp = stored.fingerprint
    commit = "not in a git work tree"
    if fp.git_commit is not None:
        commit = fp.git_commit + (" (uncommitted changes)" if fp.git_dirty else "")
    return [
        f"run {stored.id} · {stored.name} · stored {when(stored.created_at)} UTC",
        f"commit {commit} · host {fp.host} ({fp.cpu_count} CPUs, {fp.platform}) · "
        f"surge {fp.surge_version} · Python {fp.python}",
    ]


@click.command("show")
@click.argument("run")
@store_option
def show_cmd(run: str, store_url: str | None) -> None:
    """Print stored RUN like the end-of-run summary. RUN: an id, NAME (its latest run) or
    NAME~N (N runs before the latest)."""
    console = Console(highlight=False)
    with opened(store_url) as store:
        stored = store.get(run)
    for line in describe(stored):
        console.print(Parts(line.split(" · ")))
    print_summary(stored.result, console)
    if stored.result.is_bench:  # a run of callable benches: their exact table too
        from surge.report.bench_text import bench_tables

        console.print(bench_tables(stored.result.benches), markup=False, end="")


@click.command("export")
@click.argument("run")
@click.option(
    "--json", "json_path", type=click.Path(), metavar="FILE", help="Write the JSON result document."
)
@click.option(
    "--csv",
    "csv_prefix",
    metavar="PREFIX",
    help="Write PREFIX_stats.csv, PREFIX_history.csv, PREFIX_checks.csv.",
)
@store_option
def export_cmd(
    run: str, json_path: str | None, csv_prefix: str | None, store_url: str | None
) -> None:
    """Write stored RUN as the same JSON and CSV files `surge run --out/--csv` writes."""
    if not json_path and not csv_prefix:
        fail("export needs --json FILE and/or --csv PREFIX")
    console = Console(highlight=False)
    with opened(store_url) as store:
        stored = store.get(run)
    if json_path:
        path = Path(json_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8") as fp:
            write_results_json([stored.result], fp)
        console.print(f"JSON result of run {stored.id} written to {path}", markup=False)
    if csv_prefix:
        for written in write_csv(stored.result, csv_prefix):
            console.print(f"CSV written to {written}", markup=False)


# -- baselines


def baseline_lines(baseline: Baseline) -> list[Parts]:
    """`baseline NAME version V: run(s) 2, 3 (set … UTC)`, wrapped before `(set` when narrow."""
    version = f" version {baseline.version}" if baseline.version else ""
    ids = ", ".join(str(run.id) for run in baseline.runs)
    runs = f"baseline {baseline.name}{version}: run(s) {ids}"
    return [Parts([runs, f"(set {when(baseline.created_at)} UTC)"], separator=" ")]


@click.group("baseline")
def baseline_group() -> None:
    """Mark stored runs as the baseline a name is compared against; list, show, delete."""


@baseline_group.command("set")
@click.argument("name")
@click.option(
    "--run",
    "run_refs",
    multiple=True,
    metavar="RUN",
    help="A run to include (repeatable): an id, NAME or NAME~N.",
)
@click.option("--last", type=click.IntRange(min=1), metavar="N", help="The last N runs of NAME.")
@click.option(
    "--version", "version", metavar="VERSION", help="A label for the baseline, e.g. 1.0.0."
)
@store_option
def baseline_set_cmd(
    name: str,
    run_refs: tuple[str, ...],
    last: int | None,
    version: str | None,
    store_url: str | None,
) -> None:
    """Make runs the baseline of NAME (default: the latest run of NAME)."""
    if run_refs and last is not None:
        fail("give --run or --last, not both")
    console = Console(highlight=False)
    with opened(store_url) as store:
        ids = baseline_run_ids(store, name, runs=run_refs or None, last=last)
        baseline = store.set_baseline(name, ids, version)
    for line in baseline_lines(baseline):
        console.print(line)
    others = sorted({run.name for run in baseline.runs} - {name})
    if others:
        console.print(f"note: the baseline includes runs named {', '.join(others)}", markup=False)


@baseline_group.command("list")
@store_option
def baseline_list_cmd(store_url: str | None) -> None:
    """Every baseline with its runs."""
    console = Console(highlight=False)
    with opened(store_url) as store:
        baselines = store.baselines()
    if not baselines:
        console.print("no baselines yet: `surge baseline set NAME` makes one")
    for baseline in baselines:
        for line in baseline_lines(baseline):
            console.print(line)


@baseline_group.command("show")
@click.argument("name")
@store_option
def baseline_show_cmd(name: str, store_url: str | None) -> None:
    """The baseline of NAME and its runs' numbers, then the baselines it had before."""
    console = output_console()
    with opened(store_url) as store:
        baseline = store.baseline(name)
        history = store.baseline_history(name)
        if baseline is None and not history:
            fail(f"{name!r} has no baseline in {store.where} (surge baseline set {name})")
        rows = store.summaries(ids=[run.id for run in baseline.runs]) if baseline else []
    if baseline is not None:
        for line in baseline_lines(baseline):
            console.print(line)
        console.print(history_table(rows, set(), show_names=True))
    else:
        console.print(f"{name} has no baseline now (it was deleted)", markup=False)
    for earlier in history:
        console.print(earlier_line(earlier), markup=False)


def earlier_line(baseline: Baseline) -> str:
    """One baseline from the history of a name: what it was, and when it was set and replaced."""
    version = f" version {baseline.version}" if baseline.version else ""
    ids = ", ".join(str(run.id) for run in baseline.runs) or "none left in the store"
    replaced = when(baseline.replaced_at) if baseline.replaced_at else "?"
    return (
        f"  earlier{version}: run(s) {ids} (set {when(baseline.created_at)} UTC, "
        f"replaced {replaced} UTC)"
    )


@baseline_group.command("delete")
@click.argument("name")
@store_option
def baseline_delete_cmd(name: str, store_url: str | None) -> None:
    """Forget the baseline of NAME (its runs stay stored)."""
    with opened(store_url) as store:
        if not store.delete_baseline(name):
            fail(f"{name!r} has no baseline in {store.where}")
    Console(highlight=False).print(f"baseline of {name} deleted", markup=False)
