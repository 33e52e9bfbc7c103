"""Fixtures for the demo tests: one demo shop subprocess shared by the module that asks for it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from surge.demo.server import DemoServer


@pytest.fixture(scope="module")
def demo_server() -> Iterator[DemoServer]:
    with DemoServer() as server:
        yield server
