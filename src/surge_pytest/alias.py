"""The `benchmark` fixture when pytest-benchmark is not loaded: the same fixture as
`surge_benchmark`, so test files written for pytest-benchmark run unchanged."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture
def benchmark(request: pytest.FixtureRequest) -> Iterator[Any]:
    """pytest-benchmark's fixture, measured by surge (see `surge_benchmark`)."""
    from surge.pytest_plugin.fixture import BenchmarkFixture
    from surge_pytest.activation import activate

    fixture = BenchmarkFixture(request, activate(request.config))
    yield fixture
    fixture.close()
