"""The `surge` command line: the composition root that wires every stage together."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

import click

from surge.cli.options import RUN_OPTIONS, click_options, explicit_values
from surge.cli.run_help import RunCommand
from surge.cli.ui_flags import ui_options, ui_request
from surge.config import ConfigError, load_project
from surge.exit_codes import ExitCode

# Commands imported when used, so that `surge run` and `surge --help` do not load the store
# browser, the statistics or the HTML report code: name -> (module, attribute, short help).
_LAZY_COMMANDS: dict[str, tuple[str, str, str]] = {
    "baseline": (
        "surge.cli.store_commands",
        "baseline_group",
        "Mark stored runs as a name's baseline; list, show, delete.",
    ),
    "bench": (
        "surge.cli.bench_command",
        "bench_cmd",
        "Benchmark the callables of FILE.py (@surge.bench, bench_*).",
    ),
    "calibrate": (
        "surge.cli.calibrate_command",
        "calibrate_cmd",
        "Run the same load N times: each endpoint's run-to-run noise.",
    ),
    "compare": (
        "surge.cli.compare_commands",
        "compare_cmd",
        "Compare NAME's newest runs with its baseline, or RUN_A, RUN_B.",
    ),
    "export": (
        "surge.cli.store_commands",
        "export_cmd",
        "Write stored RUN as the JSON and CSV files of `surge run`.",
    ),
    "history": (
        "surge.cli.store_commands",
        "history_cmd",
        "Stored runs, newest first, with each metric's trend.",
    ),
    "report": (
        "surge.cli.report_commands",
        "report_cmd",
        "Write the HTML, text or JSON reports of stored RUNs.",
    ),
    "show": (
        "surge.cli.store_commands",
        "show_cmd",
        "Print stored RUN like the end-of-run summary.",
    ),
    "ui": (
        "surge.cli.ui_command",
        "ui_cmd",
        "Serve a dashboard that starts runs of SCENARIO from a form and shows them live.",
    ),
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
        module, attribute, _ = lazy
        command = getattr(importlib.import_module(module), attribute)
        assert isinstance(command, click.Command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list without importing the lazy commands (their help is written here)."""
        limit = formatter.width - 6 - max(len(name) for name in self.list_commands(ctx))
        rows = []
        for name in self.list_commands(ctx):
            lazy = _LAZY_COMMANDS.get(name)
            if lazy is not None:
                rows.append((name, lazy[2]))
                continue
            command = super().get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

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
            from surge.cli.messages import print_error

            print_error(str(exc))
            sys.exit(ExitCode.USAGE)
        extra.setdefault("obj", values)
        return super().make_context(info_name, args, parent, **extra)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="surge", prog_name="surge")
def cli() -> None:
    """surge: load tests and benchmarks for web backends, with honest numbers."""


@cli.command("run", cls=RunCommand)
@click.argument("arguments", nargs=-1, metavar="TARGET [CLASS]...")
@click_options(RUN_OPTIONS)
@ui_options(switch=True)
@click.pass_context
def run_cmd(ctx: click.Context, /, arguments: tuple[str, ...], **options: Any) -> None:
    """Load-test TARGET: an http(s):// URL, a scenario .py file, a scenarios .toml file, or a
    locustfile (also as -f FILE); CLASS names pick a locustfile's user classes."""
    from surge.cli.run_command import locust_habits, run_target

    ui = ui_request(ctx, options)
    explicit = explicit_values(ctx)
    try:
        target = locust_habits(arguments, explicit)
    except click.UsageError as exc:
        from surge.cli.messages import print_error

        print_error(exc.format_message())
        sys.exit(ExitCode.USAGE)
    sys.exit(run_target(target, explicit, ctx.find_root().obj or {}, ui=ui))


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
        from surge.cli.messages import print_error

        print_error("interrupted")
        sys.exit(ExitCode.INTERRUPTED)
