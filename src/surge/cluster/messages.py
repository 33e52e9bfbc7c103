"""What workers tell the coordinator, and what the coordinator tells workers.

Every message is a small frozen value that pickles (through a local pipe or Ray's object
store). A worker sends READY once it has built its job, one SNAPSHOT per second of load (deltas
numbered by `Snapshot.seq`, in order) with a NOTE in between when it has something to say, then
DONE with how its load ended; FAILED when it raised.
The coordinator (or a backend on its behalf) adds LOST when a worker died without a DONE.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from surge.engine.run import RunOutcome
from surge.metrics.values import Snapshot


class MessageKind(enum.Enum):
    READY = "ready"  # job built, waiting for the start time
    SNAPSHOT = "snapshot"  # one interval of recording
    NOTE = "note"  # a script error, or secrets met at run time (see WorkerNote)
    DONE = "done"  # the load ended; the last snapshot was sent before this
    FAILED = "failed"  # the worker raised (while preparing or running)
    LOST = "lost"  # noticed by the backend: the worker died without saying DONE


@dataclass(frozen=True, slots=True)
class WorkerNote:
    """What a worker's load tells the coordinator beside its snapshots: the first error at a
    place in the user's script (`where`, and its traceback as `text`, masked by the worker's
    redactor), or secret values its users started to send (`secrets`: the coordinator masks
    them too, in the merged result and every message)."""

    where: str | None = None
    text: str = ""
    secrets: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class WorkerMessage:
    """One message from (or about) worker `worker`.

    READY carries `host` and `pid`; SNAPSHOT its `snapshot`; NOTE its `note`; DONE its `outcome`
    and, when its own load stopped it early (a load-shape error), `stop_reason`; FAILED and LOST
    a `reason`.
    """

    kind: MessageKind
    worker: int
    snapshot: Snapshot | None = None
    note: WorkerNote | None = None
    outcome: RunOutcome | None = None
    stop_reason: str | None = None
    reason: str | None = None
    host: str = ""
    pid: int = 0


def worker_message(worker: int, item: Snapshot | WorkerNote) -> WorkerMessage:
    """The SNAPSHOT or NOTE message of what a worker's load emitted."""
    if isinstance(item, WorkerNote):
        return WorkerMessage(MessageKind.NOTE, worker, note=item)
    return WorkerMessage(MessageKind.SNAPSHOT, worker, snapshot=item)


class Command(enum.Enum):
    """What the coordinator sends a (local) worker."""

    START = "start"  # with a wall-clock start time
    STOP = "stop"  # finish now: stop the load, send the last snapshot and DONE
    FORCE = "force"  # end at once: what is in flight counts as incomplete; last snapshot, DONE
