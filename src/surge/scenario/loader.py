"""The one entry point for scenario files: `load_scenario(path)` picks the loader by suffix."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from surge.scenario.errors import ScenarioError
from surge.scenario.model import Scenario
from surge.scenario.script_loader import load_script
from surge.scenario.toml_loader import load_toml


def _script(path: Path) -> tuple[Scenario, ...]:
    return (load_script(path),)


_LOADERS: dict[str, Callable[[Path], tuple[Scenario, ...]]] = {
    ".py": _script,
    ".toml": load_toml,
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
