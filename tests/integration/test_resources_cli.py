"""Resource monitoring end to end: `surge run --monitor-pid` of a real target process, resource
thresholds on real data, the resources in JSON, CSV and the text report, and bad targets."""

from __future__ import annotations

import csv
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_helpers import read_json, run_surge

from servers import HttpTestServer

MB = 1024 * 1024
# ~100 MB resident and half a core busy, until killed (or 30 s).
TARGET = """
import time
block = bytearray(100 * 1024 * 1024)
for i in range(0, len(block), 4096):
    block[i] = 1
print("ready", flush=True)
end = time.monotonic() + 30
while time.monotonic() < end:  # busy about half the time: clearly measurable, not hogging
    busy = time.monotonic() + 0.05
    while time.monotonic() < busy:
        pass
    time.sleep(0.05)
"""
LIGHT = ("-u", "1", "--think-time", "20ms", "-d", "1.5s", "--allow-saturated", "-q", "--no-store")


@pytest.fixture
def target() -> Iterator[subprocess.Popen[str]]:
    proc = subprocess.Popen(
        [sys.executable, "-c", TARGET, "surge-resources-cli-target"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        yield proc
    finally:
        proc.kill()
        proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()


def test_a_monitored_target_is_reported_everywhere(
    test_server: HttpTestServer, workdir: Path, target: subprocess.Popen[str]
) -> None:
    proc = run_surge(
        "run", test_server.url + "/ok", *LIGHT,
        "--monitor-process", "surge-resources-cli-target",
        "--threshold", "target.rss>50MB", "--threshold", "target.rss.mean<400MB",
        "--threshold", "target.cpu>10%", "--threshold", "cpu<=100%",
        "--out", "r.json", "--csv", "r", "--report-text", "report.txt",
        cwd=workdir,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    doc = read_json(workdir / "r.json")
    resources = doc["resources"]
    (monitored,) = resources["targets"]
    assert monitored["pid"] == target.pid and monitored["exited_at_s"] is None
    label = monitored["label"]
    summary = resources["summary"]["targets"][label]
    assert 100 * MB <= summary["rss_bytes"]["peak"] <= 400 * MB
    assert 15.0 <= summary["cpu_pct"]["peak"] <= 110.0
    assert resources["samples"] == len(resources["series"]) >= 2
    assert all(label in point["targets"] for point in resources["series"])
    host = resources["summary"]["host"]
    assert 0 < host["memory_used_bytes"]["peak"] <= host["memory_total_bytes"]
    assert resources["summary"]["generator"]["rss_bytes"]["peak"] > 10 * MB
    assert [v["passed"] for v in doc["thresholds"]] == [True, True, True, True]
    rows = list(csv.DictReader((workdir / "r_resources.csv").read_text("utf-8").splitlines()))
    sources = {row["Source"] for row in rows}
    assert sources == {"host", "generator", label}
    assert len(rows) == 3 * resources["samples"]
    target_rows = [row for row in rows if row["Source"] == label]
    assert all(int(row["Memory (bytes)"]) >= 100 * MB for row in target_rows)
    text = (workdir / "report.txt").read_text(encoding="utf-8")
    assert "Resources (" in text and label in text and "\x1b[" not in text
    assert "Thresholds: PASS — 4 of 4 passed" in text
    assert label in proc.stdout  # the terminal summary has the same section


def test_a_resource_threshold_fails_on_real_data(
    test_server: HttpTestServer, workdir: Path, target: subprocess.Popen[str]
) -> None:
    proc = run_surge(
        "run", test_server.url + "/ok", *LIGHT,
        "--monitor-pid", str(target.pid), "--threshold", "target.rss<10MB",
        "--out", "r.json",
        cwd=workdir,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stdout + proc.stderr
    (verdict,) = read_json(workdir / "r.json")["thresholds"]
    assert verdict["passed"] is False and verdict["unit"] == "bytes"
    assert verdict["observed"] >= 100 * MB
    assert "target.rss<10MB" in proc.stdout and "FAIL" in proc.stdout


def test_a_dead_pid_exits_2_before_any_request(test_server: HttpTestServer, workdir: Path) -> None:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait(timeout=10)
    proc = run_surge("run", test_server.url + "/ok", "--monitor-pid", str(gone.pid), cwd=workdir)
    assert proc.returncode == 2
    assert f"--monitor-pid {gone.pid}: no process with that pid is running" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert test_server.requests_total == 0


def test_a_name_that_matches_nothing_exits_2(test_server: HttpTestServer, workdir: Path) -> None:
    proc = run_surge(
        "run", test_server.url + "/ok", "--monitor-process", "no-such-proc-zz9", cwd=workdir
    )
    assert proc.returncode == 2
    assert "--monitor-process 'no-such-proc-zz9'" in proc.stderr
    assert test_server.requests_total == 0


def test_a_target_threshold_without_a_target_exits_2(
    test_server: HttpTestServer, workdir: Path
) -> None:
    proc = run_surge("run", test_server.url + "/ok", "--threshold", "target.cpu<50%", cwd=workdir)
    assert proc.returncode == 2
    assert "--monitor-pid" in proc.stderr and "^" in proc.stderr
    assert test_server.requests_total == 0


DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_the_resources_page_examples_are_real() -> None:
    from surge.cli.options import RUN_OPTIONS
    from surge.thresholds import parse_threshold

    text = (DOCS / "resources.md").read_text(encoding="utf-8")
    (block,) = re.findall(r"^```threshold\n(.*?)^```", text, flags=re.S | re.M)
    for line in block.splitlines():
        parse_threshold(line)
    known = {flag for spec in RUN_OPTIONS for flag in spec.flags}
    for command in re.findall(r"^```bash\n(.*?)^```", text, flags=re.S | re.M):
        for flag in re.findall(r"(?<![\w-])(--[a-z][a-z-]*|-[a-z])\b", command):
            assert flag in known, flag
        for expression in re.findall(r"--threshold '([^']*)'", command):
            parse_threshold(expression)
