"""The `surge` command line: the composition root that wires every stage together."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

import click

from surge.cli.options import RUN_OPTIONS, click_options, explicit_values
from surge.cli.run_help import RunCommand
from surge.cli.terminal import print_error
from surge.config import ConfigError, load_project
from surge.metrics import ExitCode
from surge.version import __version__

# Commands imported when used, so that `surge run` does not load the store browser, the
# statistics or the HTML report code at start-up: name -> (module, attribute).
_LAZY_COMMANDS: dict[str, tuple[str, str]] = {
    "baseline": ("surge.cli.store_commands", "baseline_group"),
    "bench": ("surge.cli.bench_command", "bench_cmd"),
    "calibrate": ("surge.cli.calibrate_command", "calibrate_cmd"),
    "compare": ("surge.cli.compare_commands", "compare_cmd"),
    "export": ("surge.cli.store_commands", "export_cmd"),
    "history": ("surge.cli.store_commands", "history_cmd"),
    "report": ("surge.cli.report_commands", "report_cmd"),
    "show": ("surge.cli.store_commands", "show_cmd"),
}


class _Group(click.Group):
    """Reads `[tool.surge]` from pyproject.toml before parsing (the commands find its values in
    `ctx.obj`), and imports the commands in `_LAZY_COMMANDS` on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *_LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        lazy = _LAZY_COMMANDS.get(cmd_name)
        if lazy is None:
            return super().get_command(ctx, cmd_name)
        module, attribute = lazy
        command = getattr(importlib.import_module(module), attribute)
        assert isinstance(command, click.Command)
        return command

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        try:
            _, values = load_project(Path.cwd())
        except ConfigError as exc:
            print_error(str(exc))
            sys.exit(ExitCode.USAGE)
        extra.setdefault("obj", values)
        return super().make_context(info_name, args, parent, **extra)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="surge")
def cli() -> None:
    """surge: load tests and benchmarks for web backends, with honest numbers."""


@cli.command("run", cls=RunCommand)
@click.argument("arguments", nargs=-1, metavar="TARGET [CLASS]...")
@click_options(RUN_OPTIONS)
@click.pass_context
def run_cmd(ctx: click.Context, /, arguments: tuple[str, ...], **options: Any) -> None:
    """Load-test TARGET: an http(s):// URL, a scenario .py file, a scenarios .toml file, or a
    locustfile (also as -f FILE); CLASS names pick a locustfile's user classes."""
    from surge.cli.run_command import locust_habits, run_target

    del options
    explicit = explicit_values(ctx)
    try:
        target = locust_habits(arguments, explicit)
    except click.UsageError as exc:
        print_error(exc.format_message())
        sys.exit(ExitCode.USAGE)
    sys.exit(run_target(target, explicit, ctx.find_root().obj or {}))


@cli.command("demo")
@click.option(
    "--serve", is_flag=True, help="Only start the demo API and keep it up (Ctrl-C stops)."
)
@click.option("--port", type=int, default=0, help="Port for the demo API (default: a free one).")
@click.option("-u", "--users", type=click.IntRange(min=1), default=10, show_default=True)
@click.option("-d", "--duration", default="20s", show_default=True, help="Run length.")
@click.option(
    "--out",
    type=click.Path(),
    default="surge-demo.json",
    show_default=True,
    help="Where to write the JSON result.",
)
@click.option("-q", "--quiet", is_flag=True, help="No live view.")
def demo_cmd(serve: bool, port: int, users: int, duration: str, out: str, quiet: bool) -> None:
    """Start the bundled sample API and load-test it with the bundled scenario."""
    from surge.cli.demo import run_demo

    sys.exit(run_demo(serve=serve, port=port, users=users, duration=duration, out=out, quiet=quiet))


def main() -> None:
    try:
        cli(standalone_mode=True)
    except KeyboardInterrupt:
        print_error("interrupted")
        sys.exit(ExitCode.INTERRUPTED)
