"""`surge bench FILE.py`: discovery, the table, thresholds and exit codes, report files, the
store, a baseline and `--compare-to` — the same post-run steps and exit codes as `surge run`."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from cli_helpers import read_json, run_surge

BENCH_FILE = """\
import os
import time

import surge

SLOW = float(os.environ.get("SLOW", "1.0"))


def spin(us):
    end = time.perf_counter_ns() + int(us * SLOW * 1000)
    while time.perf_counter_ns() < end:
        pass


@surge.bench(kind=surge.Kind.DATABASE_QUERY, thresholds=["p99<1s"])
def fetch_user():
    spin(40)


def bench_render():
    spin(20)


@surge.bench(name="cache get", kind=surge.Kind.CACHE_OPERATION, concurrency=[1, 2])
def cache_get():
    time.sleep(0.001)


def helper():
    raise AssertionError("not a bench")
"""


def bench_file(workdir: Path) -> Path:
    path = workdir / "bench_app.py"
    path.write_text(BENCH_FILE)
    return path


def test_runs_every_bench_prints_the_table_and_stores_the_run(workdir: Path) -> None:
    bench_file(workdir)
    proc = run_surge("bench", "bench_app.py", "-d", "0.2s", "--out", "r.json", cwd=workdir)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    for column in ("Min", "Max", "Mean", "StdDev", "Median", "IQR", "P95", "P99", "OPS ("):
        assert column in out
    assert "fetch_user" in out and "bench_render" in out and "cache get" in out
    assert "cache get: concurrency sweep on threads" in out
    assert "stored as run 1" in out
    doc = read_json(workdir / "r.json")
    assert doc["meta"]["mode"] == "bench" and doc["meta"]["name"] == "bench_app"
    assert [b["name"] for b in doc["benches"]] == ["fetch_user", "bench_render", "cache get"]
    names = {(e["method"], e["name"]) for e in doc["endpoints"]}
    assert ("DB", "fetch_user") in names and ("CACHE", "cache get [c=2]") in names
    history = run_surge("history", cwd=workdir)
    assert history.returncode == 0 and "bench_app" in history.stdout
    shown = run_surge("show", "1", cwd=workdir)
    assert shown.returncode == 0 and "Name (time in" in shown.stdout


def test_k_and_threshold_failures_exit_1_with_junit(workdir: Path) -> None:
    bench_file(workdir)
    proc = run_surge(
        "bench", "bench_app.py", "-k", "fetch", "-d", "0.2s", "--threshold", "p50<1us",
        "--junit", "j.xml", "--no-store", cwd=workdir,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "bench_render" not in proc.stdout
    assert "FAIL p50<1us" in proc.stdout
    cases = ET.parse(workdir / "j.xml").getroot().iter("testcase")
    assert any(case.find("failure") is not None for case in cases)


def test_html_and_csv_reports(workdir: Path) -> None:
    bench_file(workdir)
    proc = run_surge(
        "bench", "bench_app.py", "-k", "cache", "-d", "0.2s", "--html", "r.html",
        "--csv", "r", "--no-store", cwd=workdir,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    page = (workdir / "r.html").read_text()
    assert "cache get: throughput vs concurrency" in page
    assert list(workdir.glob("r*.csv"))


def test_a_baseline_then_compare_to_flags_a_slowdown(workdir: Path) -> None:
    bench_file(workdir)
    args = ("bench", "bench_app.py", "-k", "fetch", "-d", "0.5s", "--name", "q")
    first = run_surge(*args, cwd=workdir)
    assert first.returncode == 0, first.stdout + first.stderr
    marked = run_surge("baseline", "set", "q", cwd=workdir)
    assert marked.returncode == 0, marked.stdout + marked.stderr
    slower = run_surge(*args, "--compare-to", "q", cwd=workdir, env={"SLOW": "1.5"})
    assert slower.returncode == 1, slower.stdout + slower.stderr
    assert "compare with the baseline of q" in slower.stdout
    assert "regressed" in slower.stdout
    compared = run_surge("compare", "q", cwd=workdir)
    assert "fetch_user" in compared.stdout


def test_bad_input_exits_2_with_a_clear_message(workdir: Path) -> None:
    bench_file(workdir)
    (workdir / "broken.py").write_text("def bench_x(:\n    pass\n")
    cases = [
        (("bench", "nope.py"), "nope.py: no such file"),
        (("bench", "broken.py"), "broken.py:1: syntax error"),
        (("bench", "bench_app.py", "-k", "zzz"), "no bench matches -k 'zzz'"),
        (("bench", "bench_app.py", "--threshold", "p95<<1ms"), "invalid threshold"),
        (("bench", "bench_app.py", "--threshold", "other: p95<1ms"), "no bench named 'other'"),
        (("bench", "bench_app.py", "--threshold", "cpu<50%"), "not measured by a benchmark"),
    ]
    for args, message in cases:
        proc = run_surge(*args, "--no-store", cwd=workdir)
        assert proc.returncode == 2, (args, proc.stdout, proc.stderr)
        assert message in proc.stderr, (args, proc.stderr)
        assert "Traceback" not in proc.stderr


def test_every_call_failing_exits_3(workdir: Path) -> None:
    (workdir / "bench_down.py").write_text(
        "def bench_down():\n    raise ConnectionError('cache down')\n"
    )
    proc = run_surge("bench", "bench_down.py", "-d", "0.1s", "--no-store", cwd=workdir)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "ConnectionError" in proc.stdout
