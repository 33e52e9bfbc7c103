"""What the coordinator keeps per worker, and the per-second release of snapshots in order."""

from __future__ import annotations

from surge.engine.run import RunOutcome
from surge.metrics.histogram import Histogram, merge_all
from surge.metrics.merge import HealthTally
from surge.metrics.values import Arrivals, Snapshot
from surge.metrics.workers import WorkerReport, WorkerState
from surge.monitor import HealthRules, judge_generator


class Seconds:
    """Releases snapshots a second (`seq`) at a time, once every open worker delivered it.

    A worker's snapshots arrive in order; a worker that finished or was lost is closed and
    no longer holds a second back. `flush` releases whatever is left, in order.
    """

    def __init__(self, workers: int) -> None:
        self._pending: dict[int, list[Snapshot]] = {}
        self._latest = dict.fromkeys(range(workers), -1)
        self._open = set(range(workers))
        self._next = 0

    def add(self, snap: Snapshot) -> list[Snapshot]:
        self._pending.setdefault(snap.seq, []).append(snap)
        self._latest[snap.worker] = max(self._latest.get(snap.worker, -1), snap.seq)
        return self._release()

    def close(self, worker: int) -> list[Snapshot]:
        self._open.discard(worker)
        return self._release()

    def flush(self) -> list[Snapshot]:
        out = [snap for seq in sorted(self._pending) for snap in self._pending[seq]]
        self._pending.clear()
        return out

    def _release(self) -> list[Snapshot]:
        out: list[Snapshot] = []
        while self._pending:
            if any(self._latest[w] < self._next for w in self._open):
                break
            out += self._pending.pop(self._next, [])
            self._next += 1
        return out


class WorkerTrack:
    """One worker as the coordinator sees it: where it runs, what it sent, how it ended."""

    def __init__(self, worker: int, rules: HealthRules | None = None) -> None:
        self.worker = worker
        self.rules = rules  # how its health is judged (None: the default rules)
        self.host = ""
        self.pid = 0
        self.started = False
        self.state: WorkerState | None = None
        self.heard_at = 0.0
        self.snapshots = 0
        self.requests = 0
        self.last_seq = -1
        self.last_end_s: float | None = None
        self.health = HealthTally(worker)
        self.arrivals = Arrivals()
        self.lag = Histogram.empty()  # schedule lag of all its requests, merged as they come
        self.duration_s: float | None = None
        self.outcome: RunOutcome | None = None  # the worker's own, once it is done
        self.load_s: float | None = None  # its load phase, from its DONE
        self.lost_at_s: float | None = None
        self.reason: str | None = None

    @property
    def running(self) -> bool:
        return self.started and self.state is None

    def ready(self, host: str, pid: int) -> None:
        self.host, self.pid, self.started = host, pid, True

    def add(self, snap: Snapshot) -> None:
        self.snapshots += 1
        self.last_seq = snap.seq
        self.last_end_s = round(snap.end_s, 3)
        self.requests += sum(e.requests for e in snap.endpoints)
        self.arrivals = self.arrivals + snap.arrivals
        lags = [e.schedule_lag for e in snap.endpoints if e.schedule_lag.total]
        if lags:
            self.lag = merge_all((self.lag, *lags))
        if snap.health is not None:
            self.health.add(snap.end_s, snap.health)

    def done(self, outcome: RunOutcome | None, stop_reason: str | None) -> None:
        self.state = WorkerState.FINISHED
        if outcome is not None:
            self.duration_s = outcome.duration_s
            self.outcome = outcome
            self.load_s = outcome.load_s
        self.reason = stop_reason

    def lose(self, state: WorkerState, at_s: float, reason: str) -> None:
        self.state, self.lost_at_s, self.reason = state, at_s, reason

    def report(self) -> WorkerReport:
        health = self.health.value()
        verdict = judge_generator((health,), self.arrivals, self.lag, self.rules)
        cpus = [cpu for _, cpu in health.cpu]
        lag = health.loop_lag
        return WorkerReport(
            worker=self.worker,
            host=self.host,
            pid=self.pid,
            state=self.state or WorkerState.FINISHED,
            requests=self.requests,
            snapshots=self.snapshots,
            last_seq=self.last_seq,
            last_snapshot_end_s=self.last_end_s,
            cpu_pct_max=round(max(cpus, default=0.0), 1),
            cpu_pct_mean=round(sum(cpus) / len(cpus), 1) if cpus else 0.0,
            loop_lag_p99_ms=lag.value_at_percentile_us(99.0) / 1000.0,
            dropped=verdict.dropped,
            saturated=verdict.saturated,
            health_reasons=verdict.reasons,
            lost_at_s=self.lost_at_s,
            reason=self.reason,
        )
