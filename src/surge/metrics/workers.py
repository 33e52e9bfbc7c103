"""Per-worker values of a run on several workers (local processes or remote Ray actors).

The merged numbers of such a run are in the RunResult like those of a single process; what is
kept per worker is what merging must not hide: each worker's generator health (a pinned worker
among idle ones saturates the run) and what became of it. A worker that died mid-run is `LOST`:
its data up to its last delivered snapshot stays in the result, and the run is *degraded* (it
offered less load than planned from the moment of the loss).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class WorkerState(enum.Enum):
    """How a worker's part of the run ended."""

    FINISHED = "finished"  # ran its slice to the end (or stopped when asked) and reported back
    LOST = "lost"  # died or went silent mid-run; its data up to its last snapshot is kept
    FAILED = "failed"  # raised an error (while preparing or running); the message is kept


@dataclass(frozen=True, slots=True)
class WorkerReport:
    """One worker: where it ran, what it delivered, its own health and how it ended.

    `snapshots` counts the per-second snapshots received; `last_seq` is the last one's sequence
    number (-1: none) and `last_snapshot_end_s` its end in seconds since the run started.
    `lost_at_s` is when the coordinator noticed the loss (seconds since the run started), None
    unless the worker was lost or failed; `reason` says why (exit signal, error, silence).
    CPU is the worker process's own (100 = one core); loop lag is its event loop's probe p99.
    `saturated` and `health_reasons` are this worker's own generator-health verdict.
    """

    worker: int
    host: str
    pid: int
    state: WorkerState
    requests: int
    snapshots: int
    last_seq: int
    last_snapshot_end_s: float | None
    cpu_pct_max: float
    cpu_pct_mean: float
    loop_lag_p99_ms: float
    dropped: int
    saturated: bool = False
    health_reasons: tuple[str, ...] = ()
    lost_at_s: float | None = None
    reason: str | None = None

    @property
    def lost(self) -> bool:
        return self.state is not WorkerState.FINISHED
