"""The coordinator's decisions, on a scripted in-memory backend (no processes, no sockets)."""

from __future__ import annotations

from collections import deque
from typing import Any

from surge.cluster import ClusterSettings, Coordinator, MessageKind, WorkerMessage
from surge.engine.run import RunOutcome
from surge.metrics import Snapshot, WorkerState


def _snap(worker: int, seq: int) -> WorkerMessage:
    snap = Snapshot(seq, worker, float(seq), seq + 1.0, 1, ())
    return WorkerMessage(MessageKind.SNAPSHOT, worker, snapshot=snap)


def _done(worker: int, duration_s: float = 2.0) -> WorkerMessage:
    return WorkerMessage(MessageKind.DONE, worker, outcome=RunOutcome(duration_s, False, None))


class ScriptedBackend:
    """Delivers one batch of messages per `receive`; after STOP, every running worker is DONE."""

    name = "scripted"
    lead_s = 0.0

    def __init__(self, workers: int, batches: list[list[WorkerMessage]]) -> None:
        ready = [WorkerMessage(MessageKind.READY, w, host="h", pid=100 + w) for w in range(workers)]
        self.batches = deque([ready, *batches])
        self.workers = workers
        self.stopped = False
        self.killed: list[int] = []
        self.closed = False
        self.finished: set[int] = set()

    def launch(self, prepare: Any, payload: Any, workers: int) -> None:
        assert workers == self.workers

    def start(self, start_at_s: float) -> None:
        pass

    def receive(self, timeout_s: float) -> list[WorkerMessage]:
        if self.batches:
            out = self.batches.popleft()
        elif self.stopped:
            out = [_done(w) for w in range(self.workers) if w not in self.finished]
        else:
            out = []
        for m in out:
            if m.kind in (MessageKind.DONE, MessageKind.LOST, MessageKind.FAILED):
                self.finished.add(m.worker)
        return out

    def stop(self) -> None:
        self.stopped = True

    def kill(self, worker: int) -> None:
        self.killed.append(worker)
        self.finished.add(worker)

    def close(self) -> None:
        self.closed = True


def _run(backend: ScriptedBackend, **settings: Any) -> tuple[Any, list[Snapshot]]:
    got: list[Snapshot] = []
    coordinator = Coordinator(backend, ClusterSettings(backend.workers, **settings), got.append)
    return coordinator.run(None, None), got


def test_a_lost_worker_keeps_its_data_and_the_run_carries_on_degraded() -> None:
    lost = WorkerMessage(MessageKind.LOST, 1, reason="killed by SIGKILL")
    backend = ScriptedBackend(
        2, [[_snap(0, 0), _snap(1, 0)], [_snap(0, 1), lost], [_snap(0, 2), _done(0, 3.0)]]
    )
    outcome, got = _run(backend)
    assert [(s.worker, s.seq) for s in got] == [(0, 0), (1, 0), (0, 1), (0, 2)]
    w0, w1 = outcome.workers
    assert w0.state is WorkerState.FINISHED and w0.snapshots == 3
    assert w1.state is WorkerState.LOST and w1.reason == "killed by SIGKILL"
    assert (w1.snapshots, w1.last_seq, w1.last_snapshot_end_s) == (1, 0, 1.0)
    assert w1.lost_at_s is not None
    assert outcome.stop_reason is None and not backend.stopped
    assert outcome.duration_s == 3.0 and backend.closed


def test_fail_on_loss_stops_the_other_workers() -> None:
    lost = WorkerMessage(MessageKind.LOST, 1, reason="killed by SIGKILL")
    backend = ScriptedBackend(2, [[_snap(0, 0), _snap(1, 0)], [lost]])
    outcome, got = _run(backend, fail_on_loss=True)
    assert backend.stopped
    assert outcome.stop_reason is not None and outcome.stop_reason.startswith("worker 1 lost")
    assert outcome.workers[0].state is WorkerState.FINISHED
    assert len(got) == 2


def test_a_silent_worker_is_killed_and_reported_lost() -> None:
    backend = ScriptedBackend(2, [[_snap(0, 0), _snap(1, 0)], [_done(0)]])
    outcome, _ = _run(backend, silent_limit_s=0.3)
    assert backend.killed == [1]
    assert outcome.workers[1].state is WorkerState.LOST
    assert outcome.workers[1].reason == "silent for 0.3 s"


def test_a_worker_that_fails_to_start_stops_the_run_before_any_load() -> None:
    backend = ScriptedBackend(2, [])
    failed = WorkerMessage(MessageKind.FAILED, 1, reason="ModuleNotFoundError: No module 'x'")
    backend.batches = deque([[WorkerMessage(MessageKind.READY, 0, host="h", pid=1), failed]])
    outcome, got = _run(backend)
    assert got == []
    assert outcome.stop_reason == "workers could not start: worker 1: ModuleNotFoundError: " + (
        "No module 'x'"
    )
    assert outcome.workers[1].state is WorkerState.FAILED and backend.closed
