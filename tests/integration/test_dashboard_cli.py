"""The dashboard's flags through the real `surge` command: refusals before any traffic (exit
2), the address printed, a generated token printed once, and the web stack left unloaded by
`surge run` without `--ui`."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

from cli_helpers import run_surge

from servers import HttpTestServer


def test_a_non_loopback_bind_without_a_token_is_refused(
    test_server: HttpTestServer, tmp_path: Path
) -> None:
    for command in (
        ["run", f"{test_server.url}/ok", "-n", "1", "--ui", "--ui-host", "0.0.0.0"],
        ["ui", f"{test_server.url}/ok", "--ui-host", "::"],
    ):
        proc = run_surge(*command, cwd=tmp_path)
        assert proc.returncode == 2, proc.stdout + proc.stderr
        assert "is not a loopback address" in proc.stderr and "--ui-token" in proc.stderr
        assert "Traceback" not in proc.stderr
    assert test_server.requests_total == 0  # refused before any traffic


def test_ui_flags_without_ui_and_a_taken_port_are_usage_errors(
    test_server: HttpTestServer, tmp_path: Path
) -> None:
    proc = run_surge("run", f"{test_server.url}/ok", "-n", "1", "--ui-port", "9999", cwd=tmp_path)
    assert proc.returncode == 2 and "add --ui" in proc.stderr
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        proc = run_surge("run", f"{test_server.url}/ok", "-n", "1", "--ui", "--ui-port", port,
                         cwd=tmp_path)  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    assert f"cannot listen on 127.0.0.1:{port}" in proc.stderr and "--ui-port" in proc.stderr
    assert test_server.requests_total == 0


def test_a_run_under_the_dashboard_prints_where_it_is_and_ends_with_the_run(
    test_server: HttpTestServer, tmp_path: Path
) -> None:
    proc = run_surge(
        "run", f"{test_server.url}/ok", "-u", "2", "-n", "5", "--ui", "--ui-port", "0",
        "--ui-token", "auto", "--out", "r.json", "-q", cwd=tmp_path, timeout_s=60,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    (address,) = [line for line in proc.stdout.splitlines() if line.startswith("surge dashboard:")]
    assert address.startswith("surge dashboard: http://127.0.0.1:") and ":0/" not in address
    (token_line,) = [line for line in proc.stdout.splitlines() if "token (shown once" in line]
    token = token_line.rsplit(" ", 1)[-1]
    assert len(token) >= 24 and proc.stdout.count(token) == 1
    assert test_server.requests_total == 10
    assert (tmp_path / "r.json").exists()


def test_surge_run_loads_no_web_stack_without_ui() -> None:
    code = (
        "import sys, surge.cli.main, surge.cli.run_command\n"
        "loaded = [m for m in ('starlette', 'uvicorn', 'surge.dashboard') if m in sys.modules]\n"
        "print(loaded)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "[]"


def test_surge_ui_help_shows_the_option_table_and_the_dashboard_flags(tmp_path: Path) -> None:
    proc = run_surge("ui", "--help", cwd=tmp_path)
    assert proc.returncode == 0
    for flag in ("--users", "--rate", "--stages", "--user-class", "--ui-host", "--ui-port",
                 "--ui-token", "--ui-open", "SURGE_UI_TOKEN"):  # fmt: skip
        assert flag in proc.stdout, flag
    assert "--ui " not in proc.stdout  # surge ui is the dashboard: no switch for it
