"""The end-of-run summary as a plain-text file (`--report-text FILE`): the terminal summary,
section for section, without colour or control codes, at a fixed width so the file reads the
same in any viewer and diffs cleanly between runs."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import TextIO

from rich.console import Console

from surge.metrics import RunResult
from surge.report.terminal import print_summary

TEXT_WIDTH = 120


def write_text_report(results: Sequence[RunResult], fp: TextIO, *, width: int = TEXT_WIDTH) -> None:
    """Write the summary of every result to `fp` as plain text (write errors propagate).
    Several results (scenarios of a TOML file, --repeat) are separated by a rule with the name.
    Lines carry no trailing blanks (the terminal's table padding)."""
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        width=width,
        color_system=None,
        force_terminal=False,
        force_jupyter=False,
        force_interactive=False,
        highlight=False,
        emoji=False,
        soft_wrap=False,
        legacy_windows=False,
    )
    for index, result in enumerate(results):
        if len(results) > 1:
            if index:
                console.print()
            console.rule(f"{index + 1}. {result.meta.name}", characters="=")
        print_summary(result, console)
    fp.write("".join(line.rstrip() + "\n" for line in buffer.getvalue().splitlines()))
