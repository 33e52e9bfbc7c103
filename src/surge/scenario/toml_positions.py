"""Line numbers of TOML tables and keys, found by scanning the text (tomllib gives none).

The scan understands table headers (`[a.b]`, `[[a]]`), dotted and quoted keys and multi-line
strings well enough to point an error at the line a user has to edit. When a key cannot be
found, `line_of` falls back to the nearest enclosing table that can.
"""

from __future__ import annotations

import json
import re

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


def _toggles_multiline(text: str, delimiter: str | None) -> str | None:
    """The open multi-line string delimiter after `text`, given the one open before it."""
    position = 0
    while True:
        if delimiter is not None:
            end = text.find(delimiter, position)
            if end < 0:
                return delimiter
            position, delimiter = end + 3, None
            continue
        starts = [(text.find(d, position), d) for d in ('"""', "'''")]
        found = [(index, d) for index, d in starts if index >= 0]
        if not found:
            return None
        index, delimiter = min(found)
        position = index + 3


class TomlPositions:
    """Maps key paths (('scenarios', 'list_items', 'users')) to the 1-based line defining them."""

    def __init__(self, text: str) -> None:
        self._lines: dict[KeyPath, int] = {}
        table: KeyPath = ()
        open_string: str | None = None
        for number, line in enumerate(text.splitlines(), start=1):
            if open_string is not None:
                open_string = _toggles_multiline(line, open_string)
                continue
            header = _HEADER.match(line)
            if header:
                table = split_key(header.group(1))
                self._record(table, number)
                continue
            assignment = _ASSIGNMENT.match(line)
            if assignment:
                self._record(table + split_key(assignment.group(1)), number)
                open_string = _toggles_multiline(line[assignment.end() :], None)

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
