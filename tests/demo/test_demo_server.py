"""DemoServer: starts the shop in a subprocess, reports failures clearly, stops cleanly."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from demo.demo_http import call
from surge.demo.server import DemoServer, start_demo_server


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_context_manager_starts_and_stops() -> None:
    with DemoServer() as server:
        assert server.running
        assert server.url == f"http://127.0.0.1:{server.port}"
        assert call(server.url, "GET", "/api/health").status == 200
        pid = server.pid
    assert not server.running
    assert not _process_exists(pid)
    with pytest.raises(RuntimeError, match="not running"):
        _ = server.url
    server.stop()  # idempotent


def test_start_demo_server_on_a_given_port() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = start_demo_server(port=port)
    try:
        assert server.port == port
        assert call(server.url, "GET", "/api/health").status == 200
    finally:
        server.stop()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


def test_busy_port_raises_with_the_childs_output() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        server = DemoServer(port=busy.getsockname()[1])
        with pytest.raises(RuntimeError, match="exited with code") as info:
            server.start()
    assert "address already in use" in str(info.value).lower()
    assert not server.running


def test_starting_twice_is_an_error() -> None:
    with DemoServer() as server, pytest.raises(RuntimeError, match="already running"):
        server.start()


def test_child_has_no_leftover_after_sigterm() -> None:
    server = start_demo_server()
    pid = server.pid
    server.stop()
    assert not _process_exists(pid)


def test_module_entry_point_help() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "surge.demo", "--help"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert result.returncode == 0
    assert "--port" in result.stdout and "--host" in result.stdout
