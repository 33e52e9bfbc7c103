"""Compare-or-regenerate for golden files: `SURGE_REGEN_GOLDEN=1 pytest tests/report` rewrites
them; otherwise a difference fails the test with a diff."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

GOLDEN_DIR = Path(__file__).parent / "golden"
REGEN_ENV = "SURGE_REGEN_GOLDEN"


def regenerating() -> bool:
    return os.environ.get(REGEN_ENV) == "1"


def assert_golden(name: str, actual: str) -> None:
    """`actual` must equal the golden file `name` byte for byte (or, when regenerating, becomes
    its new content)."""
    path = GOLDEN_DIR / name
    if regenerating():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(actual.encode("utf-8"))
        return
    if not path.exists():
        pytest.fail(
            f"golden file {path} is missing; create it with {REGEN_ENV}=1 pytest tests/report"
        )
    expected = path.read_bytes().decode("utf-8")
    assert actual == expected, (
        f"output differs from golden file {path}; if the change is intended, "
        f"regenerate with {REGEN_ENV}=1 pytest tests/report and review the diff"
    )
