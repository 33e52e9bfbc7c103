"""Unreachable targets, broken servers, TLS, and Ctrl-C: classified, never a crash."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
from cli_helpers import SURGE, read_json, run_surge

from servers import HttpTestServer, TlsTestServer


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize(
    ("path", "args", "kind"),
    [
        ("/reset", [], "reset"),
        ("/garbage", [], "protocol"),
        ("/delay?ms=3000", ["--timeout", "200ms"], "timeout"),
    ],
)
def test_broken_server_errors_are_classified(
    test_server: HttpTestServer, workdir: Path, path: str, args: list[str], kind: str
) -> None:
    proc = run_surge(
        "run",
        f"{test_server.url}{path}",
        "-u",
        "2",
        "-n",
        "2",
        *args,
        "--out",
        "r.json",
        "-q",
        "--graceful-stop",
        "1s",
        cwd=workdir,
    )
    assert proc.returncode == 3, proc.stderr
    assert "Traceback" not in proc.stderr
    doc = read_json(workdir / "r.json")
    assert doc["summary"]["errors"] == {kind: 4}
    if kind == "timeout":  # recorded at its timeout, outside the success histogram
        ep = doc["endpoints"][0]
        assert 190 <= ep["failure_latency_ms"]["max"] <= 1000
        assert ep["latency_ms"]["max"] == 0


def test_refused_and_dns(workdir: Path) -> None:
    proc = run_surge(
        "run",
        f"http://127.0.0.1:{_closed_port()}/",
        "-n",
        "3",
        "-u",
        "1",
        "--out",
        "r.json",
        cwd=workdir,
    )
    assert proc.returncode == 3
    assert "no request succeeded" in proc.stdout
    assert read_json(workdir / "r.json")["summary"]["errors"] == {"refused": 3}
    proc = run_surge(
        "run",
        "http://nonexistent.invalid/",
        "-n",
        "1",
        "-u",
        "1",
        "--out",
        "r.json",
        cwd=workdir,
    )
    assert proc.returncode == 3
    assert read_json(workdir / "r.json")["summary"]["errors"] == {"dns": 1}


def test_tls_verification_on_by_default(tls_test_server: TlsTestServer, workdir: Path) -> None:
    url = f"{tls_test_server.url}/ok"
    proc = run_surge("run", url, "-n", "2", "-u", "1", "--out", "r.json", "-q", cwd=workdir)
    assert proc.returncode == 3
    doc = read_json(workdir / "r.json")
    assert doc["summary"]["errors"] == {"tls": 2}
    assert doc["meta"]["insecure"] is False
    proc = run_surge(
        "run", url, "-n", "2", "-u", "1", "--insecure", "--out", "r.json", "-q", cwd=workdir
    )
    assert proc.returncode == 0, proc.stderr
    doc = read_json(workdir / "r.json")
    assert doc["summary"]["requests"] == 2 and doc["summary"]["failures"] == 0
    assert doc["meta"]["insecure"] is True


@pytest.mark.parametrize(
    ("sig", "code", "name"), [(signal.SIGINT, 130, "SIGINT"), (signal.SIGTERM, 143, "SIGTERM")]
)
def test_signal_writes_partial_results(
    test_server: HttpTestServer, workdir: Path, sig: signal.Signals, code: int, name: str
) -> None:
    out = workdir / "r.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SURGE_")}
    proc = subprocess.Popen(
        [
            *SURGE,
            "run",
            f"{test_server.url}/delay?ms=5",
            "-u",
            "4",
            "-d",
            "60s",
            "--out",
            str(out),
            "-q",
        ],
        cwd=workdir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 20
    while test_server.requests_total < 50 and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(sig)
    stdout, stderr = proc.communicate(timeout=30)
    assert proc.returncode == code, stderr
    doc = read_json(out)
    assert doc["meta"]["aborted"] is True
    assert doc["meta"]["abort_reason"] == name
    assert doc["summary"]["requests"] >= 50
    assert doc["summary"]["duration_s"] < 30
    assert "ABORTED" in stdout
    served = test_server.requests_total
    assert doc["summary"]["requests"] + doc["summary"]["incomplete"] == served
