"""The coordinator: one piece of code for every backend.

It launches the workers, waits until every one reports READY, sends them a common start time,
and passes their per-second Snapshots on in order of `seq`, a second at a time once every
running worker has delivered it (so a live view never shows a half-merged second). It watches
for lost workers (a dead process, a dead actor, or silence), keeps the data they sent, and either
carries on degraded or, with `fail_on_loss`, stops the others. SIGINT/SIGTERM in the
coordinator stop every worker gracefully (their last snapshots still arrive); a second signal
ends them at once.
"""

from __future__ import annotations

import math
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from types import FrameType
from typing import Any

from surge.cluster.backend import Backend, PrepareWorker
from surge.cluster.messages import MessageKind, WorkerMessage, WorkerNote
from surge.cluster.tracking import Seconds, WorkerTrack
from surge.engine.run import ClassStarts, merge_class_starts
from surge.metrics.values import Arrivals, Snapshot
from surge.metrics.workers import WorkerReport, WorkerState
from surge.monitor import HealthRules

SILENT_LIMIT_S = 5.0
"""A running worker that sends nothing for this long is declared lost (and killed)."""
_POLL_S = 0.25  # the wait wakes at once on a message or a dead worker
_STOP_SLACK_S = 5.0
_FORCE_WAIT_S = 1.5  # after a second signal, how long workers get to report what was in flight


class ClusterError(Exception):
    """The workers could not be started (a worker failed or died before the start)."""


@dataclass(frozen=True, slots=True)
class ClusterOutcome:
    """How a run on several workers ended.

    `signal_name` is the signal that stopped it (SIGINT/SIGTERM), None otherwise; `stop_reason`
    says why the coordinator stopped it early otherwise (a lost worker under `fail_on_loss`, or
    a worker's own load stopping, e.g. on a load-shape error).
    """

    duration_s: float
    signal_name: str | None
    stop_reason: str | None
    workers: tuple[WorkerReport, ...]
    ready_s: float | None = None  # from launching the workers to the last READY
    error: str | None = None  # a fault in the user's code that stopped a worker (exit 2)
    classes: tuple[ClassStarts, ...] = ()  # every worker's user-class starts, added up
    load_s: float | None = None  # the load phase: the latest of the workers' (RunOutcome.load_s)


PlannedArrivals = Callable[[int, float], int | None]
"""`planned(worker, until_s)`: how many arrivals worker `worker`'s slice of the plan schedules
by `until_s` seconds into the run (open model); None when the plan has no such count."""


def lost_arrivals(delivered: Arrivals, planned: int) -> Arrivals:
    """The accounting a lost worker owes: its slice's `planned` arrivals were scheduled (never
    fewer than it reported); whatever it did not report as completed, failed, dropped or in
    flight at the end was lost with it. Added to what it delivered, the identity holds."""
    scheduled = max(planned, delivered.scheduled)
    settled = (
        delivered.completed
        + delivered.failed
        + delivered.dropped_total
        + delivered.in_flight_at_end
        + delivered.lost_with_worker
    )
    return Arrivals(scheduled=scheduled - delivered.scheduled, lost_with_worker=scheduled - settled)


@dataclass(frozen=True, slots=True)
class ClusterSettings:
    """`graceful_s`: how long workers get to finish after a stop before they are killed."""

    workers: int
    fail_on_loss: bool = False
    graceful_s: float = 5.0
    ready_timeout_s: float = 60.0
    silent_limit_s: float = SILENT_LIMIT_S
    health_rules: HealthRules | None = None  # judges each worker's health (default rules)


class _Signals:
    """SIGINT/SIGTERM while the coordinator runs: counted, never raised."""

    def __init__(self) -> None:
        self.first: str | None = None
        self.count = 0

    def handle(self, signum: int, frame: FrameType | None) -> None:
        del frame
        self.count += 1
        if self.first is None:
            self.first = signal.Signals(signum).name

    @contextmanager
    def installed(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        before = {sig: signal.signal(sig, self.handle) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, handler in before.items():
                signal.signal(sig, handler)


class Coordinator:
    """Runs one job's load on a backend's workers and hands merged-ready snapshots on:
    `on_snapshot` each one, `on_second` (optional) the end time of each released second,
    `on_note` (optional) each worker's notes as they arrive (`on_note(worker, note)`)."""

    def __init__(
        self,
        backend: Backend,
        settings: ClusterSettings,
        on_snapshot: Callable[[Snapshot], None],
        should_stop: Callable[[], bool] = lambda: False,
        on_second: Callable[[float], None] | None = None,
        planned_arrivals: PlannedArrivals | None = None,
        on_note: Callable[[int, WorkerNote], None] | None = None,
    ) -> None:
        self.backend = backend
        self.settings = settings
        self.on_snapshot = on_snapshot
        self.should_stop = should_stop
        self.on_second = on_second
        self.planned_arrivals = planned_arrivals
        self.forcing_since: float | None = None
        self.on_note = on_note
        self.tracks = [WorkerTrack(w, settings.health_rules) for w in range(settings.workers)]
        self.seconds = Seconds(settings.workers)
        self.signals = _Signals()
        self.t0 = 0.0  # monotonic time of the common start
        self.stopping_since: float | None = None
        self.stop_reason: str | None = None
        self.ready_s: float | None = None
        self.launched_at = 0.0

    def run(self, prepare: PrepareWorker, payload: Any) -> ClusterOutcome:
        with self.signals.installed():
            try:
                self.launched_at = time.monotonic()
                self.backend.launch(prepare, payload, self.settings.workers)
                if self._await_ready():
                    self._run()
            except ClusterError as exc:
                self.stop_reason = f"workers could not start: {exc}"
            finally:
                self.backend.close()
        self._emit(self.seconds.flush())
        self._account_lost()
        return self._outcome()

    def _now_s(self) -> float:
        return round(max(0.0, time.monotonic() - self.t0), 3) if self.t0 else 0.0

    def _await_ready(self) -> bool:
        """Wait for every READY; False if a signal came first. A failure raises ClusterError."""
        deadline = time.monotonic() + self.settings.ready_timeout_s
        waiting = set(range(self.settings.workers))
        while waiting:
            if self.signals.first is not None:
                return False
            if time.monotonic() > deadline:
                for worker in waiting:
                    self.tracks[worker].lose(WorkerState.LOST, 0.0, "did not get ready")
                raise ClusterError(
                    f"workers {sorted(waiting)} did not get ready within "
                    f"{self.settings.ready_timeout_s:g} s"
                )
            for message in self.backend.receive(_POLL_S):
                track = self.tracks[message.worker]
                if message.kind is MessageKind.READY:
                    track.ready(message.host, message.pid)
                    waiting.discard(message.worker)
                elif message.kind in (MessageKind.FAILED, MessageKind.LOST):
                    state = WorkerState.FAILED
                    track.lose(state, 0.0, message.reason or "no reason given")
                    raise ClusterError(f"worker {message.worker}: {message.reason}")
        self.ready_s = round(time.monotonic() - self.launched_at, 3)
        return True

    def _run(self) -> None:
        lead_s = self.backend.lead_s
        self.t0 = time.monotonic() + lead_s
        self.backend.start(time.time() + lead_s)
        for track in self.tracks:
            track.heard_at = self.t0
        while any(t.running for t in self.tracks):
            for message in self.backend.receive(_POLL_S):
                self._handle(message)
            self._watch()

    def _handle(self, message: WorkerMessage) -> None:
        track = self.tracks[message.worker]
        track.heard_at = time.monotonic()
        if message.kind is MessageKind.SNAPSHOT and message.snapshot is not None:
            track.add(message.snapshot)
            self._emit(self.seconds.add(message.snapshot))
        elif message.kind is MessageKind.NOTE and message.note is not None:
            if self.on_note is not None:
                self.on_note(message.worker, message.note)
        elif message.kind is MessageKind.DONE:
            track.done(message.outcome, message.stop_reason)
            if message.stop_reason and self.stop_reason is None:
                self._stop(f"worker {message.worker}: {message.stop_reason}")
            self._emit(self.seconds.close(message.worker))
        elif message.kind in (MessageKind.FAILED, MessageKind.LOST):
            self._lose(message.worker, message.kind, message.reason or "no reason given")

    def _lose(self, worker: int, kind: MessageKind, reason: str) -> None:
        track = self.tracks[worker]
        if not track.running:
            return
        state = WorkerState.FAILED if kind is MessageKind.FAILED else WorkerState.LOST
        track.lose(state, self._now_s(), reason)
        self._emit(self.seconds.close(worker))
        if self.settings.fail_on_loss and self.stop_reason is None:
            self._stop(f"worker {worker} {state.value} at {track.lost_at_s:.1f} s ({reason})")

    def _emit(self, snapshots: list[Snapshot]) -> None:
        """Hand on released snapshots; then, once per batch, the end of the latest second."""
        for snap in snapshots:
            self.on_snapshot(snap)
        if snapshots and self.on_second is not None:
            self.on_second(max(snap.end_s for snap in snapshots))

    def _stop(self, reason: str | None) -> None:
        if reason is not None and self.stop_reason is None:
            self.stop_reason = reason
        if self.stopping_since is None:
            self.stopping_since = time.monotonic()
            self.backend.stop()

    def _watch(self) -> None:
        """Signals, an abort from outside, silent workers, workers that will not stop."""
        now = time.monotonic()
        if self.signals.count >= 3 or (
            self.forcing_since is not None and now - self.forcing_since > _FORCE_WAIT_S
        ):
            self._kill_running("killed after a second signal")
            return
        if self.signals.count >= 2 and self.forcing_since is None:
            self._stop(None)
            self.forcing_since = now
            self.backend.force()
        if self.signals.first is not None or self.should_stop():
            self._stop(None)
        for track in self.tracks:
            if track.running and now - track.heard_at > self.settings.silent_limit_s:
                self.backend.kill(track.worker)
                silent = f"silent for {self.settings.silent_limit_s:g} s"
                self._lose(track.worker, MessageKind.LOST, silent)
        limit_s = self.settings.graceful_s + _STOP_SLACK_S
        if self.stopping_since is not None and now - self.stopping_since > limit_s:
            self._kill_running(f"did not stop within {limit_s:g} s")

    def _kill_running(self, reason: str) -> None:
        for track in self.tracks:
            if track.running:
                self.backend.kill(track.worker)
                self._lose(track.worker, MessageKind.LOST, reason)

    def _load_end_s(self) -> float:
        """When the run's load phase ended: the whole schedule when nobody stopped the run;
        else the latest load phase a finished worker reports, or when the coordinator stopped
        it."""
        if self.stopping_since is None:
            return math.inf
        loads = [t.load_s for t in self.tracks if t.load_s is not None]
        if loads:
            return max(loads)
        return max(0.0, self.stopping_since - self.t0) if self.t0 else 0.0

    def _account_lost(self) -> None:
        """What each lost worker never reported, as a last snapshot on its behalf: its slice of
        the plan went on being scheduled until the load phase ended; what it had in flight at
        its last report, and never sent, is `lost_with_worker` (see `lost_arrivals`)."""
        if self.planned_arrivals is None:
            return
        until_s = self._load_end_s()
        for track in self.tracks:
            if not track.started or track.state not in (WorkerState.LOST, WorkerState.FAILED):
                continue
            planned = self.planned_arrivals(track.worker, until_s)
            if planned is None:
                continue
            correction = lost_arrivals(track.arrivals, planned)
            track.arrivals = track.arrivals + correction
            end_s = track.last_end_s or 0.0
            snap = Snapshot(max(track.last_seq, 0), track.worker, end_s, end_s, 0, ())
            self.on_snapshot(replace(snap, arrivals=correction))

    def _outcome(self) -> ClusterOutcome:
        durations = [t.duration_s for t in self.tracks if t.duration_s is not None]
        duration_s = max(durations) if durations else self._now_s()
        outcomes = [t.outcome for t in self.tracks if t.outcome is not None]
        loads = [t.load_s for t in self.tracks if t.load_s is not None]
        return ClusterOutcome(
            duration_s=duration_s,
            load_s=max(loads) if loads else None,
            signal_name=self.signals.first,
            stop_reason=self.stop_reason,
            workers=tuple(t.report() for t in self.tracks),
            ready_s=self.ready_s,
            error=next((o.error for o in outcomes if o.error is not None), None),
            classes=merge_class_starts(o.classes for o in outcomes),
        )
