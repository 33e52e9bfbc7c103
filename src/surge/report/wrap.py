"""Wrapping that keeps words whole: names at their own separators, lines of figures between
their parts. A narrow terminal (an 80-column CI log) then never shows a name split mid-word or a
number torn from its unit.

`Name`: an endpoint name (`/api/v1/organizations/{org_id}/projects`), a run name
(`checkout-nightly`) or a label (`GET /api/items`) that does not fit its column is wrapped
after a `/`, a space, `-`, `?` or `&` (never inside `snake_case` or `file.ext`). Only a single
piece wider than the whole column is shortened, in the middle with `…`, so that its start and end
stay readable.

`Parts`: a line of figures joined by ` · ` (`215 requests · 5 failed (2.33%) · 71.7 req/s`),
wrapped only between two parts, continuation lines indented.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.style import StyleType
from rich.text import Text

ELLIPSIS = "…"
NAME_COLUMN_MIN_WIDTH = 16  # table columns of names wrap rather than become narrower
_PIECE_MIN_WIDTH = 12
_PIECE = re.compile(r"[^/\s?&-]*[/\s?&-]*")


def pieces(name: str) -> list[str]:
    """`/api/v1/items` -> `["/", "api/", "v1/", "items"]`: each piece ends with its separators."""
    return [piece for piece in _PIECE.findall(name) if piece]


def shorten_middle(text: str, width: int) -> str:
    """`text` in at most `width` columns, its middle replaced by `…` when it is longer."""
    if len(text) <= width:
        return text
    if width <= 1:
        return ELLIPSIS[:width]
    head = width // 2
    tail = width - 1 - head
    return text[:head] + ELLIPSIS + (text[-tail:] if tail else "")


def wrap_text(text: Text, width: int) -> list[Text]:
    """The lines of `text` in `width` columns: whole pieces per line (styles kept), trailing
    blanks dropped; a piece wider than `width` on its own is shortened in the middle."""
    width = max(width, 1)
    plain = text.plain
    if len(plain) <= width:
        return [text]
    lines: list[Text] = []
    start = end = 0  # the current line is plain[start:end]
    for piece in pieces(plain):
        piece_end = end + len(piece)
        if end == start or len(plain[start : end + len(piece.rstrip())]) > width:
            if end > start:
                lines.append(_line(text, start, end))
            start = end
        if len(piece.rstrip()) > width:
            lines.append(Text(shorten_middle(piece.rstrip(), width), style=text.style))
            start = piece_end
        end = piece_end
    if end > start:
        lines.append(_line(text, start, end))
    return [line for line in lines if line.plain] or [Text("")]


def _line(text: Text, start: int, end: int) -> Text:
    line = text[start:end]
    line.rstrip()
    return line


def wrap_name(name: str, width: int) -> list[str]:
    """`wrap_text` of a plain string."""
    return [line.plain for line in wrap_text(Text(name), width)]


class Name:
    """A rich renderable of a name that wraps at its separators (see the module docstring).

    Its minimum width is its longest piece (at most 12 columns), so a table gives it room
    to stay whole before it has to shorten anything. `text` may be a styled `Text`.
    """

    def __init__(self, text: str | Text, style: StyleType = "") -> None:
        self.text = text if isinstance(text, Text) else Text(text, style=style)

    def __str__(self) -> str:
        return self.text.plain

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        plain = self.text.plain
        longest = max((len(piece.rstrip()) for piece in pieces(plain)), default=0)
        maximum = len(plain)
        return Measurement(min(longest, _PIECE_MIN_WIDTH, maximum), maximum).with_maximum(
            options.max_width
        )

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        text = Text("\n").join(wrap_text(self.text, options.max_width))
        text.no_wrap = True
        text.overflow = "crop"
        yield text


class Parts:
    """Parts joined by `separator` on one line, wrapped only between two parts.

    A part wider than the whole line is left to rich's own wrapping (at spaces).
    """

    def __init__(
        self,
        parts: Sequence[Text | str],
        *,
        separator: str = " · ",
        indent: int = 2,
        style: StyleType = "",
    ) -> None:
        self.parts = [Text(part) if isinstance(part, str) else part for part in parts]
        self.separator = separator
        self.indent = indent
        self.style = style

    def lines(self, width: int) -> list[Text]:
        lines: list[Text] = []
        line = Text()
        for part in self.parts:
            joined = line.cell_len + len(self.separator) + part.cell_len
            if line.cell_len and joined > width:
                lines.append(line)
                line = Text(" " * self.indent)
            elif line.cell_len:
                line.append(self.separator)
            line.append_text(part)
        if line.cell_len or not lines:
            lines.append(line)
        return lines

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        one_line = sum(part.cell_len for part in self.parts)
        one_line += len(self.separator) * max(len(self.parts) - 1, 0)
        widest = max((part.cell_len for part in self.parts), default=0)
        return Measurement(widest, one_line).with_maximum(options.max_width)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        text = Text("\n", style=self.style).join(self.lines(options.max_width))
        text.style = self.style
        yield text
