"""The `[tool.surge]` section of pyproject.toml, and `SURGE_*` variables for the Python API.

`[tool.surge]` gives project-wide defaults for every option of the table (keys are the long flag
names, `ramp-up` or `ramp_up`); the CLI and `surge.run` both read it from the nearest
pyproject.toml at or above the working directory.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from surge.config.convert import ConfigError, ValueProblem, convert_value, from_text
from surge.config.run_config import BY_CONFIG_KEY, RUN_OPTIONS, unknown_message

SECTION = "[tool.surge]"


def find_pyproject(start: Path) -> Path | None:
    """The nearest pyproject.toml in `start` or its parents."""
    for folder in (start, *start.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def load_project(start: Path) -> tuple[Path | None, dict[str, Any]]:
    """The option values of `[tool.surge]`, keyed by option name and already read; ConfigError
    (naming the file and the key, with a did-you-mean) for a bad file, key or value."""
    path = find_pyproject(start)
    if path is None:
        return None, {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    section = data.get("tool", {}).get("surge", {})
    if not isinstance(section, dict):
        raise ConfigError(f"{path}: {SECTION} must be a table")
    values: dict[str, Any] = {}
    for key, value in section.items():
        spec = BY_CONFIG_KEY.get(key)
        if spec is None:
            keys = {s.config_key for s in RUN_OPTIONS}
            raise ConfigError(f"{path}: {unknown_message(key, SECTION, keys)}")
        try:
            values[spec.name] = convert_value(spec, value)
        except ValueProblem as exc:
            raise ConfigError(f"{path}: {SECTION} {key}: {exc}") from None
    if values.get("store"):
        values["store"] = project_store(values["store"], path.parent)
    return path, values


def project_store(url: str, root: Path) -> str:
    """`[tool.surge] store` with a relative SQLite path made relative to the project (the folder
    of pyproject.toml), so every command run anywhere in the project finds the same store."""
    if "://" not in url:
        return str(Path(url) if Path(url).is_absolute() else root / url)
    prefix = "sqlite:///"
    relative = url[len(prefix) :] if url.startswith(prefix) else ""
    if relative and not relative.startswith(("/", ":")):
        return f"{prefix}{root / relative}"
    return url


def env_values(environ: Mapping[str, str]) -> dict[str, Any]:
    """The options set by `SURGE_*` variables in `environ`, read like the CLI reads them."""
    values: dict[str, Any] = {}
    for spec in RUN_OPTIONS:
        text = environ.get(spec.env)
        if text is None or text == "":
            continue
        try:
            values[spec.name] = from_text(spec, text)
        except ValueProblem as exc:
            raise ConfigError(f"{spec.env}: {exc}") from None
    return values
