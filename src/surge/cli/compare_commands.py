"""`surge compare`, and the compare step of `surge run --compare-to NAME`.

Exit codes: 1 when any finding regressed; 5 (COMPARE_INCONCLUSIVE) under `--strict` when the
verdict is inconclusive; 2 for bad input (unknown run or name, no baseline, bad --tolerance);
else 0. See docs/compare.md.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from surge.cli.exit_codes import ExitCode
from surge.cli.options import BY_NAME, click_options
from surge.cli.report_commands import write_compare_report
from surge.cli.store_commands import fail, opened, store_option
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
from surge.store import Baseline, Store, StoredRun, StoreError

# A regression fails a CI step like a failed threshold does: exit code 1.
REGRESSION_EXIT = ExitCode.THRESHOLD_FAILED

_STYLES = {
    Verdict.REGRESSED: "bold red",
    Verdict.IMPROVED: "green",
    Verdict.UNCHANGED: "dim",
    Verdict.INCONCLUSIVE: "yellow",
}


class CompareInputError(Exception):
    """Bad comparison input found before any traffic (exit 2)."""


def comparison_exit(comparison: Comparison, *, strict: bool) -> ExitCode:
    if comparison.verdict is Verdict.REGRESSED:
        return REGRESSION_EXIT
    if comparison.verdict is Verdict.INCONCLUSIVE and strict:
        return ExitCode.COMPARE_INCONCLUSIVE
    return ExitCode.OK


def _value(finding: Finding, value: float | None) -> str:
    return "—" if value is None else _unit_value(finding.unit, value)


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
    method = (
        "exact Mann-Whitney U on per-run values"
        if comparison.method is Method.RUNS
        else "block bootstrap over 1 s intervals"
    )
    console.print(
        f"compare: baseline [bold]{escape(comparison.baseline_name)}[/]{escape(version)} runs "
        f"{_runs(comparison.baseline_runs)} vs candidate "
        f"[bold]{escape(comparison.candidate_name)}[/] runs {_runs(comparison.candidate_runs)}"
        f" — {method}, alpha {comparison.alpha:g}, Benjamini-Hochberg across findings"
    )
    for warning in comparison.warnings:
        console.print(f"[yellow]warning:[/] {escape(warning)}")
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for column, justify in (
        ("endpoint", "left"),
        ("metric", "left"),
        ("baseline", "right"),
        ("candidate", "right"),
        ("change [95% CI]", "right"),
        ("p", "right"),
        ("verdict", "left"),
        ("reason", "left"),
    ):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for f in comparison.findings:
        table.add_row(
            Text(f.endpoint),
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
    detail = "; ".join(f"{f.endpoint} {f.metric} {_change(f)}" for f in named[:5])
    more = f" (+{len(named) - 5} more)" if len(named) > 5 else ""
    console.print(
        Text.assemble(("verdict: ", "bold"), (comparison.verdict.value.upper(), style))
        + Text(f" — {detail}{more}" if detail else "")
    )
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


# -- surge run --compare-to NAME


@dataclass(frozen=True, slots=True)
class CompareStep:
    """A `--compare-to` checked before any traffic: the baseline exists, the tolerances parse."""

    name: str
    tolerances: Tolerances
    strict: bool


def prepare_compare_to(store: Store | None, options: dict[str, Any]) -> CompareStep | None:
    """None without --compare-to; raises CompareInputError (exit 2, before traffic)."""
    name = options.get("compare_to")
    if not name:
        return None
    if store is None:
        raise CompareInputError("--compare-to needs the run store: drop --no-store")
    tolerances = _tolerances(options.get("tolerance") or ())
    try:
        baseline_of(store, str(name))
    except StoreError as exc:
        raise CompareInputError(str(exc)) from None
    return CompareStep(str(name), tolerances, bool(options.get("strict")))


def finish_compare_to(
    step: CompareStep | None,
    store: Store | None,
    stored_ids: Sequence[int],
    code: ExitCode,
    console: Console,
) -> ExitCode:
    """Compare this invocation's stored runs with the baseline and combine the exit codes: a
    signal skips the comparison; an exit the run already earned (6, 3, 4, 1) stands; else the
    comparison's (1 on a regression, 5 on inconclusive under --strict)."""
    if step is None or store is None or code in (ExitCode.INTERRUPTED, ExitCode.TERMINATED):
        return code
    if not stored_ids:
        Console(stderr=True, highlight=False).print(
            "[bold yellow]surge: warning:[/] no run was stored: nothing to compare"
        )
        return code
    console.rule(f"compare with the baseline of {step.name}")
    try:
        baseline = baseline_of(store, step.name)
        candidate = [store.get(run_id) for run_id in stored_ids]
    except StoreError as exc:
        Console(stderr=True, highlight=False).print(
            f"[bold red]surge: error:[/] {escape(str(exc))}"
        )
        return code if code is not ExitCode.OK else ExitCode.USAGE
    comparison = compare_stored(
        baseline.runs, candidate, tolerances=step.tolerances, version=baseline.version
    )
    print_comparison(comparison, console)
    if code is not ExitCode.OK:
        return code
    return comparison_exit(comparison, strict=step.strict)


# -- surge history NAME --changes


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
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for column in ("from run", "endpoint", "metric", "before", "after", "change", "runs"):
        table.add_column(column)
    for c in found:
        unit = " pp" if c.unit == "%" else "%"
        table.add_row(
            str(c.run_id),
            Text(c.endpoint),
            c.metric,
            _unit_value(c.unit, c.before),
            _unit_value(c.unit, c.after),
            Text(f"{c.change_pct:+.1f}{unit}", style="red" if c.worse else "green"),
            f"{c.runs_before} → {c.runs_after}",
        )
    console.print(table)


def _unit_value(unit: str, value: float) -> str:
    if unit == "ms":
        return f"{value:,.2f} ms"
    return f"{value:,.1f}/s" if unit == "rps" else f"{value:.2f}%"
