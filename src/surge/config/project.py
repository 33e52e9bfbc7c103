"""The `[tool.surge]` section of pyproject.toml, and `SURGE_*` variables for the Python API.

`[tool.surge]` gives project-wide defaults for every option of the table (keys are the long flag
names, `ramp-up` or `ramp_up`); the CLI and `surge.run` both read it from the nearest
pyproject.toml at or above the working directory.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from surge.config.convert import ConfigError, ValueProblem, convert_value, from_text
from surge.config.run_config import RUN_OPTIONS, unknown_message
from surge.config.spec import OptionSpec

SECTION = "[tool.surge]"
# Tables inside [tool.surge] that belong to a shell with its own options ([tool.surge.pytest]:
# the pytest plugin, docs/pytest.md); `load_table` reads them.
SUBTABLES = frozenset({"pytest"})


def find_pyproject(start: Path) -> Path | None:
    """The nearest pyproject.toml in `start` or its parents."""
    for folder in (start, *start.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def _surge_section(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    section = data.get("tool", {}).get("surge", {})
    if not isinstance(section, dict):
        raise ConfigError(f"{path}: {SECTION} must be a table")
    return section


def _read_section(
    path: Path, section: Mapping[str, Any], specs: Sequence[OptionSpec], label: str
) -> dict[str, Any]:
    by_key = {s.config_key: s for s in specs} | {s.name: s for s in specs}
    values: dict[str, Any] = {}
    for key, value in section.items():
        spec = by_key.get(key)
        if spec is None:
            keys = {s.config_key for s in specs}
            raise ConfigError(f"{path}: {unknown_message(key, label, keys)}")
        try:
            values[spec.name] = convert_value(spec, value)
        except ValueProblem as exc:
            raise ConfigError(f"{path}: {label} {key}: {exc}") from None
    if values.get("store"):
        values["store"] = project_store(values["store"], path.parent)
    return values


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


def load_project(start: Path) -> tuple[Path | None, dict[str, Any]]:
    """The option values of `[tool.surge]`, keyed by option name and already read; ConfigError
    (naming the file and the key, with a did-you-mean) for a bad file, key or value."""
    path = find_pyproject(start)
    if path is None:
        return None, {}
    section = {
        k: v
        for k, v in _surge_section(path).items()
        if not (k in SUBTABLES and isinstance(v, dict))
    }
    return path, _read_section(path, section, RUN_OPTIONS, SECTION)


def load_table(
    start: Path, table: str, specs: Sequence[OptionSpec]
) -> tuple[Path | None, dict[str, Any]]:
    """The option values of `[tool.surge.TABLE]` (a shell's own options, read with the same
    rules as `[tool.surge]`): keyed by option name; ConfigError for a bad key or value."""
    path = find_pyproject(start)
    if path is None:
        return None, {}
    section = _surge_section(path).get(table, {})
    label = f"[tool.surge.{table}]"
    if not isinstance(section, dict):
        raise ConfigError(f"{path}: {label} must be a table")
    return path, _read_section(path, section, specs, label)


def env_values(
    environ: Mapping[str, str],
    specs: Sequence[OptionSpec] = RUN_OPTIONS,
    prefix: str = "SURGE_",
) -> dict[str, Any]:
    """The options set by `SURGE_*` variables in `environ`, read like the CLI reads them
    (`specs` and `prefix`: a shell's own table, e.g. the pytest plugin's `SURGE_PYTEST_*`)."""
    values: dict[str, Any] = {}
    for spec in specs:
        env = prefix + spec.name.upper()
        text = environ.get(env)
        if text is None or text == "":
            continue
        try:
            values[spec.name] = from_text(spec, text)
        except ValueProblem as exc:
            raise ConfigError(f"{env}: {exc}") from None
    return values
