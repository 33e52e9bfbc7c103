"""Fixtures of the engine tests: their own loopback server (see engine_server.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from engine.engine_server import TestServer


@pytest.fixture(scope="session")
def server() -> Iterator[TestServer]:
    srv = TestServer()
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def fresh(server: TestServer) -> TestServer:
    """The shared server with its counters at zero."""
    server.reset_counts()
    return server


@pytest.fixture(scope="session")
def ca_file(server: TestServer, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    server.ca.cert_pem.write_to_path(str(path))
    return str(path)
