"""`surge run` with the open model, stages, load shapes, --dry-run and generator health, end to
end against the real loopback test server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cli_helpers import read_json, run_surge

from servers import HttpTestServer


def _identity_holds(load: dict[str, Any]) -> bool:
    return bool(
        load["scheduled"]
        == load["completed"] + load["failed"] + load["dropped_total"] + load["in_flight_at_end"]
    )


def test_rate_sends_the_schedule_and_reports_the_accounting(
    test_server: HttpTestServer, workdir: Path
) -> None:
    proc = run_surge(
        "run", test_server.url + "/ok", "--rate", "100", "-d", "2s", "--out", "r.json", "-q",
        cwd=workdir,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    doc = read_json(workdir / "r.json")
    load = doc["summary"]["load"]
    assert load["model"] == "open" and load["offered_rps"] == 100.0
    assert load["scheduled"] == 200 == load["completed"] == test_server.requests_total
    assert _identity_holds(load)
    assert doc["summary"]["service_time_ms"]["p50"] is not None
    assert doc["summary"]["generator"]["saturated"] is False
    assert "Arrivals: 200 scheduled" in proc.stdout


def test_in_flight_cap_drops_are_counted_and_fail_the_default_threshold(
    test_server: HttpTestServer, workdir: Path
) -> None:
    """Drops at the user's cap with a healthy generator: the latencies are exact, so the run is
    not saturated (exit 4 until issue 19); the default `dropped_rate<1%` fails it (exit 1)."""
    args = (
        "run", test_server.url + "/delay?ms=200", "--rate", "100", "-d", "1s",
        "--max-in-flight", "5", "--out", "r.json",
    )  # fmt: skip
    proc = run_surge(*args, cwd=workdir)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    doc = read_json(workdir / "r.json")
    load = doc["summary"]["load"]
    assert load["scheduled"] == 100
    assert load["dropped"]["max_in_flight"] > 50
    assert _identity_holds(load)
    generator = doc["summary"]["generator"]
    assert generator["saturated"] is False and generator["causes"] == []
    assert any("dropped" in note for note in generator["notes"])
    (verdict,) = doc["thresholds"]
    assert verdict["expression"] == "dropped_rate<1%" and verdict["passed"] is False
    assert verdict["observed"] > 50
    assert "GENERATOR SATURATED" not in proc.stdout
    assert "Raise --max-in-flight" in proc.stdout
    looser = run_surge(*args, "-q", "--threshold", "dropped_rate<=100%", cwd=workdir)
    assert looser.returncode == 0, looser.stdout + looser.stderr
    (verdict,) = read_json(workdir / "r.json")["thresholds"]
    assert verdict["expression"] == "dropped_rate<=100%" and verdict["passed"] is True


BLOCKING_SCENARIO = """\
import time

import surge


class Blocker(surge.User):
    @surge.task
    async def block(self) -> None:
        await self.http.get("/ok")
        time.sleep(0.3)  # a synchronous call: the whole event loop stops for 300 ms
"""


def test_a_task_blocking_the_loop_marks_the_run_saturated_and_is_named(
    test_server: HttpTestServer, workdir: Path
) -> None:
    (workdir / "blocker.py").write_text(BLOCKING_SCENARIO)
    proc = run_surge(
        "run", "blocker.py", "--host", test_server.url, "-u", "2", "-d", "3s",
        "--out", "r.json",
        cwd=workdir,
    )  # fmt: skip
    assert proc.returncode == 4, proc.stdout + proc.stderr
    generator = read_json(workdir / "r.json")["summary"]["generator"]
    assert generator["saturated"] is True
    assert generator["loop_lag_max_ms"] >= 250
    assert any("loop lag" in reason for reason in generator["reasons"])
    # the verdict names the task that blocked the loop, and for how long
    assert generator["causes"] == ["loop_lag", "user_code"]
    stall = generator["stalls"][0]
    assert stall["where"].startswith("Blocker.block (") and "blocker.py:" in stall["where"]
    assert stall["count"] >= 3 and 250 <= stall["max_ms"] <= 1000
    assert any(
        r.startswith("user code blocked the event loop: Blocker.block")
        for r in generator["reasons"]
    )


def test_dry_run_prints_the_plan_and_sends_nothing(
    test_server: HttpTestServer, workdir: Path
) -> None:
    proc = run_surge(
        "run", test_server.url + "/ok", "--stages", "2s:50/s,3s:50/s,1s:0/s",
        "--threshold", "p95<200ms", "--dry-run",
        cwd=workdir,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "open" in proc.stdout and "50" in proc.stdout
    assert "p95<200ms" in proc.stdout
    assert "nothing was sent" in proc.stdout
    assert test_server.requests_total == 0


def test_user_stages_follow_the_target(test_server: HttpTestServer, workdir: Path) -> None:
    proc = run_surge(
        "run", test_server.url + "/delay?ms=20", "--stages", "0s:3,2s:3",
        "--out", "r.json", "-q",
        cwd=workdir,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    doc = read_json(workdir / "r.json")
    assert doc["summary"]["load"]["model"] == "closed"
    first = doc["timeline"][0]
    assert first["target"] == 3.0 and first["active_users"] == 3
    assert 2.0 <= doc["summary"]["duration_s"] < 4.0
    assert doc["summary"]["requests"] == test_server.requests_total > 100


SHAPE_SCENARIO = """\
import surge


class Pinger(surge.User):
    @surge.task
    async def ping(self) -> None:
        await self.http.get("/ok")


class TwoSeconds(surge.LoadShape):
    kind = "rate"

    def tick(self, elapsed_s: float) -> float | None:
        return 40.0 if elapsed_s < 2 else None
"""


def test_a_rate_shape_runs_scripted_users_in_the_open_model(
    test_server: HttpTestServer, workdir: Path
) -> None:
    (workdir / "shape.py").write_text(SHAPE_SCENARIO)
    proc = run_surge(
        "run", "shape.py", "--host", test_server.url, "-d", "10s", "--out", "r.json", "-q",
        cwd=workdir,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    doc = read_json(workdir / "r.json")
    load = doc["summary"]["load"]
    assert load["model"] == "open"
    assert load["scheduled"] == 80 == test_server.requests_total
    assert _identity_holds(load)
    assert doc["summary"]["duration_s"] < 5.0


def test_scripted_users_at_a_fixed_rate(test_server: HttpTestServer, workdir: Path) -> None:
    (workdir / "shape.py").write_text(SHAPE_SCENARIO.split("class TwoSeconds")[0])
    proc = run_surge(
        "run", "shape.py", "--host", test_server.url, "--rate", "50", "-d", "2s",
        "--out", "r.json", "-q",
        cwd=workdir,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    load = read_json(workdir / "r.json")["summary"]["load"]
    assert load["scheduled"] == 100 == load["completed"] == test_server.requests_total


def test_bad_stages_are_a_usage_error(test_server: HttpTestServer, workdir: Path) -> None:
    proc = run_surge("run", test_server.url + "/ok", "--stages", "30s:ten", cwd=workdir)
    assert proc.returncode == 2
    assert "--stages" in proc.stderr and "Traceback" not in proc.stderr
    assert test_server.requests_total == 0
