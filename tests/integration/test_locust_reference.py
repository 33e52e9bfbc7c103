"""The same locustfile under real Locust (in its own virtualenv) and under surge: the same
requests, names and failures. Locust and its gevent never share an environment with surge: the
test uses the benchmark's virtualenv (.bench/locust-venv, see benchmarks/efficiency.py) and
creates it on first use; without PyPI it skips, saying so."""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cli_helpers import read_json, run_surge

from servers import HttpTestServer

ROOT = Path(__file__).resolve().parents[2]
LOCUST_VENV = ROOT / ".bench" / "locust-venv"
FILES = Path(__file__).parent / "locustfiles"


def _locust() -> Path:
    binary = LOCUST_VENV / "bin" / "locust"
    if binary.exists():
        return binary
    try:
        # no pip of its own (ensurepip takes 5-15 s): this environment's pip installs into it
        venv = [sys.executable, "-m", "venv", "--without-pip", str(LOCUST_VENV)]
        subprocess.run(venv, check=True, timeout=120)
        python = str(LOCUST_VENV / "bin" / "python")
        pip = [sys.executable, "-m", "pip", "--python", python, "install", "-q", "locust"]
        subprocess.run(pip, check=True, timeout=400, capture_output=True)
    except (subprocess.SubprocessError, OSError) as exc:
        shutil.rmtree(LOCUST_VENV, ignore_errors=True)
        pytest.skip(f"Locust could not be installed into {LOCUST_VENV} (no PyPI?): {exc}")
    return binary


@pytest.mark.timeout(600)
def test_same_locustfile_same_requests_under_locust_and_surge(
    tmp_path: Path, test_server: HttpTestServer
) -> None:
    locust = _locust()
    theirs, ours = tmp_path / "locust", tmp_path / "surge"
    for folder in (theirs, ours):
        folder.mkdir()
        shutil.copy(FILES / "shares.py", folder)
    proc = subprocess.run(
        [str(locust), "-f", "shares.py", "--headless", "-u", "4", "-r", "4", "-t", "3s",
         "-H", test_server.url, "--csv", "res", "--only-summary"],
        cwd=theirs, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    with (theirs / "res_stats.csv").open() as f:
        rows = [r for r in csv.DictReader(f) if r["Name"] != "Aggregated"]
    locust_stats = {(r["Type"], r["Name"]): r for r in rows}
    run = run_surge(
        "run", "shares.py", "--headless", "-u", "4", "-r", "4", "-t", "3s", "-H", test_server.url,
        "--allow-saturated", "--no-store", "-q", "--out", "out.json", cwd=ours,
    )  # fmt: skip
    assert run.returncode in (0, 1), run.stderr
    surge_stats = {(e["method"], e["name"]): e for e in read_json(ours / "out.json")["endpoints"]}
    assert set(locust_stats) == set(surge_stats) == {
        ("GET", "read"), ("POST", "write"), ("GET", "judged")
    }  # fmt: skip
    judged = locust_stats[("GET", "judged")]
    assert int(judged["Failure Count"]) == int(judged["Request Count"]) > 0
    assert int(locust_stats[("POST", "write")]["Failure Count"]) == 0
    assert surge_stats[("GET", "judged")]["failures"] == surge_stats[("GET", "judged")]["requests"]
    # The file's own listeners ran under both (request events, test_stop); under surge each
    # recorded request fired exactly one event.
    locust_seen = read_json(theirs / "events.json")
    assert locust_seen["failed"] > 0 and locust_seen["requests"] > locust_seen["failed"]
    surge_seen = read_json(ours / "events.json")
    assert surge_seen["requests"] == sum(e["requests"] for e in surge_stats.values())
    assert surge_seen["failed"] == surge_stats[("GET", "judged")]["failures"]
