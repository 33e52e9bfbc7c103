"""The `[tool.surge]` section of pyproject.toml: defaults for every option of the table."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from surge.cli.options import BY_CONFIG_KEY


class ConfigError(Exception):
    """A malformed configuration file (message names the file and key)."""


def find_pyproject(start: Path) -> Path | None:
    """The nearest pyproject.toml in `start` or its parents."""
    for folder in (start, *start.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def load_config(start: Path) -> tuple[Path | None, dict[str, Any]]:
    """The option defaults from `[tool.surge]`, keyed by option name."""
    path = find_pyproject(start)
    if path is None:
        return None, {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    section = data.get("tool", {}).get("surge", {})
    if not isinstance(section, dict):
        raise ConfigError(f"{path}: [tool.surge] must be a table")
    values: dict[str, Any] = {}
    for key, value in section.items():
        spec = BY_CONFIG_KEY.get(key)
        if spec is None:
            known = ", ".join(sorted({s.config_key for s in BY_CONFIG_KEY.values()}))
            raise ConfigError(f"{path}: unknown key {key!r} in [tool.surge] (known: {known})")
        if spec.multiple and isinstance(value, str):
            value = [value]
        values[spec.name] = value
    return path, values
