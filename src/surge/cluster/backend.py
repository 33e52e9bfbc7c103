"""The seams of the cluster stage: what a worker runs, and how a backend runs workers.

The coordinator (coordinator.py) is one piece of code for every backend; a `Backend` only starts
workers somewhere (local processes, Ray actors), carries messages both ways and notices deaths.
A worker's job is built *in the worker* by a `PrepareWorker` callable handed over by reference
(a top-level function of an importable module), because scripted scenarios are classes loaded
from a file at run time and do not pickle; `payload` is plain data (target, options) that does.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Protocol

from surge.cluster.messages import WorkerMessage, WorkerNote
from surge.engine.run import RunOutcome
from surge.metrics.values import Snapshot

SnapshotSink = Callable[[Snapshot | WorkerNote], None]
"""Where a worker's load hands its snapshots (and its notes, see `WorkerNote`)."""


class WorkerLoad(Protocol):
    """One worker's slice of the run, built in the worker process and ready to start."""

    async def run(self, emit: SnapshotSink, stop: asyncio.Event) -> tuple[RunOutcome, str | None]:
        """Run the slice, `emit` one Snapshot per second (and the last one) and a WorkerNote
        when there is something to tell, stop early when `stop` is set. Returns how the load
        ended and why it stopped itself, if it did."""
        ...


PrepareWorker = Callable[[Any, int, int], WorkerLoad]
"""`prepare(payload, worker, workers)`: build worker `worker` of `workers`'s load."""


class Backend(Protocol):
    """Starts workers somewhere and carries their messages; knows nothing of what they run.

    `lead_s` is how far ahead of "now" the coordinator sets the common start time, so that
    the START reaches every worker before it is due.
    """

    name: str
    lead_s: float

    def launch(self, prepare: PrepareWorker, payload: Any, workers: int) -> None:
        """Start `workers` workers; each builds its load and answers READY (or FAILED)."""
        ...

    def start(self, start_at_s: float) -> None:
        """Tell every worker to start its load at wall-clock time `start_at_s` (epoch s)."""
        ...

    def receive(self, timeout_s: float) -> list[WorkerMessage]:
        """Messages that arrived within `timeout_s` (may be none), in order per worker, plus a
        LOST message for a worker that died without DONE or FAILED."""
        ...

    def stop(self) -> None:
        """Ask every worker to finish now (its last snapshot and DONE follow)."""
        ...

    def force(self) -> None:
        """Ask every worker to end at once, without the graceful stop: what it has in flight is
        counted as incomplete, and its last snapshot and DONE follow."""
        ...

    def kill(self, worker: int) -> None:
        """End one worker at once (it stopped answering); no message follows."""
        ...

    def close(self) -> None:
        """End whatever is left and release everything (idempotent)."""
        ...
