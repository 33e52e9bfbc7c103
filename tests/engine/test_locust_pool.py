"""The open model's pool of idle locustfile users: parked users idle for longer than the
release time are stopped (on_stop runs in their greenlet), so the pool shrinks after a burst."""

from __future__ import annotations

from pathlib import Path

from engine import loads
from servers import HttpTestServer
from surge.engine.greenlet_workload import LocustWorkload
from surge.engine.http import ClientConfig
from surge.locust.loader import Locustfile, load_locustfile
from surge.metrics.recorder import Recorder

BURST = 30

LOCUSTFILE = """
import time

from locust import HttpUser, task

SLOW = [True]
SEEN = {"on_start": 0, "on_stop": 0}


class Pooled(HttpUser):
    def on_start(self):
        SEEN["on_start"] += 1

    @task
    def work(self):
        self.client.get("/ok")
        if SLOW[0]:
            time.sleep(0.3)

    def on_stop(self):
        SEEN["on_stop"] += 1
        self.client.get("/cookie/get")
"""


def test_parked_users_idle_too_long_are_stopped(
    tmp_path: Path, test_server: HttpTestServer
) -> None:
    (tmp_path / "pooled.py").write_text(LOCUSTFILE)
    locustfile = load_locustfile(tmp_path / "pooled.py").locustfile
    assert isinstance(locustfile, Locustfile)
    work = LocustWorkload(
        locustfile,
        base_url=test_server.url,
        host_given=True,
        config=ClientConfig(),
        class_of=lambda k: 0,
        seed=1,
        idle_release_s=0.3,
    )
    module = locustfile.classes[0].__module__
    slow, seen = (vars(__import__("sys").modules[module])[n] for n in ("SLOW", "SEEN"))
    parked: list[tuple[float, int]] = []

    def pace(elapsed_s: float, k: int) -> float | None:
        """BURST slow arrivals at once, then a fast one every 40 ms from 0.5 s to 1.5 s."""
        parked.append((elapsed_s, len(work.idle[0])))
        slow[0] = elapsed_s < 0.4
        if k < BURST:
            return -1.0
        due_s = 0.5 + (k - BURST) * 0.04
        return due_s - elapsed_s if due_s <= 1.5 else None

    recorder = Recorder()
    loads.run(loads.open_model(work, recorder, pace=pace, max_in_flight=100))
    assert max(size for _, size in parked) >= BURST - 1  # the burst's users, parked
    late = [size for t_s, size in parked if t_s > 1.1]
    assert late and max(late) <= 3, parked[-20:]  # one (more when a loaded machine bunches)
    assert work.released >= BURST - 3
    assert seen["on_start"] == seen["on_stop"] >= BURST  # each user stopped once
    assert test_server.requests_by_path["/cookie/get"] == seen["on_stop"]
    arrivals = recorder.snapshot(0.0, 1.0, 0).arrivals
    assert arrivals.completed == arrivals.scheduled == BURST + 26
