"""The one entry point for scenario files: `load_scenario(path)` picks the loader by suffix.

The loaders (and tomllib, ast, inspect under them) are imported when a file is loaded: a run of a
URL or of User classes never needs them, and `surge run URL` starts sooner without them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from surge.scenario.errors import ScenarioError
from surge.scenario.model import Scenario


def _script(path: Path) -> tuple[Scenario, ...]:
    from surge.scenario.script_loader import load_script

    return (load_script(path),)


def _toml(path: Path) -> tuple[Scenario, ...]:
    from surge.scenario.toml_loader import load_toml

    return load_toml(path)


_LOADERS: dict[str, Callable[[Path], tuple[Scenario, ...]]] = {
    ".py": _script,
    ".toml": _toml,
}


def load_scenario(path: str | Path) -> tuple[Scenario, ...]:
    """Load a scenario file: a `.py` script (one Scenario) or a `.toml` file (one per table)."""
    file = Path(path)
    loader = _LOADERS.get(file.suffix.lower())
    if loader is None:
        kinds = ", ".join(sorted(_LOADERS))
        raise ScenarioError(
            f"unsupported scenario file type {file.suffix or '(none)'!r}: use one of {kinds} "
            "(a Python script with surge.User classes, or a TOML file of [scenarios.NAME])",
            file,
        )
    if not file.exists():
        raise ScenarioError("scenario file not found; check the path", file)
    if not file.is_file():
        raise ScenarioError("this is not a file; give the path of a .py or .toml file", file)
    return loader(file)
