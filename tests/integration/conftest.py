"""Fixtures for integration tests: a folder to run `surge` in, helpers on sys.path."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """An empty working directory (no pyproject.toml above it is picked up from tmp)."""
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    return tmp_path
