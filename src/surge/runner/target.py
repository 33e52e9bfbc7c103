"""What a run is pointed at: a URL, a scenario file, User classes or endpoint specs."""

from __future__ import annotations

import enum
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TypeAlias

from surge.config import ConfigError
from surge.scenario import EndpointSpec, User

Target: TypeAlias = (
    str
    | os.PathLike[str]
    | type[User]
    | EndpointSpec
    | Sequence[type[User]]
    | Sequence[EndpointSpec]
)
"""`surge.run`'s first argument: an http(s):// (or ws(s)://) URL, a `.py` or `.toml` scenario
file, one or more `surge.User` subclasses, or one or more `EndpointSpec`s."""


class TargetKind(enum.Enum):
    URL = "url"
    FILE = "file"
    USERS = "users"
    SPECS = "specs"


class Mode(enum.Enum):
    """Where a job's load comes from, as results record it (`meta.mode`)."""

    URL = "url"  # one endpoint: a URL and the HTTP options, or an EndpointSpec
    TOML = "toml"  # one endpoint table of a TOML scenario file
    SCRIPT = "script"  # User classes (a .py scenario, or classes given in Python)
    LOCUST = "locust"  # a locustfile (surge.locust)


def is_url(target: object) -> bool:
    return isinstance(target, str) and target.startswith(("http://", "https://", "ws://", "wss://"))


def is_ws_url(target: object) -> bool:
    return isinstance(target, str) and target.startswith(("ws://", "wss://"))


def _is_user_class(value: object) -> bool:
    return isinstance(value, type) and issubclass(value, User)


def classify(target: Target) -> tuple[TargetKind, tuple[object, ...]]:
    """The kind of `target` and its parts; ConfigError (exit 2) for anything else."""
    if is_url(target):
        return TargetKind.URL, (target,)
    if isinstance(target, str | os.PathLike):
        path = Path(target)
        if path.suffix not in (".py", ".toml"):
            raise ConfigError(
                f"don't know how to run {str(target)!r}: give an http(s):// or ws(s):// URL, a "
                "scenario .py file or a scenarios .toml file"
            )
        if not path.is_file():
            raise ConfigError(f"{target}: no such file")
        return TargetKind.FILE, (str(target),)
    items: tuple[object, ...] = tuple(target) if isinstance(target, Sequence) else (target,)
    if items and all(_is_user_class(item) for item in items):
        return TargetKind.USERS, items
    if items and all(isinstance(item, EndpointSpec) for item in items):
        return TargetKind.SPECS, items
    raise ConfigError(
        f"don't know how to run {target!r}: give an http(s):// URL, a scenario file path, "
        "surge.User subclasses, or EndpointSpecs"
    )


def target_text(target: Target) -> str:
    """The target as results and messages name it."""
    kind, items = classify(target)
    if kind in (TargetKind.URL, TargetKind.FILE):
        return str(items[0])
    if kind is TargetKind.USERS:
        return ", ".join(getattr(item, "__name__", "?") for item in items)
    return ", ".join(getattr(item, "url", "?") for item in items)
