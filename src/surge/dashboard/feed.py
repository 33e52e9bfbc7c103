"""The dashboard as an observer of the runner: the run's start, seconds, notices and end become
events in the log (events.py).

The runner calls observers between two seconds of load, on the thread running the job (in
process: the engine's own event loop), so `DashboardFeed` only queues what it is told; a thread
of its own builds the payloads, scrubs them with the run's redactor and appends them. When it
falls behind (a hundred endpoints on a busy machine) every second still becomes a tick, and the
tables are built once for the latest of the seconds waiting.
"""

from __future__ import annotations

import enum
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from surge.dashboard.downloads import render_documents
from surge.dashboard.events import EventKind, EventLog
from surge.dashboard.payloads import (
    add_class_counts,
    class_rows,
    class_weights,
    end_payload,
    start_payload,
    tables_payload,
    tick_payload,
)
from surge.dashboard.state import DashboardState, PastRun
from surge.metrics import LoadModel, RunResult, UserClassStats
from surge.runner import Job, Notice, Observer, Progress, RunStart
from surge.thresholds import ThresholdSpec


class _Item(enum.Enum):
    START = "start"
    PROGRESS = "progress"
    NOTICE = "notice"
    END = "end"
    CONTROL = "control"
    SESSION = "session"


@dataclass(slots=True)
class _Current:
    """The job being fed: its number, the job itself (None for a target without one) and its
    load model."""

    run: int
    index: int
    job: Job | None
    model: LoadModel
    thresholds: tuple[ThresholdSpec, ...]
    weights: tuple[tuple[str, int], ...] = ()
    classes: dict[str, UserClassStats] = field(default_factory=dict)
    elapsed_s: float = 0.0


class DashboardFeed(Observer):
    """An observer that turns a run into dashboard events; see the module docstring.

    `on_error` hears about a payload that could not be built (a bug: the run goes on).
    """

    def __init__(
        self,
        log: EventLog,
        state: DashboardState,
        on_error: Callable[[str], None] | None = None,
    ) -> None:
        self.log = log
        self.state = state
        self.on_error = on_error
        self.errors: list[str] = []
        self._items: deque[tuple[_Item, Any]] = deque()
        self._cond = threading.Condition()
        self._busy = False
        self._closed = False
        self._current: _Current | None = None
        self._thread = threading.Thread(target=self._work, name="surge-dashboard-feed", daemon=True)
        self._thread.start()

    # -- the observer side (the runner's thread: queue only) ---------------------------------

    def on_start(self, start: RunStart) -> None:
        self._put(_Item.START, start)

    def on_progress(self, progress: Progress) -> None:
        self._put(_Item.PROGRESS, progress)

    def on_notice(self, notice: Notice) -> None:
        self._put(_Item.NOTICE, notice)

    def on_end(self, result: RunResult) -> None:
        self._put(_Item.END, result)

    def control(self, what: str, value: float | None) -> None:
        """A change asked through the page, marked on the charts at the current second."""
        self._put(_Item.CONTROL, (what, value))

    def session(self) -> None:
        """The dashboard's state changed (idle, running, finished, the runs list)."""
        self._put(_Item.SESSION, None)

    def _put(self, kind: _Item, value: Any) -> None:
        with self._cond:
            self._items.append((kind, value))
            self._cond.notify()

    # -- the feed thread ---------------------------------------------------------------------

    def drain(self, timeout_s: float = 30.0) -> bool:
        """Wait until everything queued so far is in the log; False on timeout."""
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while self._items or self._busy:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
        return True

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._thread.join(timeout=5.0)

    def _work(self) -> None:
        while True:
            with self._cond:
                while not self._items and not self._closed:
                    self._cond.wait()
                if not self._items:
                    return
                kind, value = self._items.popleft()
                more_progress = bool(self._items) and self._items[0][0] is _Item.PROGRESS
                self._busy = True
            try:
                self._handle(kind, value, more_progress)
            except Exception as exc:  # a dashboard bug must not stop the run it watches
                message = f"the dashboard could not show a {kind.value} event: {exc!r}"
                self.errors.append(message)
                if self.on_error is not None:
                    self.on_error(message)
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

    def _handle(self, kind: _Item, value: Any, more_progress: bool) -> None:
        if kind is _Item.START:
            self._start(value)
        elif kind is _Item.PROGRESS:
            self._progress(value, tables=not more_progress)
        elif kind is _Item.NOTICE:
            self._notice(value)
        elif kind is _Item.END:
            self._end(value)
        elif kind is _Item.CONTROL:
            what, amount = value
            at = self._current.elapsed_s if self._current is not None else 0.0
            self._emit(EventKind.CONTROL, {"t": round(at, 3), "what": what, "value": amount})
        else:
            self.log.append(EventKind.SESSION, self.state.session_payload())

    def _emit(self, kind: EventKind, payload: dict[str, Any]) -> None:
        index = self._current.index if self._current is not None else None
        self.log.append(kind, self.state.redactor(index).scrub(payload))

    def _start(self, start: RunStart) -> None:
        run = self.state.next_run()
        job = self.state.job(start.index)
        thresholds = job.thresholds if job is not None else ()
        weights = class_weights(job)
        self._current = _Current(run, start.index, job, start.model, thresholds, weights)
        self._emit(EventKind.START, start_payload(start, job, run))
        self.log.append(EventKind.SESSION, self.state.session_payload())

    def _progress(self, progress: Progress, *, tables: bool) -> None:
        current = self._current
        if current is None:
            return
        current.elapsed_s = progress.elapsed_s
        add_class_counts(current.classes, progress.snapshots)
        self._emit(EventKind.TICK, tick_payload(progress, current.model))
        if tables:
            classes = class_rows(current.weights, current.classes, progress.elapsed_s)
            self._emit(EventKind.TABLES, tables_payload(progress, current.thresholds, classes))

    def _notice(self, notice: Notice) -> None:
        payload = {"level": notice.level.value, "text": notice.text, "where": notice.where}
        self._emit(EventKind.NOTICE, payload)

    def _end(self, result: RunResult) -> None:
        current = self._current
        run = current.run if current is not None else self.state.next_run()
        documents = render_documents(result, run)
        downloads = [
            {"label": d.format.label, "filename": d.filename, "path": f"/download/{run}/{f.name}"}
            for f, d in documents.items()
        ]
        past = PastRun(
            run=run,
            name=result.meta.name,
            passed=result.passed,
            exit_code=int(result.exit_code),
            requests=result.requests,
            rps=result.rps,
            p95_ms=result.p95_ms,
            aborted=result.meta.aborted,
        )
        self.state.finished(past, documents)
        weights = current.weights if current is not None else ()
        self._emit(EventKind.END, end_payload(result, run, downloads, weights))
        self.log.append(EventKind.SESSION, self.state.session_payload())
