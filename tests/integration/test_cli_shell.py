"""The CLI as a shell over the runner: `--out -`, `--host` on TOML files, the grouped help,
config-key errors and the project's store, through the real `surge` command."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

from cli_helpers import read_json, run_surge

from servers import HttpTestServer


def test_out_dash_writes_the_json_to_stdout_and_the_rest_to_stderr(
    test_server: HttpTestServer, workdir: Path
) -> None:
    url = f"{test_server.url}/ok"
    proc = run_surge("run", url, "-n", "3", "-u", "1", "--out", "-", cwd=workdir)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["summary"]["requests"] == 3 and doc["meta"]["options"]["out"] == "-"
    assert "surge url run GET /ok" in proc.stderr and "stored as run 1" in proc.stderr
    assert not (workdir / "-").exists()


TOML = """\
[scenarios.health]
url = "/ok"
requests_per_user = 2
users = 1

[scenarios.echo]
url = "http://127.0.0.1:9/echo?x=1"
requests_per_user = 3
users = 1
"""


def test_host_retargets_toml_files_and_completes_paths(
    test_server: HttpTestServer, workdir: Path
) -> None:
    (workdir / "s.toml").write_text(TOML)
    proc = run_surge("run", "s.toml", "--host", test_server.url, "--out", "r.json", cwd=workdir)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert test_server.requests_by_path == {"/ok": 2, "/echo": 3}
    runs = read_json(workdir / "r.json")["scenarios"]
    assert [r["meta"]["target"] for r in runs] == [
        f"{test_server.url}/ok",
        f"{test_server.url}/echo?x=1",
    ]
    proc = run_surge("run", "s.toml", "--no-store", cwd=workdir)
    assert proc.returncode == 2
    assert "s.toml [health]: url '/ok' is a path: pass --host" in proc.stderr


def test_run_help_groups_its_options_and_ends_with_examples(workdir: Path) -> None:
    proc = run_surge("run", "--help", cwd=workdir)
    assert proc.returncode == 0
    out = proc.stdout
    sections = ["Load:", "HTTP:", "Checks and thresholds:", "Workers:", "Store and compare:"]
    positions = [out.index(f"\n{title}\n") for title in [*sections, "Outputs:", "Examples:"]]
    assert positions == sorted(positions)
    load = out[positions[0] : positions[1]]
    assert "--users" in load and "--rate" in load and "--header" not in load
    assert out.rstrip().endswith("(docs/configuration.md).")
    assert "surge run http://127.0.0.1:8000/api/health -u 50 -d 30s" in out


def test_config_keys_name_their_table(workdir: Path) -> None:
    (workdir / "pyproject.toml").write_text('[tool.surge]\nduraton = "1m"\n')
    proc = run_surge("run", "http://127.0.0.1:9/", "--dry-run", cwd=workdir)
    assert proc.returncode == 2
    assert "unknown key 'duraton' in [tool.surge]; did you mean 'duration'?" in proc.stderr
    (workdir / "pyproject.toml").write_text("[tool.surge]\n")
    (workdir / "s.toml").write_text(
        '[scenarios.health]\nurl = "http://127.0.0.1:9/"\nduraton = 1\n'
    )
    proc = run_surge("run", "s.toml", "--dry-run", cwd=workdir)
    assert proc.returncode == 2
    assert "unknown key 'duraton' in [scenarios.health]" in proc.stderr
    assert "did you mean 'duration'?" in proc.stderr


def test_the_project_store_is_found_from_any_folder(
    test_server: HttpTestServer, workdir: Path
) -> None:
    (workdir / "pyproject.toml").write_text('[tool.surge]\nstore = "perf/runs.db"\n')
    (workdir / "app" / "deep").mkdir(parents=True)
    url = f"{test_server.url}/ok"
    proc = run_surge("run", url, "-n", "2", "-u", "1", "--name", "api", cwd=workdir / "app")
    assert proc.returncode == 0, proc.stderr
    assert (workdir / "perf" / "runs.db").is_file()
    assert not (workdir / "app" / ".surge").exists()
    proc = run_surge("baseline", "set", "api", "--version", "1.0.0", cwd=workdir / "app" / "deep")
    assert proc.returncode == 0, proc.stderr
    run_surge("run", url, "-n", "2", "-u", "1", "--name", "api", cwd=workdir)
    proc = run_surge("baseline", "set", "api", "--version", "1.1.0", cwd=workdir)
    assert proc.returncode == 0, proc.stderr
    proc = run_surge("baseline", "show", "api", cwd=workdir / "app" / "deep")
    assert proc.returncode == 0, proc.stderr
    assert "baseline api version 1.1.0: run(s) 2" in proc.stdout
    assert "earlier version 1.0.0: run(s) 1" in proc.stdout


def test_the_load_test_page_retarget_example_runs(
    test_server: HttpTestServer, workdir: Path
) -> None:
    page = (Path(__file__).resolve().parents[2] / "docs" / "load-test.md").read_text()
    (toml,) = re.findall(r"```toml\n(.*?)```", page, flags=re.S)
    (workdir / "scenarios.toml").write_text(toml)  # its URLs name port 8000: nothing there
    (command,) = [
        line
        for block in re.findall(r"```bash\n(.*?)```", page, flags=re.S)
        for line in block.splitlines()
        if "--host" in line and "scenarios.toml" in line
    ]
    args = shlex.split(command.replace("http://staging.internal:8000", test_server.url))[1:]
    proc = run_surge(*args, "-q", "--no-store", cwd=workdir)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert test_server.requests_by_path == {"/ok": 20, "/echo": 10}
