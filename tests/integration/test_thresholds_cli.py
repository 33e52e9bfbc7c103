"""Thresholds, checks and CI gating end to end: exit codes, verdict tables, JUnit, abort-on-fail."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from cli_helpers import endpoint, read_json, run_surge

from servers import HttpTestServer


def test_a_failing_threshold_exits_1_with_the_verdict_table(
    test_server: HttpTestServer, workdir: Path
) -> None:
    proc = run_surge(
        "run", test_server.url + "/delay?ms=30", "-u", "2", "-n", "5",
        "--threshold", "p95<10ms", "--threshold", "error_rate<1%",
        "--out", "r.json", "--junit", "junit.xml", "-q",
        cwd=workdir,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "FAIL" in proc.stdout and "p95<10ms" in proc.stdout
    doc = read_json(workdir / "r.json")
    verdicts = {v["expression"]: v for v in doc["thresholds"]}
    assert verdicts["p95<10ms"]["passed"] is False
    assert verdicts["p95<10ms"]["observed"] >= 30
    assert verdicts["error_rate<1%"]["passed"] is True
    assert doc["thresholds_passed"] is False
    suite = ET.parse(workdir / "junit.xml").getroot().find("testsuite")
    assert suite is not None and suite.get("failures") == "1"
    failed = [c.get("name") for c in suite.iter("testcase") if c.find("failure") is not None]
    assert failed == ["p95<10ms"]


def test_passing_thresholds_exit_0(test_server: HttpTestServer, workdir: Path) -> None:
    proc = run_surge(
        "run", test_server.url + "/ok", "-u", "2", "-n", "10",
        "--threshold", "p99<2s", "--threshold", "rps>1", "--threshold", "failures<=0",
        "-q",
        cwd=workdir,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "3 of 3 passed" in proc.stdout


def test_a_malformed_threshold_exits_2_before_any_request(
    test_server: HttpTestServer, workdir: Path
) -> None:
    proc = run_surge("run", test_server.url + "/ok", "--threshold", "p96<200ms", cwd=workdir)
    assert proc.returncode == 2
    assert "p96" in proc.stderr and "^" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert test_server.requests_total == 0


def test_an_unknown_endpoint_selector_exits_2(test_server: HttpTestServer, workdir: Path) -> None:
    proc = run_surge(
        "run", test_server.url + "/ok", "--threshold", "GET /nope: p95<1s", cwd=workdir
    )
    assert proc.returncode == 2
    assert "/nope" in proc.stderr and "GET /ok" in proc.stderr
    assert test_server.requests_total == 0


def test_abort_on_fail_stops_the_run_early(test_server: HttpTestServer, workdir: Path) -> None:
    proc = run_surge(
        "run", test_server.url + "/delay?ms=50", "-u", "2", "-d", "30s",
        "--threshold", "p95<10ms", "--abort-on-fail", "--abort-grace", "1s",
        "--out", "r.json", "-q",
        cwd=workdir,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stdout + proc.stderr
    doc = read_json(workdir / "r.json")
    assert doc["meta"]["aborted"] is True
    assert "p95<10ms" in doc["meta"]["abort_reason"]
    assert doc["summary"]["duration_s"] < 10


SELECTOR_SCENARIO = """\
import surge
from surge.checks import json_path, status

thresholds = [
    "GET /fast: p95<500ms",
    "GET /slow: p95<20ms",
    surge.Threshold(max_error_rate=0.01),
    "checks>99%",
]


class Mixed(surge.User):
    @surge.task
    async def both(self) -> None:
        await self.http.get("/ok", name="/fast", checks=[status(200)])
        r = await self.http.get("/delay?ms=40", name="/slow")
        r.check(status(200))
        await self.http.get("/echo", checks=[json_path("method", equals="GET")])
"""


def test_per_endpoint_selectors_and_checks_from_a_script(
    test_server: HttpTestServer, workdir: Path
) -> None:
    (workdir / "mixed.py").write_text(SELECTOR_SCENARIO)
    proc = run_surge(
        "run", "mixed.py", "--host", test_server.url, "-u", "2", "-n", "3",
        "--out", "r.json", "-q",
        cwd=workdir,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stdout + proc.stderr
    doc = read_json(workdir / "r.json")
    passed = {v["expression"]: v["passed"] for v in doc["thresholds"]}
    assert passed["GET /fast: p95<500ms"] is True
    assert passed["GET /slow: p95<20ms"] is False
    assert passed["checks>99%"] is True
    assert any(v["metric"] == "error_rate" and v["passed"] for v in doc["thresholds"])
    fast = endpoint(doc, "GET", "/fast")
    assert fast["checks"]["status is 200"]["passes"] == 6
    echo = endpoint(doc, "GET", "/echo")
    assert echo["checks"]['json method == "GET"']["fails"] == 0


def test_url_mode_expectations_turn_statuses_into_checks(
    test_server: HttpTestServer, workdir: Path
) -> None:
    proc = run_surge(
        "run", test_server.url + "/status?code=404", "-u", "1", "-n", "5",
        "--expect-status", "404", "--threshold", "checks>99%", "--out", "r.json", "-q",
        cwd=workdir,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    summary = read_json(workdir / "r.json")["summary"]
    assert summary["failures"] == 0 and summary["requests"] == 5
    wrong = run_surge(
        "run", test_server.url + "/ok", "-u", "1", "-n", "5", "--expect-body", "nope",
        "--out", "w.json", "-q",
        cwd=workdir,
    )  # fmt: skip
    assert wrong.returncode == 3, wrong.stdout + wrong.stderr
    assert read_json(workdir / "w.json")["summary"]["errors"] == {"check": 5}
