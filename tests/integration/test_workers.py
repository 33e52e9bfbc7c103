"""`--workers N`: local worker processes against a real loopback server, merged exactly."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path

import psutil  # type: ignore[import-untyped]
import pytest
from cli_helpers import SURGE, read_json, run_surge

from servers import HttpTestServer


def test_two_workers_send_exactly_the_planned_requests(
    test_server: HttpTestServer, workdir: Path
) -> None:
    proc = run_surge(
        "run", f"{test_server.url}/ok", "-u", "5", "-n", "40", "--workers", "2",
        "--out", "r.json", "-q", "--no-store", cwd=workdir,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    doc = read_json(workdir / "r.json")
    assert doc["summary"]["requests"] == 200 == test_server.requests_total
    assert doc["summary"]["degraded"] is False
    workers = doc["workers"]
    assert [w["worker"] for w in workers] == [0, 1]
    assert [w["requests"] for w in workers] == [120, 80]  # 5 users: 3 + 2, 40 requests each
    assert all(w["state"] == "finished" and w["pid"] != 0 for w in workers)
    assert "2 workers (local processes)" in proc.stdout
    assert "Workers" in proc.stdout  # the per-worker table


def test_open_model_rate_splits_over_workers_and_every_arrival_is_accounted_for(
    test_server: HttpTestServer, workdir: Path
) -> None:
    proc = run_surge(
        "run", f"{test_server.url}/ok", "--rate", "200", "-d", "1s", "--workers", "2",
        "--out", "r.json", "-q", "--no-store", cwd=workdir,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    doc = read_json(workdir / "r.json")
    load = doc["summary"]["load"]
    assert load["scheduled"] == 200 and load["dropped_total"] == 0
    assert load["completed"] + load["failed"] == doc["summary"]["requests"]
    assert doc["summary"]["requests"] == test_server.requests_total == 200
    assert [w["requests"] for w in doc["workers"]] == [100, 100]
    # the timeline lines the workers' seconds up by seq: one point per second, not per worker
    assert len(doc["timeline"]) <= 2


def _workers_of(pid: int) -> list[psutil.Process]:
    """The worker processes of a `surge run`: its children forked ahead of the run, or the
    children of its fork server."""
    out = []
    for child in psutil.Process(pid).children(recursive=True):
        try:
            parent = child.parent()
            if parent is None:
                continue
            own = " ".join(child.cmdline())
            forked_ahead = parent.pid == pid and not ("forkserver" in own or "tracker" in own)
            if forked_ahead or "forkserver" in " ".join(parent.cmdline()):
                out.append(child)
        except psutil.NoSuchProcess:
            continue
    return out


def _start(server: HttpTestServer, workdir: Path, *extra: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SURGE_")}
    return subprocess.Popen(
        [
            *SURGE, "run", f"{server.url}/delay?ms=5", "-u", "4", "-d", "3s",
            "--workers", "2", "--out", "r.json", "-q", "--no-store",
            "--allow-saturated",  # a busy machine's loop lag is not what these tests judge
            *extra,
        ],
        cwd=workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def _when_running(
    proc: subprocess.Popen[str], server: HttpTestServer, at_least: int = 201
) -> list[psutil.Process]:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        workers = _workers_of(proc.pid)
        if len(workers) == 2 and server.requests_total >= at_least:
            return workers
        time.sleep(0.05)
    proc.kill()
    raise AssertionError(f"workers never ran: {proc.communicate()}")


@pytest.mark.parametrize("fail_on_loss", [False, True])
def test_a_worker_killed_mid_run_is_reported_and_its_data_kept(
    test_server: HttpTestServer, workdir: Path, fail_on_loss: bool
) -> None:
    flags = ("--fail-on-worker-loss",) if fail_on_loss else ()
    proc = _start(test_server, workdir, *flags)
    workers = _when_running(proc, test_server)
    time.sleep(1.2)  # past the first per-second snapshot
    victim = max(workers, key=lambda p: p.pid)
    killed_at = time.monotonic()
    victim.send_signal(signal.SIGKILL)
    stdout, stderr = proc.communicate(timeout=30)
    ended_after_s = time.monotonic() - killed_at
    assert "Traceback" not in stderr, stderr
    doc = read_json(workdir / "r.json")
    lost = [w for w in doc["workers"] if w["pid"] == victim.pid]
    assert len(lost) == 1, doc["workers"]
    assert lost[0]["state"] == "lost" and lost[0]["reason"] == "killed by SIGKILL"
    assert lost[0]["snapshots"] >= 1 and lost[0]["requests"] > 0  # its data up to then is kept
    assert lost[0]["lost_at_s"] is not None
    assert doc["summary"]["degraded"] is True
    assert doc["summary"]["requests"] <= test_server.requests_total
    assert "DEGRADED" in stdout
    if fail_on_loss:
        assert proc.returncode == 6, stdout + stderr
        assert doc["meta"]["aborted"] is True and "lost" in doc["meta"]["abort_reason"]
        assert ended_after_s < 3.0  # the others were stopped, not run to the end
    else:
        assert proc.returncode == 0, stdout + stderr
        assert doc["meta"]["aborted"] is False
        others = [w for w in doc["workers"] if w["pid"] != victim.pid]
        assert others[0]["state"] == "finished"


def test_ctrl_c_stops_every_worker_and_writes_merged_partial_results(
    test_server: HttpTestServer, workdir: Path
) -> None:
    proc = _start(test_server, workdir)
    workers = _when_running(proc, test_server)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 130, stdout + stderr
    assert "Traceback" not in stderr, stderr
    doc = read_json(workdir / "r.json")
    assert doc["meta"]["aborted"] is True and doc["meta"]["abort_reason"] == "SIGINT"
    assert [w["state"] for w in doc["workers"]] == ["finished", "finished"]
    summary = doc["summary"]
    assert 0 < summary["requests"] <= test_server.requests_total
    assert test_server.requests_total <= summary["requests"] + summary["incomplete"]
    assert not any(p.is_running() and p.status() != psutil.STATUS_ZOMBIE for p in workers)


def test_distributed_page_local_example_runs(test_server: HttpTestServer, workdir: Path) -> None:
    from surge.runner.recipe import local_cpus

    page = (Path(__file__).resolve().parents[2] / "docs" / "distributed.md").read_text()
    command = re.findall(r"```bash\n(surge run .*?)\n```", page)[0]
    args = command.split()[2:]
    assert args[:5] == ["http://127.0.0.1:8000/api/items", "-u", "200", "-d", "30s"]
    args = [f"{test_server.url}/ok", "-u", "4", "-n", "5", *args[5:]]
    proc = run_surge("run", *args, "--out", "r.json", "-q", "--no-store", cwd=workdir)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    doc = read_json(workdir / "r.json")
    assert doc["summary"]["requests"] == 20 == test_server.requests_total
    cpus = min(local_cpus(), 4)
    assert len(doc["workers"]) == (cpus if cpus > 1 else 0)


WORKER_ONLY_FAILURE = """\
import multiprocessing

import surge

if multiprocessing.parent_process() is not None:  # only in a worker process
    raise RuntimeError("this module cannot load in a worker")


class U(surge.User):
    @surge.task
    async def a(self) -> None:
        await self.http.get("/ok")
"""


def test_workers_that_cannot_start_exit_6_before_any_traffic(
    test_server: HttpTestServer, workdir: Path
) -> None:
    (workdir / "picky.py").write_text(WORKER_ONLY_FAILURE)
    proc = run_surge(
        "run", "picky.py", "--host", test_server.url, "-u", "2", "-n", "3", "--workers", "2",
        "--out", "r.json", "-q", "--no-store", cwd=workdir,
    )  # fmt: skip
    assert proc.returncode == 6, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert test_server.requests_total == 0
    doc = read_json(workdir / "r.json")
    assert doc["meta"]["aborted"] is True
    assert "workers could not start" in doc["meta"]["abort_reason"]
    assert "cannot load in a worker" in doc["meta"]["abort_reason"]
    assert "failed" in {w["state"] for w in doc["workers"]}


def test_dry_run_shows_each_workers_slice(test_server: HttpTestServer, workdir: Path) -> None:
    proc = run_surge(
        "run", f"{test_server.url}/ok", "-u", "7", "--workers", "3", "--dry-run", cwd=workdir
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "split over 3 workers" in proc.stdout
    for line in ("worker 0/3: 3 users", "worker 1/3: 2 users", "worker 2/3: 2 users"):
        assert line in proc.stdout
    assert test_server.requests_total == 0


def _launch(server: HttpTestServer, workdir: Path, *args: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SURGE_")}
    return subprocess.Popen(
        [*SURGE, "run", *args, "--workers", "2", "--out", "r.json", "-q", "--no-store",
         "--allow-saturated"],  # the accounting is judged, not a busy machine's loop lag
        cwd=workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def _identity(load: dict[str, int]) -> int:
    return (
        load["completed"]
        + load["failed"]
        + load["dropped_total"]
        + load["in_flight_at_end"]
        + load["lost_with_worker"]
    )


def test_a_killed_worker_leaves_what_the_plan_scheduled_and_the_identity(
    test_server: HttpTestServer, workdir: Path
) -> None:
    """400 arrivals planned (100/s for 4 s, 200 a worker); one worker is killed after about a
    second: `scheduled` is still the plan's 400, and what the dead worker had in flight or
    never sent is `lost_with_worker`."""
    proc = _launch(
        test_server, workdir, f"{test_server.url}/delay?ms=20", "--rate", "100", "-d", "4s"
    )
    workers = _when_running(proc, test_server, at_least=60)
    time.sleep(1.2)  # past its first per-second snapshot
    victim = max(workers, key=lambda p: p.pid)
    victim.send_signal(signal.SIGKILL)
    stdout, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 0, stdout + stderr
    doc = read_json(workdir / "r.json")
    load = doc["summary"]["load"]
    assert load["scheduled"] == 400, load
    (dead,) = [w for w in doc["workers"] if w["pid"] == victim.pid]
    assert 0 < dead["requests"] < 200, dead
    # its 200 arrivals: those it reported done are counted; the rest went with it
    assert load["lost_with_worker"] == 200 - dead["requests"], load
    assert _identity(load) == load["scheduled"], load
    assert doc["summary"]["degraded"] is True
    assert load["completed"] + load["failed"] == doc["summary"]["requests"]
    assert "lost with a worker" in stdout


@pytest.mark.parametrize("model", ["closed", "open"])
def test_a_second_ctrl_c_counts_what_was_in_flight_as_incomplete(
    test_server: HttpTestServer, workdir: Path, model: str
) -> None:
    """Every request takes 3 s: at the second Ctrl-C the requests in flight are not lost, they
    are reported incomplete (and, in the open model, in flight at the end)."""
    load_args = ["-u", "4"] if model == "closed" else ["--rate", "8"]
    proc = _launch(
        test_server, workdir, f"{test_server.url}/delay?ms=3000", *load_args, "-d", "20s"
    )
    workers = _when_running(proc, test_server, at_least=4)
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    time.sleep(0.3)
    signalled_at = time.monotonic()
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=30)
    assert time.monotonic() - signalled_at < 5.0, "the second Ctrl-C must end the run promptly"
    assert proc.returncode == 130, stdout + stderr
    assert "Traceback" not in stderr, stderr
    doc = read_json(workdir / "r.json")
    summary = doc["summary"]
    assert summary["incomplete"] >= 4, summary
    assert test_server.requests_total <= summary["requests"] + summary["incomplete"]
    assert [w["state"] for w in doc["workers"]] == ["finished", "finished"]
    if model == "open":
        load = summary["load"]
        assert load["in_flight_at_end"] >= 4 and load["lost_with_worker"] == 0, load
        assert _identity(load) == load["scheduled"], load
    assert not any(p.is_running() and p.status() != psutil.STATUS_ZOMBIE for p in workers)
