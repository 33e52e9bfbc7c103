"""Local worker processes from the fork server (the path taken when workers cannot be forked
ahead of the run), against the real loopback test server."""

from __future__ import annotations

from servers import HttpTestServer
from surge.cluster import ClusterSettings, Coordinator, LocalBackend
from surge.config import RunConfig
from surge.metrics import Aggregator, Snapshot, WorkerState
from surge.runner.recipe import JobRecipe
from surge.runner.worker import prepare_worker


def test_forkserver_workers_split_the_plan_and_merge_exactly(test_server: HttpTestServer) -> None:
    config = RunConfig.layered({"users": 3, "requests_per_user": 10})
    recipe = JobRecipe(f"{test_server.url}/ok", config)
    aggregator = Aggregator()
    seconds: list[float] = []

    def add(snap: Snapshot) -> None:
        aggregator.add(snap)

    backend = LocalBackend("forkserver")
    coordinator = Coordinator(backend, ClusterSettings(workers=2), add, on_second=seconds.append)
    outcome = coordinator.run(prepare_worker, recipe)
    assert aggregator.total().requests == 30 == test_server.requests_total
    assert [w.requests for w in outcome.workers] == [20, 10]  # users 0, 2 and user 1
    assert all(w.state is WorkerState.FINISHED for w in outcome.workers)
    assert outcome.ready_s is not None and outcome.signal_name is None
    assert seconds  # the merged seconds were announced
