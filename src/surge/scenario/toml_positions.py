"""Line numbers of TOML tables, keys and array items, found by scanning the text (tomllib gives
none).

The scan understands table headers (`[a.b]`, `[[a]]`), dotted and quoted keys, strings (multi-line
ones too), comments and values spanning lines well enough to point an error at the line a user
has to edit. When a key cannot be found, `line_of` falls back to the nearest enclosing table that
can.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Callable

_BARE = r"[A-Za-z0-9_-]+"
_BASIC = r'"(?:[^"\\]|\\.)*"'
_LITERAL = r"'[^']*'"
_PART = rf"(?:{_BARE}|{_BASIC}|{_LITERAL})"
_KEY = rf"\s*{_PART}\s*(?:\.\s*{_PART}\s*)*"
_HEADER = re.compile(rf"^\s*\[\[?({_KEY})\]\]?")
_ASSIGNMENT = re.compile(rf"^\s*({_KEY})=")
_PART_RE = re.compile(_PART)

KeyPath = tuple[str, ...]


def _unquote(part: str) -> str:
    if part.startswith('"'):
        try:
            value = json.loads(part)
        except ValueError:
            return part[1:-1]
        return value if isinstance(value, str) else part[1:-1]
    if part.startswith("'"):
        return part[1:-1]
    return part


def split_key(key: str) -> KeyPath:
    """`a."b c".d` -> ('a', 'b c', 'd')."""
    return tuple(_unquote(part) for part in _PART_RE.findall(key))


def quote_key(part: str) -> str:
    """A key part as TOML would write it: bare when possible, quoted otherwise."""
    return part if re.fullmatch(_BARE, part) else json.dumps(part)


_STRINGS = (
    re.compile(r'"""(?:[^"\\]|\\.|"(?!""))*"{3,5}', re.S),  # multi-line basic
    re.compile(r"'''.*?'{3,5}", re.S),  # multi-line literal
    re.compile(r'"(?:[^"\\\n]|\\.)*"'),  # basic
    re.compile(r"'[^'\n]*'"),  # literal
)


def _string_end(text: str, start: int) -> int:
    """Where the string starting at `start` ends (the end of the line if it never closes)."""
    for pattern in _STRINGS:
        found = pattern.match(text, start)
        if found:
            return found.end()
    end = text.find("\n", start)
    return len(text) if end < 0 else end


def _scan_value(text: str, start: int, line_at: Callable[[int], int]) -> tuple[int, list[int]]:
    """Skip the value starting at `start`: return the offset of the newline ending it and, when
    it is an array, the line on which each of its items starts.

    Strings (multi-line ones too), comments and nested arrays or inline tables are stepped over,
    so nothing inside a value is mistaken for a key or a table header.
    """
    depth, array, expecting = 0, False, False
    items: list[int] = []
    position = start
    while position < len(text):
        char = text[position]
        if char == "\n" and depth == 0:
            return position, items
        if char.isspace():
            position += 1
            continue
        if char == "#":
            end = text.find("\n", position)
            position = len(text) if end < 0 else end
            continue
        if depth == 1 and array and expecting and char not in ",]}":
            items.append(line_at(position))
            expecting = False
        if char in "\"'":
            position = _string_end(text, position)
            continue
        if char in "[{":
            if depth == 0:
                array = expecting = char == "["
            depth += 1
        elif char in "]}":
            depth = max(0, depth - 1)
        elif char == "," and depth == 1:
            expecting = True
        position += 1
    return len(text), items


class TomlPositions:
    """Maps key paths (('scenarios', 'list_items', 'users')) to the 1-based line defining them,
    and array-valued keys to the line of each item."""

    def __init__(self, text: str) -> None:
        self._lines: dict[KeyPath, int] = {}
        self._items: dict[KeyPath, list[int]] = {}
        starts = [0] + [index + 1 for index, char in enumerate(text) if char == "\n"]

        def line_at(offset: int) -> int:
            return bisect.bisect_right(starts, offset)

        table: KeyPath = ()
        offset = 0
        while offset < len(text):
            end = text.find("\n", offset)
            end = len(text) if end < 0 else end
            line, number = text[offset:end], line_at(offset)
            header = _HEADER.match(line)
            assignment = None if header else _ASSIGNMENT.match(line)
            if header:
                table = split_key(header.group(1))
                self._record(table, number)
                if line.lstrip().startswith("[["):
                    self._items.setdefault(table, []).append(number)
            elif assignment:
                path = table + split_key(assignment.group(1))
                self._record(path, number)
                end, items = _scan_value(text, offset + assignment.end(), line_at)
                self._items.setdefault(path, items)
            offset = end + 1

    def _record(self, path: KeyPath, line: int) -> None:
        for end in range(1, len(path) + 1):
            self._lines.setdefault(path[:end], line)

    def line_of(self, *path: str) -> int | None:
        """The line of `path`, else of its nearest recorded parent, else None."""
        for end in range(len(path), 0, -1):
            line = self._lines.get(path[:end])
            if line is not None:
                return line
        return None

    def item_lines(self, *path: str) -> tuple[int, ...]:
        """The line of each item of the array at `path` (an inline array or `[[array]]` tables),
        in order; empty when `path` is not an array the scan found."""
        return tuple(self._items.get(path, ()))
