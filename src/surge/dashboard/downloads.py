"""The files a finished run offers on the page: the JSON result document, the CSV statistics
and history, and the HTML report — the same writers as `--out`, `--csv` and `--html`, over the
already redacted RunResult, rendered once when the run ends."""

from __future__ import annotations

import enum
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

from surge.metrics import RunResult

_UNSAFE = re.compile(r"[^\w.-]+")


class Format(enum.Enum):
    """A downloadable document: its file suffix, content type and label on the page."""

    JSON = ("json", "application/json", "JSON")
    STATS_CSV = ("stats.csv", "text/csv", "CSV")
    HISTORY_CSV = ("history.csv", "text/csv", "CSV history")
    HTML = ("html", "text/html", "HTML report")

    @property
    def suffix(self) -> str:
        return self.value[0]

    @property
    def media_type(self) -> str:
        return self.value[1]

    @property
    def label(self) -> str:
        return self.value[2]


@dataclass(frozen=True, slots=True)
class Document:
    """One rendered file of a run."""

    format: Format
    filename: str
    body: bytes


def _writer(fmt: Format) -> Callable[[RunResult, TextIO], None]:
    from surge.report import write_history_csv, write_json, write_stats_csv
    from surge.report.html import write_html

    if fmt is Format.JSON:
        return write_json
    if fmt is Format.STATS_CSV:
        return write_stats_csv
    if fmt is Format.HISTORY_CSV:
        return write_history_csv

    def html(result: RunResult, fp: TextIO) -> None:
        write_html([result], fp)

    return html


def file_stem(result: RunResult, run: int) -> str:
    """`surge-NAME-RUN`, with characters unfit for a file name as `_`."""
    name = _UNSAFE.sub("_", result.meta.name).strip("_") or "run"
    return f"surge-{name[:60]}-{run}"


def render_documents(result: RunResult, run: int) -> dict[Format, Document]:
    """Every downloadable document of `result` (write errors propagate)."""
    stem = file_stem(result, run)
    documents: dict[Format, Document] = {}
    for fmt in Format:
        buffer = io.StringIO(newline="")
        _writer(fmt)(result, buffer)
        body = buffer.getvalue().encode("utf-8")
        documents[fmt] = Document(fmt, f"{stem}.{fmt.suffix}", body)
    return documents
