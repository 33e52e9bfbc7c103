"""Bad input: a clear message, exit code 2, and not a single request sent."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_helpers import run_surge

from servers import HttpTestServer


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-u", "0"], "--users"),
        (["-d", "soon"], "not a duration"),
        (["-H", "no-colon-here"], "header"),
        (["--json", "{not json"], "--json"),
        (["--ramp-up", "-3"], "ramp"),
    ],
)
def test_bad_options_exit_2_before_any_request(
    test_server: HttpTestServer, workdir: Path, args: list[str], message: str
) -> None:
    proc = run_surge("run", f"{test_server.url}/ok", *args, cwd=workdir)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr
    assert test_server.requests_total == 0


def test_malformed_scenario_names_file_and_line(test_server: HttpTestServer, workdir: Path) -> None:
    (workdir / "bad.py").write_text("import surge\n\nclass A(surge.User):\n    def x(self)\n")
    proc = run_surge("run", "bad.py", "--host", test_server.url, cwd=workdir)
    assert proc.returncode == 2
    assert "bad.py:4" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert test_server.requests_total == 0


def test_malformed_toml_names_file_and_line(test_server: HttpTestServer, workdir: Path) -> None:
    (workdir / "s.toml").write_text(f'[scenarios.one]\nurl = "{test_server.url}/ok"\nusrs = 3\n')
    proc = run_surge("run", "s.toml", cwd=workdir)
    assert proc.returncode == 2
    assert "s.toml:3" in proc.stderr and "usrs" in proc.stderr
    assert test_server.requests_total == 0


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("nothing.txt", "don't know how to run"),
        ("missing.py", "no such file"),
        ("ftp://example/x", "don't know how to run"),
    ],
)
def test_bad_targets(workdir: Path, target: str, message: str) -> None:
    proc = run_surge("run", target, cwd=workdir)
    assert proc.returncode == 2
    assert message in proc.stderr


def test_script_without_host(workdir: Path) -> None:
    (workdir / "s.py").write_text(
        "import surge\n\nclass A(surge.User):\n    @surge.task\n    async def t(self):\n"
        "        await self.http.get('/')\n"
    )
    proc = run_surge("run", "s.py", cwd=workdir)
    assert proc.returncode == 2
    assert "--host" in proc.stderr


def test_unknown_key_in_pyproject(workdir: Path) -> None:
    (workdir / "pyproject.toml").write_text("[tool.surge]\nuserz = 3\n")
    proc = run_surge("run", "http://127.0.0.1:1/", cwd=workdir)
    assert proc.returncode == 2
    assert "userz" in proc.stderr and "pyproject.toml" in proc.stderr


SWAPPED_AT_RUN_TIME = """\
import surge


class Browse(surge.User):
    wait_time = surge.constant(0.05)

    async def on_start(self) -> None:
        await self.http.get("/ok")
        self.pause = surge.between(2, 1)

    @surge.task
    async def home(self) -> None:
        await self.http.get("/ok")
"""


def test_a_check_failing_while_the_scenario_runs_names_the_users_line(
    test_server: HttpTestServer, workdir: Path
) -> None:
    (workdir / "swapped.py").write_text(SWAPPED_AT_RUN_TIME)
    proc = run_surge(
        "run", "swapped.py", "--host", test_server.url, "-u", "2", "-d", "1s",
        "--out", "r.json", "--no-store", cwd=workdir,
    )  # fmt: skip
    stderr = " ".join(proc.stderr.split())
    assert "(raised at swapped.py:9, in Browse.on_start)" in stderr, proc.stderr
    # every user failed on_start: the run fails, and says where
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "swap the arguments (at swapped.py:9)" in stderr, proc.stderr
    doc = json.loads((workdir / "r.json").read_text())
    (hook,) = [e for e in doc["endpoints"] if e["name"] == "Browse.on_start"]
    assert hook["failures"] == 2


@pytest.mark.parametrize(
    ("toml", "where"),
    [
        (
            '[scenarios.api]\nurl = "URL"\n\nstages = "30s:50/s,1m:xx"\n',
            "stages.toml:4: scenarios.api.stages: stage 2 '1m:xx': target 'xx'",
        ),
        (
            '[scenarios.api]\nurl = "URL"\nstages = [\n    { duration = "10s", rate = 20 },\n'
            '    { duration = "5q", rate = 100 },\n]\n',
            "stages.toml:5: scenarios.api.stages: stage 2 '5q:100/s': not a duration",
        ),
        (
            '[defaults]\nstages = "10s:5,5s:5/s"\n\n[scenarios.api]\nurl = "URL"\n',
            "stages.toml:2: defaults.stages: stage 2 '5s:5/s' sets rate but stage 1 sets users",
        ),
    ],
)
def test_bad_toml_stages_name_the_file_line_and_key(
    test_server: HttpTestServer, workdir: Path, toml: str, where: str
) -> None:
    (workdir / "stages.toml").write_text(toml.replace("URL", f"{test_server.url}/ok"))
    proc = run_surge("run", "stages.toml", cwd=workdir)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert where in " ".join(proc.stderr.split()), proc.stderr
    assert "--stages" not in proc.stderr
    assert test_server.requests_total == 0
