"""The arguments of `manage.py surge …` as the surge command line takes them.

A command with a TARGET (`run`, `calibrate`) may name a path of the project (`/api/health/`):
it becomes a URL on the base URL, which is `--host` when given, else the `host` of the Django
settings' `SURGE` dict. A scenario file gets that base URL as its `--host` when none is given.
Everything else passes through unchanged, so every flag, output and exit code is surge's own.
No Django here: the management command hands the settings' host in.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from urllib.parse import urlsplit

import click

HOST_FLAG = "--host"
# The parameter that holds the target: `run TARGET [CLASS]...` and `calibrate TARGET`.
_TARGET_PARAMS = frozenset({"target", "arguments"})
SETTINGS_HINT = 'SURGE = {"host": "http://127.0.0.1:8000"}'


class ArgumentsError(ValueError):
    """A path target with no base URL, or a base URL that is not one (exit 2)."""


def _value_options(command: click.Command) -> dict[str, int]:
    """Each option string of `command` that takes values, with how many (flags take none)."""
    takes: dict[str, int] = {}
    for param in command.params:
        if isinstance(param, click.Option) and not (param.is_flag or param.count):
            for name in (*param.opts, *param.secondary_opts):
                takes[name] = param.nargs
    return takes


def _positionals(args: Sequence[str], takes: dict[str, int]) -> list[int]:
    """Indexes of the positional arguments in `args` (options and their values skipped)."""
    found: list[int] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            return found + list(range(i + 1, len(args)))
        if arg.startswith("--"):
            name, eq, _ = arg.partition("=")
            i += 1 + (0 if eq else takes.get(name, 0))
        elif arg.startswith("-") and len(arg) > 1:
            i += 1 + (takes.get(arg, 0) if len(arg) == 2 else 0)  # `-u 10`, `-u10`, `-q`
        else:
            found.append(i)
            i += 1
    return found


def _given_host(args: Sequence[str]) -> str | None:
    for i, arg in enumerate(args):
        if arg == HOST_FLAG and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith(HOST_FLAG + "="):
            return arg.partition("=")[2]
    return None


def _base_url(host: str, where: str) -> str:
    parts = urlsplit(host)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ArgumentsError(
            f"{where}: {host!r} is not an http(s) URL (e.g. http://127.0.0.1:8000)"
        )
    return host.rstrip("/")


def is_path(target: str) -> bool:
    """`/api/health/` (a path of the site), not a URL and not an existing scenario file."""
    return target.startswith("/") and not os.path.exists(target)


def resolve_arguments(
    group: click.Group, args: Sequence[str], settings_host: str | None
) -> list[str]:
    """`args` of `surge` (the subcommand first) with a path target joined to the base URL."""
    args = list(args)
    if not args:
        return args
    with click.Context(group) as ctx:
        command = group.get_command(ctx, args[0])
    if command is None or not any(p.name in _TARGET_PARAMS for p in command.params):
        return args
    rest = args[1:]
    positionals = _positionals(rest, _value_options(command))
    if not positionals:
        return args  # click says what is missing
    index = positionals[0]
    target = rest[index]
    given = _given_host(rest)
    host = given if given is not None else settings_host
    where = "--host" if given is not None else "settings.SURGE['host']"
    if is_path(target):
        if host is None:
            raise ArgumentsError(
                f"{target} is a path of this site: set {SETTINGS_HINT} in the Django settings "
                "or pass --host http://HOST:PORT"
            )
        rest[index] = _base_url(host, where) + target
    elif given is None and host is not None and not target.lower().startswith(("http:", "https:")):
        rest += [HOST_FLAG, _base_url(host, where)]  # a scenario file: the site is its host
    return [args[0], *rest]
