"""The coordinator's decisions, on a scripted in-memory backend (no processes, no sockets)."""

from __future__ import annotations

import math
import signal
from collections import deque
from dataclasses import replace
from typing import Any

from surge.cluster import ClusterSettings, Coordinator, MessageKind, WorkerMessage
from surge.cluster.coordinator import lost_arrivals
from surge.engine.run import RunOutcome
from surge.metrics import Arrivals, Snapshot, WorkerState


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
        self.forced = False
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

    def force(self) -> None:
        self.forced = True
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


def _arrivals(worker: int, seq: int, **counts: Any) -> WorkerMessage:
    message = _snap(worker, seq)
    assert message.snapshot is not None
    return replace(message, snapshot=replace(message.snapshot, arrivals=Arrivals(**counts)))


def test_a_lost_worker_owes_what_its_slice_scheduled_and_the_identity_holds() -> None:
    """Worker 1 reported 10 scheduled, 7 completed (3 in flight) and died; the run went on to
    the end of its schedule, where worker 1's slice scheduled 30: 20 it never reported and the
    3 in flight are lost with it."""
    lost = WorkerMessage(MessageKind.LOST, 1, reason="killed by SIGKILL")
    done = WorkerMessage(MessageKind.DONE, 0, outcome=RunOutcome(3.4, False, None, load_s=3.0))
    backend = ScriptedBackend(
        2,
        [
            [
                _arrivals(0, 0, scheduled=10, completed=10),
                _arrivals(1, 0, scheduled=10, completed=7),
            ],
            [lost],
            [_arrivals(0, 1, scheduled=20, completed=19, in_flight_at_end=1), done],
        ],
    )
    asked: list[tuple[int, float]] = []

    def planned(worker: int, until_s: float) -> int:
        asked.append((worker, until_s))
        return 30

    got: list[Snapshot] = []
    coordinator = Coordinator(backend, ClusterSettings(2), got.append, planned_arrivals=planned)
    outcome = coordinator.run(None, None)
    assert asked == [(1, math.inf)]  # nobody stopped the run: the whole slice
    owed = got[-1]
    assert (owed.worker, owed.seq, owed.endpoints) == (1, 0, ())
    assert owed.arrivals == Arrivals(scheduled=20, lost_with_worker=23)
    total = Arrivals()
    for snap in got:
        total = total + snap.arrivals
    assert total.scheduled == 60 and total.lost_with_worker == 23
    assert total.outstanding == 0  # scheduled = completed + failed + dropped + in flight + lost
    assert outcome.load_s == 3.0


def test_lost_arrivals_never_schedule_less_than_was_reported() -> None:
    delivered = Arrivals(scheduled=12, completed=5, failed=1, dropped={"max_in_flight": 2})
    owed = lost_arrivals(delivered, planned=10)
    assert owed == Arrivals(scheduled=0, lost_with_worker=4)
    assert (delivered + owed).outstanding == 0


def test_a_second_signal_forces_the_workers_before_anyone_is_killed() -> None:
    """The second Ctrl-C asks the workers to end at once (they report what was in flight);
    only a worker that does not answer within the bound is killed."""

    class Interrupted(ScriptedBackend):
        def receive(self, timeout_s: float) -> list[WorkerMessage]:
            if len(self.batches) == 1:
                coordinator.signals.handle(signal.SIGINT, None)
                coordinator.signals.handle(signal.SIGINT, None)
            return super().receive(timeout_s)

    backend = Interrupted(2, [[_snap(0, 0), _snap(1, 0)], []])
    coordinator = Coordinator(backend, ClusterSettings(2), lambda snap: None)
    outcome = coordinator.run(None, None)
    assert backend.forced and backend.killed == []
    assert [w.state for w in outcome.workers] == [WorkerState.FINISHED] * 2
    assert outcome.signal_name == "SIGINT"


def test_a_run_stopped_early_owes_only_what_fell_due_before_the_stop() -> None:
    """--fail-on-worker-loss stops worker 0, whose load phase then ends at 1.25 s: the lost
    worker's slice is owed up to there, not to the end of the schedule."""

    class StopsWithLoadPhase(ScriptedBackend):
        def receive(self, timeout_s: float) -> list[WorkerMessage]:
            if self.stopped and 0 not in self.finished:
                self.finished.add(0)
                outcome = RunOutcome(1.6, True, None, load_s=1.25)
                return [WorkerMessage(MessageKind.DONE, 0, outcome=outcome)]
            return super().receive(timeout_s)

    lost = WorkerMessage(MessageKind.LOST, 1, reason="killed by SIGKILL")
    backend = StopsWithLoadPhase(2, [[_snap(0, 0), _snap(1, 0)], [lost]])
    asked: list[float] = []

    def planned(worker: int, until_s: float) -> int:
        asked.append(until_s)
        return 0

    settings = ClusterSettings(2, fail_on_loss=True)
    Coordinator(backend, settings, lambda snap: None, planned_arrivals=planned).run(None, None)
    assert asked == [1.25]
