"""`python manage.py surge COMMAND …`: the surge command line inside a Django project.

Django's own option parsing is bypassed: every argument goes to surge as it is, after a path
target is joined to the base URL (`surge.contrib.django.arguments`). Output and exit codes are
those of `surge COMMAND …`. `call_command("surge", "run", "/api/health/", "-n", "5")` works too;
a non-zero exit becomes a `CommandError` carrying the exit code.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from surge.contrib.django.arguments import ArgumentsError, resolve_arguments


def _settings_host() -> str | None:
    config = getattr(settings, "SURGE", None) or {}
    if not isinstance(config, dict):
        raise ArgumentsError(
            "settings.SURGE must be a dict, e.g. {'host': 'http://127.0.0.1:8000'}"
        )
    host = config.get("host")
    return None if host is None else str(host)


def run_surge(args: Sequence[str], prog_name: str) -> int:
    """Run `surge ARGS` in this process; its exit code (2 for bad input, like surge's own)."""
    from surge.cli.exit_codes import ExitCode
    from surge.cli.main import cli  # the shell every surge command line goes through

    try:
        resolved = resolve_arguments(cli, args, _settings_host())
    except ArgumentsError as exc:  # before any traffic, like surge's own input errors
        print(f"surge: error: {exc}", file=sys.stderr)
        return int(ExitCode.USAGE)
    try:
        cli.main(args=resolved, prog_name=prog_name, standalone_mode=True)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except KeyboardInterrupt:
        print("surge: error: interrupted", file=sys.stderr)
        return int(ExitCode.INTERRUPTED)
    return 0


class Command(BaseCommand):
    help = (
        "Load-test this project and read the results with surge: every surge command "
        "(run, history, compare, baseline, show, report …). A path target is joined to "
        "--host or settings.SURGE['host']: manage.py surge run /api/health/ -u 10 -n 100"
    )

    def run_from_argv(self, argv: list[str]) -> None:
        """`manage.py surge ARGS`: ARGS go to surge unparsed (its flags, its --help)."""
        sys.exit(run_surge(argv[2:], f"{Path(argv[0]).name} {argv[1]}"))

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("surge_args", nargs=argparse.REMAINDER, help="surge COMMAND …")

    def handle(self, *args: Any, **options: Any) -> None:
        """`call_command("surge", "history")`."""
        surge_args = [str(a) for a in (*args, *(options.get("surge_args") or ()))]
        code = run_surge(surge_args, "surge")
        if code:
            raise CommandError(f"surge exited with code {code}", returncode=code)
