"""Observers: how live consumers (the terminal, the dashboard, a notebook, a test) follow a run.

The runner never prints. It tells every observer when a job starts (`on_start`), once a second
how it is going (`on_progress`: the merged second and the running totals), anything worth saying
on the way (`on_notice`: a stored run, a file written, a warning, an error in the script), and
when the job ends (`on_end`, with its final RunResult). All calls come from the thread running
the job; an observer returns quickly (it is called between two seconds of load). Everything an
observer is given has gone through the run's redactor: no secret reaches a live view or a log.

    class Printer(surge.Observer):
        def on_progress(self, progress: surge.Progress) -> None:
            print(f"{progress.elapsed_s:.0f}s {progress.status.requests} requests")

    surge.run(url, duration="10s", observers=[Printer()])
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar, Protocol

from surge.metrics import EndpointStats, LiveStatus, LoadModel, RunResult, Snapshot
from surge.redaction import NO_REDACTION, Redactor
from surge.schedule import Plan


class Level(enum.Enum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class Notice:
    """One message for the user: `text` is plain (no markup). `where` is set for an error in
    the user's script: the place (file:line, task), `text` its traceback; only the first error
    at each place is told, later ones are counted in the results."""

    level: Level
    text: str
    where: str | None = None


@dataclass(frozen=True, slots=True)
class RunStart:
    """A job is about to send its first request.

    `index`/`jobs`: which scenario of the target (a TOML file may hold several); `round`/
    `repeat`: which of the `--repeat` runs. `target` is redacted; `plan` is what will run.
    """

    name: str
    mode: str
    target: str
    plan: Plan
    index: int = 0
    jobs: int = 1
    round: int = 1
    repeat: int = 1

    @property
    def model(self) -> LoadModel:
        return self.plan.model

    @property
    def description(self) -> str:
        """The plan in words, e.g. `10 users for 30s`."""
        return self.plan.describe()


@dataclass(frozen=True, slots=True)
class Progress:
    """One second of a running job, merged over its workers, with the running totals.

    `status` has the totals so far plus the latest second's rate, active users and target
    (users in the closed model, arrivals per second in the open one); `total` and `endpoints`
    are the running per-endpoint counts and histograms (built only when an observer wants
    them, see `Observer.wants_totals`; else `()` and an empty total); `snapshots` are the
    second's own Snapshots (one per worker that delivered it).
    """

    elapsed_s: float
    status: LiveStatus
    total: EndpointStats
    endpoints: tuple[EndpointStats, ...]
    snapshots: tuple[Snapshot, ...] = ()


class RunObserver(Protocol):
    """What the runner calls; subclass `Observer` to implement only some of it."""

    def on_start(self, start: RunStart) -> None: ...

    def on_progress(self, progress: Progress) -> None: ...

    def on_notice(self, notice: Notice) -> None: ...

    def on_end(self, result: RunResult) -> None: ...


class Observer:
    """An observer that ignores everything: override the calls you need.

    `wants_totals`: whether `on_progress` reads `Progress.total` and `Progress.endpoints`.
    Building them each second costs the run's event loop time and memory in proportion to its
    endpoints and their latency range; when no observer of a run wants them (and no abort
    threshold needs them) they are not built, and `Progress` carries `endpoints=()` and an
    empty `total` (`status` is always there). An observer that only reads `status` sets it to
    False (the terminal's live view does); an observer that does not override `on_progress`
    counts as False."""

    wants_totals: ClassVar[bool] = True

    def on_start(self, start: RunStart) -> None:
        del start

    def on_progress(self, progress: Progress) -> None:
        del progress

    def on_notice(self, notice: Notice) -> None:
        del notice

    def on_end(self, result: RunResult) -> None:
        del result


class Observers:
    """Every observer of a run, called in order, told only what `redactor` has masked (the
    run's secrets, those learned while it goes included)."""

    def __init__(
        self, observers: Iterable[RunObserver] = (), redactor: Redactor = NO_REDACTION
    ) -> None:
        self.items = tuple(observers)
        self.redactor = redactor

    def start(self, start: RunStart) -> None:
        for observer in self.items:
            observer.on_start(start)

    @property
    def want_totals(self) -> bool:
        """Whether any observer reads the running totals of `Progress` (see
        `Observer.wants_totals`; an observer not derived from `Observer` is assumed to)."""
        return any(_wants_totals(observer) for observer in self.items)

    def progress(self, progress: Progress) -> None:
        if not self.items:
            return
        progress = self.redactor.scrub(progress)
        for observer in self.items:
            observer.on_progress(progress)

    def notice(self, level: Level, text: str) -> None:
        notice = Notice(level, self.redactor.text(text))
        for observer in self.items:
            observer.on_notice(notice)

    def info(self, text: str) -> None:
        self.notice(Level.INFO, text)

    def warning(self, text: str) -> None:
        self.notice(Level.WARNING, text)

    def error(self, text: str) -> None:
        self.notice(Level.ERROR, text)

    def script_error(self, where: str, text: str) -> None:
        """The first error at a place in the user's script (the engine's ScriptErrorSink)."""
        notice = Notice(Level.ERROR, self.redactor.text(text), self.redactor.text(where))
        for observer in self.items:
            observer.on_notice(notice)

    def end(self, result: RunResult) -> None:
        for observer in self.items:
            observer.on_end(result)


def _wants_totals(observer: RunObserver) -> bool:
    if getattr(type(observer), "on_progress", None) is Observer.on_progress:
        return False  # it ignores progress altogether
    return bool(getattr(observer, "wants_totals", True))
