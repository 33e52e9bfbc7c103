"""`--engine ray`: workers as Ray actors on a local Ray cluster (2 CPUs), end to end.

Ray takes seconds to start, so these tests are few: one through the CLI (a scripted scenario
whose folder reaches the actors through Ray's runtime environment) and one in-process that kills
an actor's process and checks the loss is seen within 2 s.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import endpoint, read_json, run_surge

from servers import HttpTestServer

ray = pytest.importorskip("ray")

SCENARIO = """\
import surge
from paths import HEAVY  # a module next to the script: shipped with its folder


class Heavy(surge.User):
    weight = 3

    @surge.task
    async def a(self) -> None:
        await self.http.get(HEAVY, name="/heavy")


class Light(surge.User):
    weight = 1

    @surge.task
    async def b(self) -> None:
        await self.http.get("/ok", name="/light")
"""


@pytest.mark.timeout(300)
def test_scripted_scenario_on_two_ray_actors(test_server: HttpTestServer, workdir: Path) -> None:
    folder = workdir / "scenarios"
    folder.mkdir()
    (folder / "paths.py").write_text('HEAVY = "/ok?who=heavy"\n')
    (folder / "mix.py").write_text(SCENARIO)
    proc = run_surge(
        "run", "scenarios/mix.py", "--host", test_server.url, "-u", "4", "-n", "10",
        "--engine", "ray", "--workers", "2", "--out", "r.json", "-q", "--no-store",
        cwd=workdir, timeout_s=180,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    doc = read_json(workdir / "r.json")
    assert doc["summary"]["requests"] == 40 == test_server.requests_total
    assert endpoint(doc, "GET", "/heavy")["requests"] == 30  # class weights kept across actors
    assert endpoint(doc, "GET", "/light")["requests"] == 10
    assert [w["requests"] for w in doc["workers"]] == [20, 20]
    assert {w["pid"] for w in doc["workers"]}.isdisjoint({0, os.getpid()})
    assert "2 workers (Ray cluster)" in proc.stdout


@pytest.fixture(scope="module")
def local_ray() -> Iterator[Any]:
    ray.init(num_cpus=2, include_dashboard=False, logging_level="warning", log_to_driver=False)
    try:
        yield ray
    finally:
        ray.shutdown()


@pytest.mark.timeout(300)
def test_a_ray_actor_that_dies_is_reported_lost_within_two_seconds(
    test_server: HttpTestServer, local_ray: Any
) -> None:
    from surge.cluster import ClusterSettings, Coordinator
    from surge.cluster.ray_backend import RayBackend
    from surge.config import RunConfig
    from surge.metrics import Snapshot, WorkerState
    from surge.runner.recipe import JobRecipe
    from surge.runner.worker import prepare_worker

    config = RunConfig.layered({"users": 2, "duration": 4.0})
    recipe = JobRecipe(f"{test_server.url}/delay?ms=5", config)
    killed: list[float] = []

    def on_snapshot(snap: Snapshot) -> None:
        if snap.worker == 1 and snap.seq == 0 and not killed:
            killed.append(time.monotonic())
            os.kill(coordinator.tracks[1].pid, signal.SIGKILL)

    coordinator = Coordinator(RayBackend(), ClusterSettings(workers=2), on_snapshot)
    outcome = coordinator.run(prepare_worker, recipe)
    w0, w1 = outcome.workers
    assert w0.state is WorkerState.FINISHED and w0.last_seq >= 3
    assert w1.state is WorkerState.LOST and "Ray actor lost" in (w1.reason or "")
    assert w1.snapshots >= 1 and w1.requests > 0  # kept
    assert w1.lost_at_s is not None
    noticed_after_s = coordinator.t0 + w1.lost_at_s - killed[0]
    assert noticed_after_s < 2.0
