"""Bad input: a clear message, exit code 2, and not a single request sent."""

from __future__ import annotations

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
