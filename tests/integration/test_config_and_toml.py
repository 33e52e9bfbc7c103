"""Option precedence (flag > env > file > default) and TOML scenario files."""

from __future__ import annotations

from pathlib import Path

from cli_helpers import endpoint, read_json, run_surge

from servers import HttpTestServer


def _requests(workdir: Path) -> int:
    return int(read_json(workdir / "r.json")["summary"]["requests"])


def test_precedence_flag_env_file_default(test_server: HttpTestServer, workdir: Path) -> None:
    (workdir / "pyproject.toml").write_text(
        '[tool.surge]\nusers = 3\nrequests-per-user = 2\nout = "r.json"\nquiet = true\n'
    )
    url = f"{test_server.url}/ok"
    proc = run_surge("run", url, cwd=workdir)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert _requests(workdir) == 6  # file
    proc = run_surge("run", url, cwd=workdir, env={"SURGE_USERS": "2"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert _requests(workdir) == 4  # env beats file
    proc = run_surge("run", url, "-u", "1", cwd=workdir, env={"SURGE_USERS": "2"})
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert _requests(workdir) == 2  # flag beats env
    doc = read_json(workdir / "r.json")
    assert doc["meta"]["options"]["users"] == 1


def test_env_duration_and_headers(test_server: HttpTestServer, workdir: Path) -> None:
    env = {"SURGE_REQUESTS_PER_USER": "2", "SURGE_HEADER": "X-A: 1\nX-B: 2", "SURGE_USERS": "1"}
    proc = run_surge("run", f"{test_server.url}/echo", "--out", "r.json", cwd=workdir, env=env)
    assert proc.returncode == 0, proc.stderr
    assert _requests(workdir) == 2


TOML = """\
[defaults]
users = 2

[scenarios.health]
url = "{url}/ok"
requests_per_user = 3

[scenarios.create]
url = "{url}/echo"
method = "POST"
json = {{ item = 3 }}
users = 4
requests_per_user = 5
name = "/orders"
"""


def test_toml_scenarios_run_in_order_each_reported(
    test_server: HttpTestServer, workdir: Path
) -> None:
    (workdir / "s.toml").write_text(TOML.format(url=test_server.url))
    proc = run_surge("run", "s.toml", "--out", "r.json", "-q", cwd=workdir)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    doc = read_json(workdir / "r.json")
    runs = doc["scenarios"]
    assert [r["meta"]["name"] for r in runs] == ["health", "create"]
    assert runs[0]["summary"]["requests"] == 6
    assert endpoint(runs[1], "POST", "/orders")["requests"] == 20
    assert test_server.requests_by_path == {"/ok": 6, "/echo": 20}
    assert proc.stdout.index("health") < proc.stdout.index("create")


def test_flag_beats_toml_value(test_server: HttpTestServer, workdir: Path) -> None:
    (workdir / "s.toml").write_text(TOML.format(url=test_server.url))
    proc = run_surge("run", "s.toml", "-n", "1", "--out", "r.json", "-q", cwd=workdir)
    assert proc.returncode == 0, proc.stderr
    runs = read_json(workdir / "r.json")["scenarios"]
    assert [r["summary"]["requests"] for r in runs] == [2, 4]
