"""The report files of a run: functions over RunResults that any producer calls once its
results are final (a load run, a benchmark). A write error is raised, never swallowed."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from surge.config import RunConfig
from surge.metrics import RunResult
from surge.runner.observer import Observers

_UNSAFE_IN_FILE_NAME = re.compile(r"[^\w.-]+")
STDOUT = "-"  # `--out -`: the JSON document on standard output

Writer = Callable[[Sequence[RunResult], TextIO], None]


def csv_prefixes(results: Sequence[RunResult], prefix: str) -> list[str]:
    """One CSV file prefix per result: PREFIX alone for one run, PREFIX_NAME per scenario
    (characters unfit for a file name as `_`), and a run number when a name repeats."""
    if len(results) == 1:
        return [prefix]
    names = [r.meta.name for r in results]
    distinct = len(set(names)) > 1
    out: list[str] = []
    for i, name in enumerate(names):
        part = prefix + "_" + _UNSAFE_IN_FILE_NAME.sub("_", name) if distinct else prefix
        if names.count(name) > 1:  # --repeat: one set of files per run
            part += f"_{names[: i + 1].count(name)}"
        out.append(part)
    return out


def to_json(results: RunResult | Sequence[RunResult]) -> str:
    """The `--out` document of a result (or of several, as `surge run` writes them), byte for
    byte: what `surge.run(..., out="r.json")` writes, as text."""
    from surge.report.json_report import dumps, results_to_dict

    return dumps(results_to_dict([results] if isinstance(results, RunResult) else results))


def _report_files() -> tuple[tuple[str, Writer, str], ...]:
    """Whole-run report files: option name, writer, what the notice says was written. The
    writers load on first use (the HTML report's code is large)."""
    from surge.report import write_junit, write_results_json
    from surge.report.html import write_html
    from surge.report.text_report import write_text_report

    return (
        ("out", write_results_json, "JSON result"),
        ("junit", write_junit, "JUnit XML"),
        ("report_text", write_text_report, "Text report"),
        ("html", write_html, "HTML report"),
    )


def write_reports(
    results: Sequence[RunResult],
    config: RunConfig,
    observers: Observers,
    stdout: TextIO | None = None,
) -> None:
    """The files `config` asks for: out (JSON; `-` writes it to `stdout`, by default the
    process's), junit, report_text, html and csv. Each written file is a notice."""
    if not any(
        getattr(config, option) for option in ("out", "junit", "report_text", "html", "csv")
    ):
        return
    for option, writer, label in _report_files():
        target = getattr(config, option)
        if not target:
            continue
        if target == STDOUT and option == "out":
            out = stdout or sys.stdout
            writer(results, out)
            out.flush()
            continue
        path = Path(target)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8") as fp:
            writer(results, fp)
        observers.info(f"{label} written to {path}")
    if config.csv:
        from surge.report import write_csv

        for result, prefix in zip(results, csv_prefixes(results, config.csv), strict=True):
            for written in write_csv(result, prefix):
                observers.info(f"CSV written to {written}")
