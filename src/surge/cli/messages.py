"""One-line messages on stderr: `surge: error: …` (the message as it is, never markup)."""

from __future__ import annotations

from rich.console import Console
from rich.text import Text


def error_console() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


def print_error(message: str) -> None:
    """`surge: error: MESSAGE` on stderr."""
    error_console().print(Text.assemble(("surge: error:", "bold red"), " ", message))
