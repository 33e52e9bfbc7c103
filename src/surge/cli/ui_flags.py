"""The dashboard's flags (`surge run --ui …`, `surge ui …`): click options only, so that
`surge run` without `--ui` loads nothing of the dashboard (Starlette and uvicorn load with it).

`--ui` (surge run) serves a live dashboard of the run; `--ui-host` (default 127.0.0.1; anything
but loopback requires a token), `--ui-port` (8089; 0 = any free port, printed), `--ui-token`
(`auto` generates one) and `--ui-open`, each with its `SURGE_UI_*` variable. See
docs/dashboard.md.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import click
from click.core import ParameterSource

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_HOST = "127.0.0.1"  # the dashboard's defaults (surge.dashboard.settings says the same)
DEFAULT_PORT = 8089
_NAMES = ("ui_host", "ui_port", "ui_token", "ui_open")


@dataclass(frozen=True, slots=True)
class UiFlags:
    """The dashboard's flags as given (checked by `surge.dashboard.UiSettings.checked`)."""

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    token: str | None = None
    open_browser: bool = False

    def settings(self) -> Any:
        """The `surge.dashboard.UiSettings` of these flags, checked (UiError, exit 2: a
        non-loopback address without a token, a bad port or token)."""
        from surge.dashboard import UiSettings

        return UiSettings(self.host, self.port, self.token, self.open_browser).checked()


def ui_options(*, switch: bool) -> Callable[[F], F]:
    """The dashboard's options; `switch` adds `--ui` (surge run)."""

    def decorate(func: F) -> F:
        func = click.option(
            "--ui-open",
            "ui_open",
            is_flag=True,
            envvar="SURGE_UI_OPEN",
            show_envvar=True,
            help="Open the dashboard in the browser once it is up.",
        )(func)
        func = click.option(
            "--ui-token",
            "ui_token",
            envvar="SURGE_UI_TOKEN",
            show_envvar=True,
            metavar="TOKEN",
            help=(
                "Require this token for the page and every request (needed off loopback); "
                "'auto' generates one and prints it once."
            ),
        )(func)
        func = click.option(
            "--ui-port",
            "ui_port",
            type=click.IntRange(0, 65535),
            default=DEFAULT_PORT,
            show_default=True,
            envvar="SURGE_UI_PORT",
            show_envvar=True,
            help="The dashboard's port (0: any free port, printed).",
        )(func)
        func = click.option(
            "--ui-host",
            "ui_host",
            default=DEFAULT_HOST,
            show_default=True,
            envvar="SURGE_UI_HOST",
            show_envvar=True,
            metavar="HOST",
            help="The dashboard's address; anything but loopback requires --ui-token.",
        )(func)
        if switch:
            func = click.option(
                "--ui",
                "ui",
                is_flag=True,
                help="Serve a live dashboard of this run in the browser (docs/dashboard.md).",
            )(func)
        return func

    return decorate


def ui_flags(options: Mapping[str, Any]) -> UiFlags:
    """The dashboard's flags out of a command's parameters."""
    return UiFlags(
        host=str(options.get("ui_host") or DEFAULT_HOST),
        port=int(options.get("ui_port", DEFAULT_PORT)),
        token=options.get("ui_token"),
        open_browser=bool(options.get("ui_open")),
    )


def ui_request(ctx: click.Context, options: Mapping[str, Any]) -> UiFlags | None:
    """`surge run`: the dashboard's flags when `--ui` is given, None without it; a `--ui-*`
    flag on the command line without `--ui` is a usage error (exit 2)."""
    if options.get("ui"):
        return ui_flags(options)
    for name in _NAMES:
        if ctx.get_parameter_source(name) is ParameterSource.COMMANDLINE:
            flag = "--" + name.replace("_", "-")
            raise click.UsageError(f"{flag} sets up the dashboard: add --ui to serve one")
    return None
