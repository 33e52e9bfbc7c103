"""Where a store is, worked out without opening it (and without loading SQLAlchemy)."""

from __future__ import annotations

import os
from pathlib import Path

ENV_VAR = "SURGE_STORE"
DEFAULT_PATH = Path(".surge") / "surge.db"
SQLITE = "sqlite:///"
_POSTGRES_ALIASES = ("postgresql://", "postgres://")


def resolve_url(url: str | None, cwd: Path | None = None) -> str:
    """The SQLAlchemy URL of a store: `url`, else $SURGE_STORE, else SQLite at
    `.surge/surge.db` under `cwd`. A value without `://` is a SQLite file path (relative to
    `cwd`); `postgresql://` and `postgres://` use the psycopg 3 driver."""
    base = cwd or Path.cwd()
    chosen = url or os.environ.get(ENV_VAR) or None
    if chosen is None:
        return f"sqlite:///{base / DEFAULT_PATH}"
    if "://" not in chosen:
        return f"sqlite:///{base / chosen}"
    for alias in _POSTGRES_ALIASES:
        if chosen.startswith(alias):
            return "postgresql+psycopg://" + chosen[len(alias) :]
    if chosen.startswith("sqlite:///") and not chosen.startswith("sqlite:////"):
        relative = chosen[len("sqlite:///") :]
        if relative and relative != ":memory:" and not relative.startswith(":"):
            return f"sqlite:///{base / relative}"
    return chosen


def sqlite_path(url: str) -> Path | None:
    """The file of a resolved SQLite URL, None for another database or an in-memory one."""
    if not url.startswith(SQLITE):
        return None
    rest = url[len(SQLITE) :]
    return None if not rest or rest.startswith(":") else Path(rest)
