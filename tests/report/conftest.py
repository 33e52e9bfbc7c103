"""Fixtures for the report tests: deterministic RunResults built by driving a real Recorder,
a recording console and the golden-file checker.

Test modules take everything as fixtures and import nothing from `tests/` (the suite runs with
`--import-mode=importlib`, where test helpers are not importable); `golden.py` is loaded by path.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import io
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest
from rich.console import Console

from surge.metrics import Aggregator, ErrorKind, Recorder, RunMeta, RunResult


def _load_helper(name: str) -> ModuleType:
    path = Path(__file__).with_name(f"{name}.py")
    spec = importlib.util.spec_from_file_location(f"surge_report_tests_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


golden = _load_helper("golden")

META = RunMeta(
    name="checkout",
    surge_version="0.1.0",
    started_at="2025-01-15T10:00:00+00:00",
    finished_at="2025-01-15T10:00:03+00:00",
    target="http://127.0.0.1:8080",
    mode="closed",
    options={"users": 10, "spawn_rate": 5.0, "duration_s": 3.0, "timeout_s": 30.0},
)
TIMEOUT_US = 30_000_000


def build_sample() -> RunResult:
    """Three endpoints over three seconds, with a 30 s timeout, 503s and a failed check."""
    rec = Recorder()
    items = rec.endpoint("GET", "/api/items")
    orders = rec.endpoint("POST", "/api/orders")
    health = rec.endpoint("GET", "/health")
    agg = Aggregator()
    for second, users in enumerate((5, 10, 10)):
        for i in range(40):
            n = second * 40 + i
            items.ok(2_000 + (n * 7919) % 18_000, 200, 2_048)
        for i in range(20):
            n = second * 20 + i
            orders.ok(15_000 + (n * 104_729) % 60_000, 201, 256)
        for i in range(10):
            n = second * 10 + i
            health.ok(200 + (n * 31) % 400, 200, 16)
        if second == 1:
            orders.fail(TIMEOUT_US, ErrorKind.TIMEOUT, 0, 0, "read timeout")
            orders.fail(8_500, ErrorKind.CHECK, 200, 64, "expected 'id' in body")
        if second == 2:
            for _ in range(3):
                orders.fail(4_000, ErrorKind.HTTP_STATUS, 503, 128, "503 Service Unavailable")
        agg.add(rec.snapshot(float(second), float(second + 1), active_users=users))
    return agg.result(META, 3.0)


def build_refused() -> RunResult:
    """Every request refused: requests > 0, no successes."""
    rec = Recorder()
    root = rec.endpoint("GET", "/")
    agg = Aggregator()
    for _ in range(25):
        root.fail(150, ErrorKind.REFUSED, 0, 0, "connection refused")
    agg.add(rec.snapshot(0.0, 1.0, active_users=5))
    return agg.result(dataclasses.replace(META, target="http://127.0.0.1:9"), 1.0)


def build_empty() -> RunResult:
    """No request completed at all (e.g. aborted right away)."""
    return Aggregator().result(META, 0.0)


def recording_console(*, width: int = 120, terminal: bool | None = None) -> Console:
    """The console of the golden files: no colour, 120 columns, text kept for `export_text`."""
    return Console(
        record=True, width=width, color_system=None, file=io.StringIO(), force_terminal=terminal
    )


@pytest.fixture
def sample() -> RunResult:
    return build_sample()


@pytest.fixture
def refused() -> RunResult:
    return build_refused()


@pytest.fixture
def empty() -> RunResult:
    return build_empty()


@pytest.fixture
def meta() -> RunMeta:
    return META


@pytest.fixture
def make_console() -> Callable[..., Console]:
    return recording_console


@pytest.fixture
def assert_golden() -> Callable[[str, str], None]:
    """`assert_golden(name, text)`: compare with tests/report/golden/NAME, or rewrite it when
    SURGE_REGEN_GOLDEN=1."""
    check: Callable[[str, str], None] = golden.assert_golden
    return check


@pytest.fixture
def regenerating() -> bool:
    return bool(golden.regenerating())


@pytest.fixture
def build() -> dict[str, Callable[[], RunResult]]:
    return {"sample": build_sample, "refused": build_refused, "empty": build_empty}
