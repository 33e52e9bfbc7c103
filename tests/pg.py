"""A throwaway PostgreSQL server for tests (a pytest plugin: `pytest_plugins = ("pg",)`).

`postgres_server` (session) initdb's a cluster in a temporary directory, starts it on a free port
on 127.0.0.1 (trust auth, unix socket in the same directory) and stops it at the end;
`postgres_url` (function) hands each test a fresh, empty database on it as a SQLAlchemy URL.
The binaries come from PATH, else Debian's /usr/lib/postgresql/*/bin; without them the tests
that use these fixtures are skipped with the reason. initdb refuses to run as root, so as root
the server runs as `nobody`.
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

_DB_NUMBERS = itertools.count(1)


def find_pg_bin() -> Path | None:
    """The directory holding initdb and pg_ctl, or None."""
    initdb = shutil.which("initdb")
    if initdb and shutil.which("pg_ctl"):
        return Path(initdb).resolve().parent
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if (Path(candidate) / "initdb").is_file() and (Path(candidate) / "pg_ctl").is_file():
            return Path(candidate)
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True)
class PostgresServer:
    port: int
    user: str

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        import psycopg

        dsn = f"host=127.0.0.1 port={self.port} user={self.user} dbname=postgres"
        with psycopg.connect(dsn, autocommit=True, connect_timeout=10) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


def _as_server_user(argv: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return argv
    return ["runuser", "-u", "nobody", "--", *argv]


def _run(argv: list[str], timeout_s: float = 60.0) -> None:
    proc = subprocess.run(
        _as_server_user(argv), capture_output=True, text=True, timeout=timeout_s, check=False
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({proc.returncode}): {proc.stderr.strip()}")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL server started for this test session (skips when none is installed)."""
    bin_dir = find_pg_bin()
    if bin_dir is None:
        pytest.skip(
            "PostgreSQL binaries (initdb, pg_ctl) not found on PATH or in "
            "/usr/lib/postgresql/*/bin: install postgresql to run the PostgreSQL store tests"
        )
    base = Path(tempfile.mkdtemp(prefix="surge-pg-"))
    if os.geteuid() == 0:
        shutil.chown(base, "nobody")
    data, log = base / "data", base / "server.log"
    port = _free_port()
    try:
        _run([str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
              "--no-sync", "-E", "UTF8", "--locale=C"])  # fmt: skip
        options = f"-k {base} -p {port} -c listen_addresses=127.0.0.1 -c fsync=off"
        _run([str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(log), "-w",
              "-t", "60", "start"])  # fmt: skip
    except (RuntimeError, subprocess.TimeoutExpired, OSError) as exc:
        shutil.rmtree(base, ignore_errors=True)
        pytest.fail(f"could not start a throwaway PostgreSQL server: {exc}")
    try:
        yield PostgresServer(port=port, user="postgres")
    finally:
        _run([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"])
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> str:
    """A fresh empty database on the session's PostgreSQL server, as a SQLAlchemy URL."""
    return postgres_server.create_database(f"surge_test_{os.getpid()}_{next(_DB_NUMBERS)}")
