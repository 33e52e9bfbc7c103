"""Scripted virtual users end to end: login token flow, class mix, script errors."""

from __future__ import annotations

from pathlib import Path

from cli_helpers import endpoint, read_json, run_surge

from servers import HttpTestServer

LOGIN_SCENARIO = """\
import surge


class Member(surge.User):
    async def on_start(self) -> None:
        r = await self.http.post("/login", json={"user": "u", "password": "p"})
        self.http.headers["Authorization"] = f"Bearer {r.json()['token']}"

    @surge.task
    async def me(self) -> None:
        await self.http.get("/me")
"""

MIX_SCENARIO = """\
import surge


class Heavy(surge.User):
    weight = 3

    @surge.task
    async def a(self) -> None:
        await self.http.get("/ok?who=heavy", name="/heavy")


class Light(surge.User):
    weight = 1

    @surge.task(3)
    async def b(self) -> None:
        await self.http.get("/echo", name="/light-echo")

    @surge.task(1)
    async def c(self) -> None:
        await self.http.get("/ok", name="/light-ok")
"""

BROKEN_TASK = """\
import surge


class Bad(surge.User):
    @surge.task
    async def oops(self) -> None:
        await self.http.get("/ok")
        raise RuntimeError("boom")
"""


def test_login_token_flow(test_server: HttpTestServer, workdir: Path) -> None:
    (workdir / "s.py").write_text(LOGIN_SCENARIO)
    out = workdir / "r.json"
    proc = run_surge(
        "run",
        "s.py",
        "--host",
        test_server.url,
        "-u",
        "3",
        "-n",
        "10",
        "--out",
        str(out),
        "-q",
        cwd=workdir,
    )
    assert proc.returncode == 0, proc.stderr + proc.stdout
    doc = read_json(out)
    assert endpoint(doc, "POST", "/login")["requests"] == 3
    me = endpoint(doc, "GET", "/me")
    assert me["requests"] == 30
    assert me["status_codes"] == {"200": 30}  # every request carried the bearer token
    assert test_server.requests_by_path["/me"] == 30


def test_weighted_class_mix_and_task_weights(test_server: HttpTestServer, workdir: Path) -> None:
    (workdir / "mix.py").write_text(MIX_SCENARIO)
    out = workdir / "r.json"
    proc = run_surge(
        "run",
        "mix.py",
        "--host",
        test_server.url,
        "-u",
        "8",
        "-n",
        "200",
        "--out",
        str(out),
        "-q",
        cwd=workdir,
    )
    assert proc.returncode == 0, proc.stderr
    doc = read_json(out)
    heavy = endpoint(doc, "GET", "/heavy")["requests"]
    light = sum(endpoint(doc, "GET", n)["requests"] for n in ("/light-echo", "/light-ok"))
    assert heavy == 6 * 200  # 8 users at 3:1 → 6 Heavy + 2 Light, exactly
    assert light == 2 * 200
    echo = endpoint(doc, "GET", "/light-echo")["requests"]
    assert 0.65 <= echo / light <= 0.85  # task weights 3:1 → 75 %


def test_script_errors_are_recorded_not_fatal(test_server: HttpTestServer, workdir: Path) -> None:
    (workdir / "bad.py").write_text(BROKEN_TASK)
    out = workdir / "r.json"
    proc = run_surge(
        "run",
        "bad.py",
        "--host",
        test_server.url,
        "-u",
        "2",
        "-n",
        "5",
        "--out",
        str(out),
        "-q",
        cwd=workdir,
    )
    assert proc.returncode == 0, proc.stderr
    doc = read_json(out)
    assert endpoint(doc, "GET", "/ok")["requests"] == 10
    script = endpoint(doc, "SCRIPT", "Bad.oops")
    assert script["errors"] == {"script": 10}
    assert "RuntimeError: boom" in proc.stderr
    assert proc.stderr.count("RuntimeError: boom") <= 2  # printed once, then counted


def test_host_from_class_attribute(test_server: HttpTestServer, workdir: Path) -> None:
    text = LOGIN_SCENARIO.replace(
        "class Member(surge.User):", f"class Member(surge.User):\n    host = {test_server.url!r}"
    )
    (workdir / "s.py").write_text(text)
    proc = run_surge("run", "s.py", "-u", "1", "-n", "2", "-q", cwd=workdir)
    assert proc.returncode == 0, proc.stderr
    assert test_server.requests_by_path["/me"] == 2
