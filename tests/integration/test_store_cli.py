"""The run store end to end: `surge run` (a subprocess) stores every run; history, show, export
and baseline (run in-process, to keep the suite fast) read it back; --repeat, --no-store and
store errors (exit 2) behave as documented."""

from __future__ import annotations

import contextlib
import io
import json
import re
import shlex
from pathlib import Path

import pytest
from cli_helpers import read_json, run_surge
from click.testing import CliRunner, Result

from servers import HttpTestServer
from surge.cli.main import cli
from surge.store import Store

QUICK = ("-u", "2", "-n", "10", "-q")


def surge(*args: str, cwd: Path, env: dict[str, str] | None = None) -> Result:
    """`surge ARGS` in this process, in `cwd`, without the suite's SURGE_STORE."""
    clean: dict[str, str | None] = {"SURGE_STORE": None, "COLUMNS": "160"} | dict(env or {})
    with contextlib.chdir(cwd):
        return CliRunner(env=clean).invoke(cli, list(args), catch_exceptions=False)


def test_repeat_stores_each_run_and_the_store_commands_read_them(
    test_server: HttpTestServer, workdir: Path
) -> None:
    url = f"{test_server.url}/ok"
    proc = run_surge("run", url, *QUICK, "--repeat", "3", "--out", "r.json", cwd=workdir)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    assert test_server.requests_total == 60
    assert proc.stdout.count("Total") == 3  # every summary printed
    assert "GET /ok: run 3 of 3" in proc.stdout and "stored as run 3" in proc.stdout
    assert (workdir / ".surge" / "surge.db").is_file()

    history = surge("history", "GET /ok", cwd=workdir)
    assert history.exit_code == 0, history.output
    rows = [line for line in history.stdout.splitlines() if line.strip()[:1].isdigit()]
    assert [row.split()[0] for row in rows] == ["3", "2", "1"]
    assert "trend over the last 3 runs" in history.stdout
    limited = surge("history", "--limit", "1", cwd=workdir)
    assert "GET /ok" in limited.stdout and "trend" not in limited.stdout

    # lossless: a stored run exports exactly the JSON document the live run wrote
    export = surge("export", "GET /ok~1", "--json", "e.json", "--csv", "e", cwd=workdir)
    assert export.exit_code == 0, export.output
    live = read_json(workdir / "r.json")["scenarios"][1]
    assert read_json(workdir / "e.json") == live
    assert (workdir / "e_stats.csv").is_file()

    show = surge("show", "2", cwd=workdir)
    assert show.exit_code == 0, show.output
    assert "run 2 · GET /ok" in show.stdout
    assert "Total" in show.stdout and "20 requests" in show.stdout


def test_baseline_commands(test_server: HttpTestServer, workdir: Path) -> None:
    run = run_surge("run", f"{test_server.url}/ok", *QUICK, "--repeat", "3", cwd=workdir)
    assert run.returncode == 0, run.stderr
    made = surge("baseline", "set", "GET /ok", "--last", "2", "--version", "1.0.0", cwd=workdir)
    assert made.exit_code == 0, made.output
    assert "baseline GET /ok version 1.0.0: run(s) 2, 3" in made.stdout
    other = surge("baseline", "set", "other", "--run", "1", cwd=workdir)
    assert "baseline other: run(s) 1" in other.stdout
    assert "includes runs named GET /ok" in other.stdout
    latest = surge("baseline", "set", "GET /ok", cwd=workdir)  # default: the latest run
    assert "baseline GET /ok: run(s) 3" in latest.stdout
    listed = surge("baseline", "list", cwd=workdir)
    assert "baseline GET /ok: run(s) 3" in listed.stdout and "baseline other" in listed.stdout
    shown = surge("baseline", "show", "other", cwd=workdir)
    assert shown.exit_code == 0, shown.output
    assert "run(s) 1" in shown.stdout and "GET /ok" in shown.stdout
    assert "★" in surge("history", "GET /ok", cwd=workdir).stdout
    assert surge("baseline", "delete", "other", cwd=workdir).exit_code == 0
    again = surge("baseline", "delete", "other", cwd=workdir)
    assert again.exit_code == 2 and "has no baseline" in again.stderr
    none = surge("baseline", "set", "nope", cwd=workdir)
    assert none.exit_code == 2 and "no stored run named 'nope'" in none.stderr
    both = surge("baseline", "set", "GET /ok", "--run", "1", "--last", "1", cwd=workdir)
    assert both.exit_code == 2 and "not both" in both.stderr


def test_repeat_exit_code_is_the_worst_run(test_server: HttpTestServer, workdir: Path) -> None:
    proc = run_surge(
        "run", f"{test_server.url}/ok", *QUICK, "--repeat", "2", "--threshold",
        "rps>100000000", cwd=workdir,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr + proc.stdout
    assert "stored as run 2" in proc.stdout
    assert surge("history", cwd=workdir).stdout.count("threshold(s) failed") == 2


def test_no_store_and_the_store_env_var(test_server: HttpTestServer, workdir: Path) -> None:
    proc = run_surge("run", f"{test_server.url}/ok", *QUICK, "--no-store", cwd=workdir)
    assert proc.returncode == 0, proc.stderr
    assert not (workdir / ".surge").exists() and "stored as" not in proc.stdout
    env = {"SURGE_STORE": "elsewhere.db"}  # a plain path: SQLite, relative to the cwd
    proc = run_surge("run", f"{test_server.url}/ok", *QUICK, cwd=workdir, env=env)
    assert proc.returncode == 0, proc.stderr
    assert (workdir / "elsewhere.db").is_file() and not (workdir / ".surge").exists()
    assert "GET /ok" in surge("history", cwd=workdir, env=env).stdout


def test_a_bad_store_is_exit_2_before_any_traffic(
    test_server: HttpTestServer, workdir: Path
) -> None:
    proc = run_surge("run", f"{test_server.url}/ok", *QUICK, "--store", "nosuch://x", cwd=workdir)
    assert proc.returncode == 2
    assert "unknown database kind" in proc.stderr and "--no-store" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert test_server.requests_total == 0
    unreachable = surge("history", "--store", "postgresql://u:hunter2@127.0.0.1:1/db", cwd=workdir)
    assert unreachable.exit_code == 2 and "cannot open the store" in unreachable.stderr
    assert "hunter2" not in unreachable.output


def test_unknown_runs_and_missing_arguments_are_exit_2(workdir: Path) -> None:
    empty = surge("history", cwd=workdir)
    assert empty.exit_code == 0 and "no runs stored yet" in empty.stdout
    missing = surge("show", "1", cwd=workdir)
    assert missing.exit_code == 2 and "no runs stored yet" in missing.stderr
    assert not (workdir / ".surge").exists()  # reading does not create a store
    Store.open(f"sqlite:///{workdir / '.surge' / 'surge.db'}").close()
    assert "no runs stored in" in surge("history", cwd=workdir).stdout
    for args, message in (
        (("show", "99"), "no run with id 99"),
        (("show", "api~1"), "no run named 'api'"),
        (("history", "api"), "no run named 'api'"),
        (("export", "1"), "--json FILE and/or --csv PREFIX"),
        (("baseline", "show", "api"), "'api' has no baseline"),
    ):
        result = surge(*args, cwd=workdir)
        assert result.exit_code == 2, args
        assert message in result.stderr, (args, result.output)


def test_postgresql_store_from_the_command_line(
    test_server: HttpTestServer, workdir: Path, postgres_url: str
) -> None:
    proc = run_surge("run", f"{test_server.url}/ok", *QUICK, "--store", postgres_url, cwd=workdir)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    assert "stored as run 1 in postgresql" in proc.stdout
    history = surge("history", "--store", postgres_url, cwd=workdir)
    assert history.exit_code == 0, history.output
    assert "GET /ok" in history.stdout
    assert not (workdir / ".surge").exists()
    out = surge("export", "1", "--json", "pg.json", "--store", postgres_url, cwd=workdir)
    assert out.exit_code == 0, out.output
    assert json.loads((workdir / "pg.json").read_text())["summary"]["requests"] == 20


def doc_blocks(lang: str) -> list[str]:
    text = (Path(__file__).resolve().parents[2] / "docs" / "history.md").read_text("utf-8")
    return re.findall(rf"```{lang}\n(.*?)```", text, flags=re.S)


def test_history_page_examples_run(
    test_server: HttpTestServer, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, *_ = doc_blocks("sh")
    lines = [line for line in first.splitlines() if line.startswith("surge ")]
    run_line = lines[0].replace("http://127.0.0.1:8000/api/deals", f"{test_server.url}/ok")
    run_line = run_line.replace("-u 10 -d 30s", "-u 2 -n 5")
    proc = run_surge(*shlex.split(run_line)[1:], "-q", cwd=workdir)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    for line in lines[1:]:
        result = surge(*shlex.split(line)[1:], cwd=workdir)
        assert result.exit_code == 0, (line, result.output)
    assert read_json(workdir / "deals.json")["summary"]["requests"] == 10
    assert (workdir / "deals_stats.csv").is_file()

    (baselines,) = [b for b in doc_blocks("sh") if "surge baseline list" in b]
    for line in baselines.splitlines():
        command = line.split("#")[0].replace("--run 12 --run 14 --run 15", "--run 1 --run 3")
        result = surge(*shlex.split(command.replace("--last 5", "--last 2"))[1:], cwd=workdir)
        assert result.exit_code == 0, (line, result.output)

    (example,) = doc_blocks("python")
    monkeypatch.delenv("SURGE_STORE")
    with contextlib.chdir(workdir), contextlib.redirect_stdout(io.StringIO()) as out:
        exec(compile(example, "history.md", "exec"), {})
    assert out.getvalue().strip() == "deals 1.4.0 [1, 2, 3]"
