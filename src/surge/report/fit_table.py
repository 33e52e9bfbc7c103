"""Tables that fit the terminal they are printed on without losing a column or a value.

A `FitTable` is a rich renderable laid out at print time for the width it is given:

- values (numbers with their units, ids, verdicts) and their headers are never wrapped or cut;
- text columns wrap: names at their separators (`surge.report.wrap.Name`), other text at spaces;
- when that is still too wide, the table is printed in parts, one under the other: each part
  repeats the key columns (method and name, a run id) and takes the next columns that fit,
  keeping a group of columns (the latency percentiles) together when the group fits in one part.

So an 80-column CI log shows every column and every figure a 200-column terminal shows. When the
whole table fits at its natural width it renders exactly like a plain `rich.table.Table`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from rich.console import Console, ConsoleOptions, JustifyMethod, RenderableType, RenderResult
from rich.measure import Measurement
from rich.style import StyleType
from rich.table import Table
from rich.text import Text

CONTINUED = " (continued)"


@dataclass(frozen=True, slots=True)
class Column:
    """One column. `wrap`: its text may wrap over lines (names, messages); other columns hold
    values that are never broken. `key`: repeated in every part of a split table. Consecutive
    columns with the same non-empty `group` go to the same part when they fit together.
    `min_width`: the narrowest a wrapping column may become (its longest word when 0); longer
    words then fold, and a `Name` wraps at its separators."""

    header: str
    justify: JustifyMethod = "right"
    wrap: bool = False
    key: bool = False
    group: str = ""
    min_width: int = 0


@dataclass(frozen=True, slots=True)
class _Row:
    cells: tuple[RenderableType, ...]
    style: StyleType
    end_section: bool


@dataclass(frozen=True, slots=True)
class _Width:
    minimum: int
    natural: int


class FitTable:
    """Rows of cells under `columns`; `table_options` are `rich.table.Table` keyword arguments
    (box, padding, title_justify …). Strings (cells, the title) are text as it is, never rich
    markup."""

    def __init__(
        self, columns: Sequence[Column], *, title: str | Text | None = None, **table_options: Any
    ) -> None:
        self.columns = tuple(columns)
        self.title = Text(title) if isinstance(title, str) else title
        self.table_options = table_options
        self.rows: list[_Row] = []

    def add_row(self, *cells: RenderableType | None, style: StyleType = "") -> None:
        if len(cells) != len(self.columns):
            raise ValueError(f"{len(cells)} cells for {len(self.columns)} columns")
        texts = tuple(
            Text(cell) if isinstance(cell, str) else Text("") if cell is None else cell
            for cell in cells
        )
        self.rows.append(_Row(texts, style, False))

    def add_section(self) -> None:
        """A rule under the rows added so far (before a total row)."""
        if self.rows:
            last = self.rows[-1]
            self.rows[-1] = _Row(last.cells, last.style, True)

    # -- layout ----------------------------------------------------------------------------

    def _widths(self, console: Console, options: ConsoleOptions) -> list[_Width]:
        widths = []
        for index, column in enumerate(self.columns):
            header = Measurement.get(console, options, Text(column.header))
            cells = [Measurement.get(console, options, row.cells[index]) for row in self.rows]
            natural = max([header.maximum, *(cell.maximum for cell in cells)])
            if column.wrap:  # as narrow as `min_width`, else as its longest word
                minimum = column.min_width or max([header.minimum, *(c.minimum for c in cells)])
                minimum = min(minimum, natural)
            else:  # values and their headers stay whole
                minimum = natural
            widths.append(_Width(minimum, natural))
        return widths

    def _overhead(self, console: Console, options: ConsoleOptions, count: int) -> int:
        """The columns' padding and the box's rules of a part of `count` columns."""
        probe = Table(**self.table_options)
        for _ in range(count):
            probe.add_column(width=1)
        return Measurement.get(console, options, probe).maximum - count

    def _parts(
        self, widths: Sequence[_Width], width: int, overhead: Callable[[int], int]
    ) -> list[list[int]]:
        """Column indexes of each part: every column once, the keys in every part.

        The fewest parts that fit; among those, the split whose widest part (at natural widths)
        is narrowest, so that wrapping text gets the room. A group of columns stays in one part
        unless it is too wide for any part on its own.
        """
        keys = [i for i, column in enumerate(self.columns) if column.key]

        def need(indexes: Sequence[int], *, natural: bool = False) -> int:
            total = [*keys, *indexes]
            sizes = (widths[i].natural if natural else widths[i].minimum for i in total)
            return sum(sizes) + overhead(len(total))

        units: list[list[int]] = []
        for group in self._groups():
            if need(group) <= width:
                units.append(group)
            else:  # too wide for any part: its columns are placed one by one
                units += [[index] for index in group]

        @functools.cache
        def best(start: int, count: int) -> tuple[int, tuple[int, ...]] | None:
            """(widest part, where each part ends) for units[start:] in `count` parts."""
            if count == 1:
                rest = [i for unit in units[start:] for i in unit]
                if need(rest) > width:
                    return None
                return need(rest, natural=True), (len(units),)
            found: tuple[int, tuple[int, ...]] | None = None
            for end in range(start + 1, len(units) - count + 2):
                part = [i for unit in units[start:end] for i in unit]
                if need(part) > width:
                    break
                tail = best(end, count - 1)
                if tail is None:
                    continue
                candidate = (max(need(part, natural=True), tail[0]), (end, *tail[1]))
                if found is None or candidate[0] < found[0]:
                    found = candidate
            return found

        for count in range(1, len(units) + 1):
            split = best(0, count)
            if split is not None:
                break
        else:  # a single column wider than the terminal: one column a part, rich squeezes it
            return [sorted([*keys, *unit]) for unit in units]
        parts, start = [], 0
        for end in split[1]:
            parts.append(sorted([*keys, *(i for unit in units[start:end] for i in unit)]))
            start = end
        return parts

    def _groups(self) -> Iterator[list[int]]:
        group: list[int] = []
        name = None
        for index, column in enumerate(self.columns):
            if column.key:
                continue
            if group and (not column.group or column.group != name):
                yield group
                group = []
            group.append(index)
            name = column.group
        if group:
            yield group

    def _allocate(
        self, indexes: Sequence[int], widths: Sequence[_Width], spare: int
    ) -> dict[int, int]:
        """Minimum widths, and the spare room to the wrapping columns in order."""
        out = {i: widths[i].minimum for i in indexes}
        for i in indexes:
            extra = min(widths[i].natural - out[i], spare)
            out[i] += extra
            spare -= extra
        return out

    def _table(self, indexes: Sequence[int], fixed: dict[int, int] | None, part: int) -> Table:
        title = self.title
        if title is not None and part:
            title = title + CONTINUED
        table = Table(title=title, **self.table_options)
        for i in indexes:
            column = self.columns[i]
            table.add_column(
                column.header,
                justify=column.justify,
                no_wrap=not column.wrap,
                overflow="fold",
                width=None if fixed is None else fixed[i],
            )
        for row in self.rows:
            table.add_row(
                *(row.cells[i] for i in indexes), style=row.style, end_section=row.end_section
            )
        return table

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = options.max_width
        widths = self._widths(console, options)
        overheads: dict[int, int] = {}

        def overhead(count: int) -> int:
            if count not in overheads:
                overheads[count] = self._overhead(console, options, count)
            return overheads[count]

        everything = list(range(len(self.columns)))
        natural = sum(w.natural for w in widths) + overhead(len(everything))
        if natural <= width:
            yield self._table(everything, None, 0)
            return
        for part, indexes in enumerate(self._parts(widths, width, overhead)):
            spare = width - overhead(len(indexes)) - sum(widths[i].minimum for i in indexes)
            yield self._table(indexes, self._allocate(indexes, widths, max(spare, 0)), part)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        widths = self._widths(console, options)
        natural = sum(w.natural for w in widths) + self._overhead(
            console, options, len(self.columns)
        )
        return Measurement(min(natural, options.max_width), natural)
