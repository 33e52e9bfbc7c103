"""What the dashboard knows between requests: whether a run is going, the control that steers
it, the jobs it runs (for their redactors, thresholds and what may be changed), the past runs
of this process and their downloadable documents. Shared by the feed thread, the web server's
thread and the command's main thread, behind one lock."""

from __future__ import annotations

import dataclasses
import enum
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from surge.dashboard.downloads import Document, Format
from surge.redaction import NO_REDACTION, Redactor
from surge.runner import Job, RunControl

KEEP_RUNS = 5  # the documents of this many recent runs stay downloadable


class Mode(enum.Enum):
    """`surge run --ui` watches one run; `surge ui` starts runs from its form, again and again."""

    RUN = "run"
    UI = "ui"


class Phase(enum.Enum):
    IDLE = "idle"  # nothing ran yet (surge ui)
    RUNNING = "running"
    FINISHED = "finished"


@dataclass(frozen=True, slots=True)
class PastRun:
    """One finished run of this process, as the page lists it."""

    run: int
    name: str
    passed: bool
    exit_code: int
    requests: int
    rps: float
    p95_ms: float
    aborted: bool
    stored_id: int | None = None

    def payload(self) -> dict[str, Any]:
        return {
            "run": self.run,
            "name": self.name,
            "passed": self.passed,
            "exit_code": self.exit_code,
            "requests": self.requests,
            "rps": round(self.rps, 2),
            "p95": round(self.p95_ms, 3),
            "aborted": self.aborted,
            "stored_id": self.stored_id,
        }


class DashboardState:
    """See the module docstring. `control` is the RunControl of the run in progress."""

    def __init__(self, mode: Mode, redactor: Redactor = NO_REDACTION) -> None:
        self.mode = mode
        self.fallback_redactor = redactor
        self._lock = threading.Lock()
        self._phase = Phase.IDLE
        self._jobs: tuple[Job, ...] = ()
        self._control: RunControl | None = None
        self._runs: list[PastRun] = []
        self._documents: OrderedDict[int, dict[Format, Document]] = OrderedDict()
        self._counter = 0

    # -- the run in progress -----------------------------------------------------------------

    def begin(self, jobs: Sequence[Job], control: RunControl) -> None:
        """A run (its jobs, one after another) is about to start under `control`."""
        with self._lock:
            self._jobs, self._control = tuple(jobs), control
            self._phase = Phase.RUNNING

    def next_run(self) -> int:
        """The number of the job that starts now (1, 2, … over this process)."""
        with self._lock:
            self._counter += 1
            self._phase = Phase.RUNNING
            return self._counter

    def job(self, index: int) -> Job | None:
        with self._lock:
            return self._jobs[index] if 0 <= index < len(self._jobs) else None

    def redactor(self, index: int | None) -> Redactor:
        job = None if index is None else self.job(index)
        return job.redactor if job is not None else self.fallback_redactor

    @property
    def control(self) -> RunControl | None:
        with self._lock:
            return self._control if self._phase is Phase.RUNNING else None

    @property
    def phase(self) -> Phase:
        with self._lock:
            return self._phase

    def finished(self, past: PastRun, documents: dict[Format, Document]) -> None:
        """A job ended: it joins the past runs, its documents become downloadable."""
        with self._lock:
            self._runs.append(past)
            self._documents[past.run] = documents
            while len(self._documents) > KEEP_RUNS:
                self._documents.popitem(last=False)

    def stored(self, run_ids: Sequence[int]) -> None:
        """The whole run ended with these store ids, one per job of it (else nothing is said)."""
        with self._lock:
            recent = self._runs[-len(run_ids) :] if run_ids else []
            if len(recent) != len(run_ids):
                return
            first = len(self._runs) - len(run_ids)
            for offset, (past, run_id) in enumerate(zip(recent, run_ids, strict=True)):
                self._runs[first + offset] = dataclasses.replace(past, stored_id=run_id)

    def end(self) -> None:
        """The whole run (every job) is over."""
        with self._lock:
            self._phase = Phase.FINISHED
            self._control = None

    # -- reading -----------------------------------------------------------------------------

    def last_run(self) -> int | None:
        """The number of the latest finished job, None before any."""
        with self._lock:
            return self._runs[-1].run if self._runs else None

    def document(self, run: int, fmt: Format) -> Document | None:
        with self._lock:
            return self._documents.get(run, {}).get(fmt)

    def session_payload(self) -> dict[str, Any]:
        with self._lock:
            return {
                "mode": self.mode.value,
                "phase": self._phase.value,
                "runs": [r.payload() for r in self._runs],
            }
