"""What every store command shares: `--store URL` (with $SURGE_STORE and `[tool.surge] store`),
opening the store, one-line errors (exit 2) and the console tables print to."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NoReturn, TypeVar

import click
from rich.console import Console
from rich.markup import escape

from surge.exit_codes import ExitCode
from surge.store import ENV_VAR, Store, StoreError

F = TypeVar("F", bound=Callable[..., Any])
WIDE_OUTPUT = 200  # columns for tables written to a file or pipe (no terminal to fit)


def output_console() -> Console:
    """Stdout; when it is not a terminal (CI logs, files) and COLUMNS is unset, wide enough for
    the tables rather than rich's default 80 columns."""
    console = Console(highlight=False)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console.width = WIDE_OUTPUT
    return console


def store_option(func: F) -> F:
    """`--store URL` (env SURGE_STORE), shared by every store command."""
    return click.option(
        "--store",
        "store_url",
        envvar=ENV_VAR,
        show_envvar=True,
        metavar="URL",
        help="The run store: a SQLAlchemy URL (sqlite:///PATH, postgresql://…) or a SQLite "
        "file path. Default: .surge/surge.db in the working directory.",
    )(func)


def fail(message: str) -> NoReturn:
    Console(stderr=True, highlight=False, soft_wrap=True).print(
        f"[bold red]surge: error:[/] {escape(message)}"
    )
    sys.exit(ExitCode.USAGE)


def store_url(given: str | None) -> str | None:
    """The store a command reads: `--store` or $SURGE_STORE (`given`), else `[tool.surge]
    store` of this project, else None (the default, `.surge/surge.db` here)."""
    if given:
        return given
    ctx = click.get_current_context(silent=True)
    project = (ctx.find_root().obj if ctx is not None else None) or {}
    value = project.get("store")
    return str(value) if value else None


@contextmanager
def opened(url: str | None, *, create: bool = False) -> Iterator[Store]:
    """The store at `url` (not created by reading it); any StoreError inside the block is
    printed and exits 2."""
    try:
        with Store.open(store_url(url), create=create) as store:
            yield store
    except StoreError as exc:
        fail(str(exc))
