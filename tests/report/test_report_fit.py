"""Fitting the terminal: names wrap at their separators, lines of figures between figures, and
tables continue in parts instead of dropping or cutting a column."""

from __future__ import annotations

import io

import pytest
from rich import box
from rich.console import Console, RenderableType
from rich.table import Table
from rich.text import Text

from surge.report.fit_table import CONTINUED, Column, FitTable
from surge.report.wrap import Name, Parts, pieces, shorten_middle, wrap_name, wrap_text

LONG = "/api/v1/organizations/{org_id}/projects/{project_id}/deployments"


def _render(renderable: RenderableType, width: int) -> str:
    console = Console(width=width, file=io.StringIO(), color_system=None, record=True)
    console.print(renderable)
    return console.export_text()


def test_pieces_end_with_their_separators() -> None:
    assert pieces("/api/v1/items") == ["/", "api/", "v1/", "items"]
    assert pieces("GET /a?x=1&y=2") == ["GET /", "a?", "x=1&", "y=2"]  # runs of separators
    assert pieces("nightly-checkout_suite.v2") == ["nightly-", "checkout_suite.v2"]


@pytest.mark.parametrize("width", [64, 40, 30, 20, 16, 14])
def test_a_name_wraps_at_slashes_and_keeps_every_piece_whole(width: int) -> None:
    lines = wrap_name(LONG, width)
    assert all(len(line) <= width for line in lines)
    assert "".join(lines) == LONG  # nothing lost, nothing shortened: every piece fits
    for line in lines[:-1]:
        assert line.endswith("/")  # broken after a separator, never mid-word


def test_only_a_piece_wider_than_the_column_is_shortened_in_the_middle() -> None:
    assert shorten_middle("organizations/", 9) == "orga…ons/"
    lines = wrap_name(LONG, 12)
    assert "organi…ions/" in lines and "{org_id}/" in lines and "deployments" in lines
    assert all(len(line) <= 12 for line in lines)


def test_wrapping_keeps_styles() -> None:
    text = Text("GET /api/items")
    text.stylize("bold", 0, 3)
    lines = wrap_text(text, 8)
    assert [line.plain for line in lines] == ["GET /", "api/", "items"]
    assert [(span.start, span.end, span.style) for span in lines[0].spans] == [(0, 3, "bold")]


def test_name_renders_within_its_width() -> None:
    assert _render(Name(LONG), 30).splitlines() == [
        "/api/v1/organizations/",
        "{org_id}/projects/",
        "{project_id}/deployments",
    ]


def test_parts_wrap_between_figures_only() -> None:
    parts = Parts(["215 requests", "5 failed (2.33%)", "71.7 req/s", "255.9 KiB received"])
    assert _render(parts, 120).splitlines() == [
        "215 requests · 5 failed (2.33%) · 71.7 req/s · 255.9 KiB received"
    ]
    lines = _render(parts, 40).splitlines()
    assert lines == ["215 requests · 5 failed (2.33%)", "  71.7 req/s · 255.9 KiB received"]


def _table(title: str | None = "Endpoints") -> FitTable:
    columns = [
        Column("Method", justify="left", key=True),
        Column("Name", justify="left", wrap=True, key=True, min_width=16),
        *(Column(h, group="counts") for h in ("Requests", "Fails", "RPS")),
        *(Column(h, group="latency") for h in ("p50", "p95", "p99", "Max")),
    ]
    table = FitTable(columns, title=title, box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_row("GET", Name(LONG), "1,234", "5 (0.41%)", "41.1", *["12.3 ms"] * 4)
    table.add_row("POST", Name("/api/orders"), "65", "0", "2.2", *["1,204 ms"] * 4)
    table.add_section()
    table.add_row("", "Total", "1,299", "5 (0.38%)", "43.3", *["13.0 ms"] * 4, style="bold")
    return table


def test_a_table_that_fits_renders_like_a_plain_rich_table() -> None:
    fitted = _render(_table(), 200)
    plain = Table(title="Endpoints", box=box.SIMPLE_HEAD, pad_edge=False)
    for column in _table().columns:
        plain.add_column(column.header, justify=column.justify, no_wrap=not column.wrap)
    for row in _table().rows:
        plain.add_row(*row.cells, style=row.style, end_section=row.end_section)
    assert fitted == _render(plain, 200)
    assert CONTINUED not in fitted


def test_a_narrow_table_continues_in_parts_with_its_keys_and_groups() -> None:
    text = _render(_table(), 80)
    assert all(len(line) <= 80 for line in text.splitlines())
    assert f"Endpoints{CONTINUED}" in text
    first, second = text.split(f"Endpoints{CONTINUED}")
    for part in (first, second):  # method and name in every part
        assert "Method" in part and "Name" in part and "POST" in part and "/api/orders" in part
    assert all(h in first for h in ("Requests", "Fails", "RPS"))  # counts together
    assert all(h in second for h in ("p50", "p95", "p99", "Max"))  # latencies together
    assert text.count("1,204 ms") == 4 and text.count("5 (0.41%)") == 1  # values whole


def test_a_very_narrow_table_still_renders_every_column() -> None:
    text = _render(_table(title=None), 50)
    for header in ("Requests", "Fails", "RPS", "p50", "p95", "p99", "Max"):
        assert header in text
    assert text.count("1,204 ms") == 4
    assert all(len(line) <= 50 for line in text.splitlines())


def test_cells_are_text_not_markup() -> None:
    table = FitTable([Column("Name", justify="left")], title="[bold]t[/bold]")
    table.add_row("[red]x[/red]")
    text = _render(table, 80)
    assert "[red]x[/red]" in text and "[bold]t[/bold]" in text


def test_a_row_of_the_wrong_length_is_refused() -> None:
    table = FitTable([Column("a"), Column("b")])
    with pytest.raises(ValueError, match="1 cells for 2 columns"):
        table.add_row("x")
