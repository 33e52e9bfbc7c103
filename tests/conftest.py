"""Suite-wide fixtures: the shared HTTP/1.1 test servers (see tests/servers.py).

One plain and one TLS server run for the whole session; the function-scoped fixtures hand them
to a test after ``reset()`` (counters zeroed, delay and stall mode off), so tests stay isolated
without paying a start-up per test.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# pytest runs with --import-mode=importlib, which leaves sys.path alone; put tests/ on it so test
# modules can `from servers import HttpTestServer` (and `from demo.demo_http import call`).
# `pythonpath = ["tests"]` in [tool.pytest.ini_options] would do the same.
_TESTS_DIR = str(Path(__file__).resolve().parent)
if _TESTS_DIR not in sys.path:
    sys.path.append(_TESTS_DIR)

from servers import HttpTestServer, TlsTestServer  # noqa: E402

# `postgres_server` / `postgres_url`: a throwaway PostgreSQL server (tests/pg.py);
# `redis_server` / `redis_url`: a throwaway Redis server (tests/redis_server.py);
# `pytester`: real pytest sessions, for the pytest plugin's tests (tests/pytest_plugin).
pytest_plugins = ("pg", "redis_server", "pytester")


@pytest.fixture(autouse=True)
def _isolated_store(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Runs stored by in-process code go to a throwaway SQLite file, never the repo's .surge/
    (`run_surge` subprocesses drop SURGE_* and run in a tmp working directory)."""
    path = tmp_path_factory.mktemp("store") / "surge.db"
    monkeypatch.setenv("SURGE_STORE", f"sqlite:///{path}")


@pytest.fixture(scope="session")
def _session_test_server() -> Iterator[HttpTestServer]:
    with HttpTestServer() as server:
        yield server


@pytest.fixture(scope="session")
def _session_tls_test_server() -> Iterator[TlsTestServer]:
    with TlsTestServer() as server:
        yield server


@pytest.fixture
def test_server(_session_test_server: HttpTestServer) -> Iterator[HttpTestServer]:
    """The shared plain-HTTP test server, reset for this test."""
    _session_test_server.reset()
    yield _session_test_server
    _session_test_server.reset()


@pytest.fixture
def tls_test_server(_session_tls_test_server: TlsTestServer) -> Iterator[TlsTestServer]:
    """The shared TLS test server (trust ``.ca_pem_path``), reset for this test."""
    _session_tls_test_server.reset()
    yield _session_tls_test_server
    _session_tls_test_server.reset()
