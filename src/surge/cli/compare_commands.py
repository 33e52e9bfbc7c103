"""`surge compare`, and the compare step of `surge run --compare-to NAME`.

Exit codes: 1 when any finding regressed; 5 (COMPARE_INCONCLUSIVE) under `--strict` when the
verdict is inconclusive; 2 for bad input (unknown run or name, no baseline, bad --tolerance);
else 0. See docs/compare.md.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import click
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.text import Text

from surge.cli.changes import unit_value
from surge.cli.options import BY_NAME, click_options
from surge.cli.report_commands import write_compare_report
from surge.cli.store_access import fail, opened, store_option
from surge.compare import (
    Comparison,
    Finding,
    Method,
    ToleranceError,
    Tolerances,
    Verdict,
    parse_tolerances,
    write_comparison_json,
)
from surge.compare.comparison import DEFAULT_SEED
from surge.compare_api import baseline_of, compare_stored, latest_candidates
from surge.report.fit_table import Column, FitTable
from surge.report.wrap import NAME_COLUMN_MIN_WIDTH, Name, Parts
from surge.runner.verdict import comparison_exit
from surge.store import Baseline, Store, StoredRun

_STYLES = {
    Verdict.REGRESSED: "bold red",
    Verdict.IMPROVED: "green",
    Verdict.UNCHANGED: "dim",
    Verdict.INCONCLUSIVE: "yellow",
}


class CompareInputError(Exception):
    """Bad comparison input found before any traffic (exit 2)."""


def _value(finding: Finding, value: float | None) -> str:
    return "—" if value is None else unit_value(finding.unit, value)


def _change(finding: Finding) -> str:
    if finding.change_pct is None:
        return "—"
    unit = "%" if finding.unit != "%" else " pp"
    text = f"{finding.change_pct:+.1f}{unit}"
    if finding.ci_low_pct is not None and finding.ci_high_pct is not None:
        text += f" [{finding.ci_low_pct:+.1f}, {finding.ci_high_pct:+.1f}]"
    return text


def _runs(ids: Sequence[int]) -> str:
    return ", ".join(str(i) for i in ids) if ids else "not stored"


def print_comparison(comparison: Comparison, console: Console) -> None:
    """The header, the warnings, one row per endpoint and metric, and the verdict line."""
    version = f" (version {comparison.baseline_version})" if comparison.baseline_version else ""
    method = {
        Method.RUNS: "exact Mann-Whitney U on per-run values",
        Method.INTERVALS: "block bootstrap over intervals",
        Method.SAMPLES: "block bootstrap over the benches' samples",
    }[comparison.method]
    console.print(
        f"compare: baseline [bold]{escape(comparison.baseline_name)}[/]{escape(version)} runs "
        f"{_runs(comparison.baseline_runs)} vs candidate "
        f"[bold]{escape(comparison.candidate_name)}[/] runs {_runs(comparison.candidate_runs)}"
        f" — {method}, alpha {comparison.alpha:g}, Benjamini-Hochberg across findings"
    )
    for warning in comparison.warnings:
        console.print(f"[yellow]warning:[/] {escape(warning)}")
    columns = (
        Column("endpoint", justify="left", wrap=True, key=True, min_width=NAME_COLUMN_MIN_WIDTH),
        Column("metric", justify="left", key=True),
        Column("baseline"),
        Column("candidate"),
        Column("change [95% CI]"),
        Column("p"),
        Column("verdict", justify="left"),
        Column("reason", justify="left", wrap=True, min_width=NAME_COLUMN_MIN_WIDTH),
    )
    table = FitTable(columns, box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for f in comparison.findings:
        table.add_row(
            Name(f.endpoint),
            f.metric,
            _value(f, f.baseline),
            _value(f, f.candidate),
            _change(f),
            "—" if f.p_value is None else f"{f.p_value:.3g}",
            Text(f.verdict.value, style=_STYLES[f.verdict]),
            Text(f.reason),
        )
    console.print(table)
    style = _STYLES[comparison.verdict]
    named = comparison.regressions or comparison.inconclusive
    verdict = Text.assemble(("verdict: ", "bold"), (comparison.verdict.value.upper(), style))
    detail = [f"{f.endpoint} {f.metric} {_change(f)}" for f in named[:5]]
    if len(named) > 5:
        detail[-1] += f" (+{len(named) - 5} more)"
    if detail:
        verdict.append(f" — {detail[0]}")
    console.print(Parts([verdict, *detail[1:]], separator="; "))
    if comparison.verdict is Verdict.INCONCLUSIVE:
        console.print(
            "[yellow]warning:[/] the comparison is inconclusive: a change for the worse could not "
            "be told from noise (more runs per side help; `--strict` makes this exit 5)"
        )


def _write_json(comparison: Comparison, path_text: str | None, console: Console) -> None:
    if not path_text:
        return
    path = Path(path_text)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as fp:
        write_comparison_json(comparison, fp)
    console.print(f"comparison JSON written to {path}")


def _tolerances(items: Sequence[str]) -> Tolerances:
    try:
        return parse_tolerances(list(items))
    except ToleranceError as exc:
        raise CompareInputError(str(exc)) from None


def _side(store: Store, ref: str) -> list[StoredRun]:
    """One side of `surge compare RUN_A RUN_B`: a reference, or several joined by commas."""
    return [store.get(part) for part in ref.split(",") if part.strip()]


def _select(
    store: Store, refs: Sequence[str], last: int | None
) -> tuple[list[StoredRun], list[StoredRun], Baseline | None]:
    if len(refs) == 1:
        baseline = baseline_of(store, refs[0])
        return list(baseline.runs), latest_candidates(store, refs[0], baseline, last), baseline
    if len(refs) == 2:
        if last is not None:
            raise CompareInputError("--last applies to `surge compare NAME`, not to two runs")
        return _side(store, refs[0]), _side(store, refs[1]), None
    raise CompareInputError("give NAME (compare with its baseline) or RUN_A RUN_B")


@click.command("compare")
@click.argument("refs", nargs=-1, required=True, metavar="NAME | RUN_A RUN_B")
@click.option(
    "--last",
    type=click.IntRange(min=1),
    metavar="N",
    help="With NAME: compare its newest N runs (default: as many as the baseline has).",
)
@click_options((BY_NAME["tolerance"], BY_NAME["strict"]))
@click.option(
    "--json", "json_path", type=click.Path(), metavar="FILE", help="Write the comparison JSON."
)
@click.option(
    "--html",
    "html_path",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="Write a self-contained HTML report: verdicts and baseline/candidate overlays.",
)
@click.option(
    "--seed", type=int, default=DEFAULT_SEED, show_default=True, help="Bootstrap random seed."
)
@store_option
def compare_cmd(
    refs: tuple[str, ...],
    last: int | None,
    tolerance: tuple[str, ...],
    strict: bool,
    json_path: str | None,
    html_path: str | None,
    seed: int,
    store_url: str | None,
) -> None:
    """Compare runs: NAME's newest run(s) against its baseline, or RUN_A (baseline) against
    RUN_B (candidate). A side may list runs joined by commas (3,4,5). Exit 1 on a regression."""
    console = Console(highlight=False)
    try:
        tolerances = _tolerances(tolerance)
        with opened(store_url) as store:
            base, cand, baseline = _select(store, refs, last)
            comparison = compare_stored(
                base,
                cand,
                tolerances=tolerances,
                seed=seed,
                version=baseline.version if baseline else None,
            )
    except CompareInputError as exc:
        fail(str(exc))
    print_comparison(comparison, console)
    _write_json(comparison, json_path, console)
    if html_path:
        results = ([r.result for r in base], [r.result for r in cand])
        console.print(write_compare_report(Path(html_path), comparison, *results), markup=False)
    sys.exit(comparison_exit(comparison, strict=strict))
