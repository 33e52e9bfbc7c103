"""Errors a user can cause in a scenario: each says what was wrong, where, and what to do."""

from __future__ import annotations

from pathlib import Path


class ScenarioError(Exception):
    """A scenario file or class is invalid; raised before any traffic is sent.

    `str(error)` reads like a compiler message: `scenarios.toml:12: unknown key 'usrs' ...`.
    """

    def __init__(self, message: str, path: str | Path | None = None, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.path = Path(path) if path is not None else None
        self.line = line

    @property
    def location(self) -> str:
        """`file:line`, `file`, or an empty string when the error has no position."""
        if self.path is None:
            return ""
        if self.line is None:
            return str(self.path)
        return f"{self.path}:{self.line}"

    def __reduce__(self) -> tuple[type[ScenarioError], tuple[object, ...]]:
        return (ScenarioError, (self.message, self.path, self.line))

    def __str__(self) -> str:
        location = self.location
        return f"{location}: {self.message}" if location else self.message


class EndpointOptionError(ValueError):
    """A URL-mode option (`--header`, `--json`, ...) is invalid; names the option and the value."""

    def __init__(self, option: str, message: str):
        super().__init__(f"{option}: {message}")
        self.option = option
        self.message = message

    def __reduce__(self) -> tuple[type[EndpointOptionError], tuple[object, ...]]:
        return (EndpointOptionError, (self.option, self.message))
