"""`surge report RUN... --html FILE`: the reports of stored runs, written after the fact.

RUN is a store reference (`42` or `#42`, `NAME` for the latest run of NAME, `NAME~1` for the one
before). Several RUNs make one HTML file with a section per run, in the order given.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, TextIO

import click
from rich.console import Console

from surge.cli.exit_codes import ExitCode
from surge.cli.store_access import store_url as project_store_url
from surge.metrics import RunResult
from surge.report import write_results_json
from surge.report.html import write_compare_html, write_html
from surge.report.text_report import write_text_report
from surge.store import Store, StoreError

if TYPE_CHECKING:
    from surge.compare import Comparison

Writer = Callable[[Sequence[RunResult], TextIO], None]


def _fail(message: str) -> NoReturn:
    Console(stderr=True, highlight=False).print(f"[bold red]surge: error:[/] {message}")
    sys.exit(ExitCode.USAGE)


def load_results(refs: Sequence[str], store_url: str | None) -> list[RunResult]:
    """The stored results `refs` name, in order; StoreError for a bad store or reference."""
    with Store.open(project_store_url(store_url)) as store:
        return [store.get(ref).result for ref in refs]


def write_file(path: Path, writer: Writer, results: Sequence[RunResult], kind: str) -> str:
    """Write one report file; an unwritable path is a usage error with the OS's reason."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8") as fp:
            writer(results, fp)
    except OSError as exc:
        _fail(f"cannot write the {kind} to {path}: {exc.strerror or exc}")
    return f"{kind} written to {path}"


@click.command("report")
@click.argument("runs", nargs=-1, required=True, metavar="RUN...")
@click.option(
    "--html",
    "html_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write a self-contained HTML report (one section per RUN) to FILE.",
    metavar="FILE",
)
@click.option(
    "--text",
    "text_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the plain-text report of the RUNs to FILE.",
    metavar="FILE",
)
@click.option(
    "--out",
    "json_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the JSON results document of the RUNs to FILE.",
    metavar="FILE",
)
@click.option(
    "--store",
    "store_url",
    envvar="SURGE_STORE",
    show_envvar=True,
    help="The store to read: a SQLAlchemy URL or a SQLite file path (default: .surge/surge.db).",
    metavar="URL",
)
def report_cmd(
    runs: tuple[str, ...],
    html_path: Path | None,
    text_path: Path | None,
    json_path: Path | None,
    store_url: str | None,
) -> None:
    """Write reports of stored RUNs (an id like 42, a run NAME for its latest run, NAME~1 …)."""
    if html_path is None and text_path is None and json_path is None:
        _fail("nothing to write: give --html FILE, --text FILE and/or --out FILE")
    try:
        results = load_results(runs, store_url)
    except StoreError as exc:
        _fail(str(exc))
    console = Console(highlight=False)
    if html_path is not None:
        console.print(write_file(html_path, write_html, results, "HTML report"), markup=False)
    if text_path is not None:
        message = write_file(text_path, write_text_report, results, "Text report")
        console.print(message, markup=False)
    if json_path is not None:
        message = write_file(json_path, write_results_json, results, "JSON result")
        console.print(message, markup=False)
    sys.exit(ExitCode.OK)


def write_compare_report(
    path: Path,
    comparison: Comparison,
    baseline: Sequence[RunResult],
    candidate: Sequence[RunResult],
) -> str:
    """`surge compare --html FILE`: the comparison's HTML report (exit 2 if unwritable)."""

    def writer(_: Sequence[RunResult], fp: TextIO) -> None:
        write_compare_html(comparison, baseline, candidate, fp)

    return write_file(path, writer, candidate, "HTML comparison report")
