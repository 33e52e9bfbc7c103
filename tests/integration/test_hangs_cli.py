"""No hangs: the real `surge` command against user code that never yields, blocks the event loop
or fails on_start, and against Ctrl-C at the worst moments. Exit codes and time bounds."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from cli_helpers import SURGE, read_json, run_surge

from servers import HttpTestServer

RAISES_FIRST = """\
import surge


class Broken(surge.User):
    @surge.task
    async def boom(self) -> None:
        raise RuntimeError("no token")
        await self.http.get("/ok")
"""

NEVER_AWAITS = """\
import surge


class Idle(surge.User):
    @surge.task
    async def nothing(self) -> None:
        self.count = getattr(self, "count", 0) + 1
"""

SPINS = """\
import surge


class Spinner(surge.User):
    @surge.task
    async def spin(self) -> None:
        await self.http.get("/ok")
        while True:
            pass
"""

SLEEPS = """\
import time

import surge


class Sleepy(surge.User):
    @surge.task
    async def nap(self) -> None:
        await self.http.get("/ok")
        time.sleep(60)
"""

LOGINS = """\
import surge


class Admin(surge.User):
    weight = 1

    async def on_start(self) -> None:
        raise PermissionError("wrong password for admin")

    @surge.task
    async def audit(self) -> None:
        await self.http.get("/ok?who=admin")


class Reader(surge.User):
    weight = 1

    async def on_start(self) -> None:
        if self.user_id % 4 == 1:
            raise ConnectionError("login page down")

    @surge.task
    async def read(self) -> None:
        await self.http.get("/ok?who=reader")
"""


def _popen(workdir: Path, *args: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SURGE_")}
    return subprocess.Popen(
        [*SURGE, "run", *args, "--out", "r.json", "-q", "--no-store"],
        cwd=workdir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for_requests(server: HttpTestServer, n: int, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while server.requests_total < n and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.requests_total >= n, "surge never sent its first requests"


@pytest.mark.parametrize(
    ("script", "task", "how"),
    [
        (
            RAISES_FIRST,
            "Broken.boom",
            "it raised before awaiting anything (RuntimeError: no token)",
        ),
        (NEVER_AWAITS, "Idle.nothing", "it returns without awaiting anything"),
    ],
)
def test_a_task_that_never_yields_stops_the_run_with_exit_2(
    test_server: HttpTestServer, workdir: Path, script: str, task: str, how: str
) -> None:
    (workdir / "s.py").write_text(script)
    started = time.monotonic()
    proc = run_surge(
        "run", "s.py", "--host", test_server.url, "-u", "3", "-d", "120s",
        "--out", "r.json", "-q", "--no-store", cwd=workdir, timeout_s=60,
    )  # fmt: skip
    took_s = time.monotonic() - started
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert took_s < 30  # not the 120 s asked for
    assert f"task {task} never yields to the event loop: {how}" in proc.stderr
    assert "Traceback" not in proc.stderr.split("surge: error:")[-1]
    meta = read_json(workdir / "r.json")["meta"]  # the partial results are written
    assert meta["aborted"] is True and task in meta["abort_reason"]


def test_a_task_stuck_in_an_endless_loop_is_named_and_exits_2(
    test_server: HttpTestServer, workdir: Path
) -> None:
    (workdir / "spin.py").write_text(SPINS)
    started = time.monotonic()
    proc = run_surge(
        "run", "spin.py", "--host", test_server.url, "-u", "3", "-d", "120s",
        "--out", "r.json", "-q", "--no-store", cwd=workdir, timeout_s=60,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert time.monotonic() - started < 40  # a blocked loop is given 5 s, not 120
    assert "the event loop has not turned for" in proc.stderr
    assert "Spinner.spin" in proc.stderr and "spin.py:" in proc.stderr
    doc = read_json(workdir / "r.json")
    assert doc["meta"]["aborted"] is True
    assert doc["summary"]["requests"] >= 1  # what was recorded before the loop stuck


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signals_work_while_user_code_blocks_the_loop(
    test_server: HttpTestServer, workdir: Path, sig: signal.Signals, code: int
) -> None:
    (workdir / "sleepy.py").write_text(SLEEPS)
    proc = _popen(workdir, "sleepy.py", "--host", test_server.url, "-u", "2", "-d", "120s")
    _wait_for_requests(test_server, 1)
    time.sleep(0.2)  # now inside time.sleep(60), with the loop blocked
    sent = time.monotonic()
    proc.send_signal(sig)
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == code, stderr
    assert time.monotonic() - sent < 5
    doc = read_json(workdir / "r.json")
    assert doc["meta"]["aborted"] is True and doc["meta"]["abort_reason"] == sig.name
    assert doc["summary"]["requests"] >= 1


def test_a_second_ctrl_c_exits_at_once(test_server: HttpTestServer, workdir: Path) -> None:
    url = f"{test_server.url}/hang"  # never answers: the graceful stop would wait its full 60 s
    proc = _popen(workdir, url, "-u", "3", "-d", "120s", "--graceful-stop", "60s")
    _wait_for_requests(test_server, 3)
    proc.send_signal(signal.SIGINT)
    time.sleep(0.5)
    assert proc.poll() is None  # the first one waits for the requests in flight
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 130, stderr
    assert time.monotonic() - sent < 3
    doc = read_json(workdir / "r.json")
    assert doc["meta"]["aborted"] is True and doc["meta"]["abort_reason"] == "SIGINT"
    assert doc["summary"]["incomplete"] == 3  # the three requests in flight, accounted for


def test_a_failed_on_start_stops_that_user_and_a_class_that_cannot_start_fails_the_run(
    test_server: HttpTestServer, workdir: Path
) -> None:
    (workdir / "logins.py").write_text(LOGINS)
    proc = run_surge(
        "run", "logins.py", "--host", test_server.url, "-u", "8", "-n", "3",
        "--out", "r.json", "-q", "--no-store", cwd=workdir, timeout_s=60,
    )  # fmt: skip
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "every user of class Admin failed on_start (4 of 4;" in proc.stderr
    assert "PermissionError: wrong password for admin" in proc.stderr
    assert "Reader" not in proc.stderr.split("surge: error:")[-1]  # some Readers started
    # users alternate Admin, Reader: no Admin task ran logged out (that would be 12 more
    # requests), and the Readers 3 and 7 that logged in ran their 3 tasks (1 and 5 did not)
    assert test_server.requests_by_path == {"/ok": 6}
    errors = {e["name"]: e for e in read_json(workdir / "r.json")["endpoints"]}
    assert errors["Admin.on_start"]["failures"] == 4
    assert errors["Reader.on_start"]["failures"] == 2
    messages = errors["Admin.on_start"]["error_messages"]
    assert messages == {"script: PermissionError: wrong password for admin": 4}


@pytest.mark.parametrize(
    ("script", "limit", "code", "says"),
    [
        (LOGINS, ["-n", "3"], 3, "every user of class Admin failed on_start (4 of 4;"),
        (RAISES_FIRST, ["-d", "120s"], 2, "task Broken.boom never yields to the event loop"),
    ],
)
def test_the_same_verdicts_with_workers(
    test_server: HttpTestServer, workdir: Path, script: str, limit: list[str], code: int, says: str
) -> None:
    (workdir / "s.py").write_text(script)
    proc = run_surge(
        "run", "s.py", "--host", test_server.url, "-u", "8", *limit, "--workers", "2",
        "--out", "r.json", "-q", "--no-store", cwd=workdir, timeout_s=90,
    )  # fmt: skip
    assert proc.returncode == code, proc.stdout + proc.stderr
    assert says in proc.stderr
