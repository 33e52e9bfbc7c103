"""`surge history NAME --changes`: lasting shifts of each endpoint's metrics over stored runs."""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.text import Text

from surge.cli.store_access import fail
from surge.report.fit_table import Column, FitTable
from surge.report.wrap import NAME_COLUMN_MIN_WIDTH, Name
from surge.store import Store


def print_changes(store: Store, name: str | None, limit: int, console: Console) -> None:
    """Lasting shifts over the newest `limit` runs of NAME (see surge.compare.changepoints)."""
    from surge.compare.changepoints import MIN_SEGMENT_RUNS, change_points

    if not name:
        fail("--changes needs a NAME: surge history NAME --changes")
    stored = list(reversed(store.runs(name, limit=limit)))
    console.rule(f"change points of {name}")
    if len(stored) < 2 * MIN_SEGMENT_RUNS:
        console.print(
            f"{len(stored)} stored run(s): change points need at least {2 * MIN_SEGMENT_RUNS} "
            f"(segments of {MIN_SEGMENT_RUNS}+ runs on each side)"
        )
        return
    found = change_points([(s.id, s.result) for s in stored])
    if not found:
        console.print(
            f"no lasting change beyond the tolerances over runs {stored[0].id} to {stored[-1].id}"
        )
        return
    columns = (
        Column("from run", key=True),
        Column("endpoint", justify="left", wrap=True, key=True, min_width=NAME_COLUMN_MIN_WIDTH),
        Column("metric", justify="left", key=True),
        *(Column(header) for header in ("before", "after", "change", "runs")),
    )
    table = FitTable(columns, box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for c in found:
        unit = " pp" if c.unit == "%" else "%"
        table.add_row(
            str(c.run_id),
            Name(c.endpoint),
            c.metric,
            unit_value(c.unit, c.before),
            unit_value(c.unit, c.after),
            Text(f"{c.change_pct:+.1f}{unit}", style="red" if c.worse else "green"),
            f"{c.runs_before} → {c.runs_after}",
        )
    console.print(table)


def unit_value(unit: str, value: float) -> str:
    if unit == "ms":
        return f"{value:,.2f} ms"
    if unit == "msg/s":
        return f"{value:,.1f} msg/s"
    return f"{value:,.1f}/s" if unit == "rps" else f"{value:.2f}%"
