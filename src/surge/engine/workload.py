"""The seam of the engine: drivers decide when iterations start, workloads what one does.

A *driver* (`closed.ClosedDriver`: users, ramp-up, stages, pacing; `open.OpenDriver`: arrivals,
max-in-flight, drops) owns the run's lifecycle: it starts iterations, follows its target, stops,
gives what is in flight the graceful-stop period and abandons the rest. A *workload*
(`url.UrlWorkload`: one pre-serialised request; `scripted.ScriptWorkload`: a user class's
task) implements `Workload` below and gets every driver for free:

- closed model: `run_user(index, ticket)` runs one virtual user's life, starting iterations
  while `ticket.limit` allows (the driver sets it to 0 to retire the user) and pausing between
  them as the workload's users do (think time, `wait_time`);
- open model: `start(k, intended_ns)` runs arrival k's iteration and reports its end to the
  driver's `IterationSink.finished(failed)`;
- `abandon()` counts what is still in flight as incomplete and drops it (the grace period is
  over, or the run is forced to end); `close()` closes what is left.

`RunContext` is what both sides share: the loop, the recorder, the stop event, the active count,
script-error reporting, where secrets learned at run time go, and the run's fatal error (a task
that never yields).
"""

from __future__ import annotations

import asyncio
import sys
import time
import traceback
from collections.abc import Callable
from typing import Protocol

from surge.engine.stalls import STALL_NS, StallTally
from surge.metrics.recorder import Recorder
from surge.scenario.tracebacks import raised_at

NO_LIMIT = sys.maxsize
HANG_S = 1.0  # a user iterating this long without the loop turning never yields
_HEARTBEAT_S = 0.05
_HEARTBEAT_NS = int(_HEARTBEAT_S * 1e9)

ScriptErrorSink = Callable[[str, str], None]
"""`sink(where, text)`: the first error at a place in the user's script, with its traceback."""


class Ticket:
    """One closed-model user's licence to iterate, held by the driver, read by the workload.

    The user may start iterations while it has started fewer than `limit`. `retire()` (a ramp
    down, the end of the run) sets the limit to 0 and calls `wake`, which the workload sets
    while its user pauses, so that a pause ends at once.
    """

    __slots__ = ("index", "limit", "wake")

    def __init__(self, index: int, limit: int) -> None:
        self.index = index
        self.limit = limit
        self.wake: Callable[[], None] | None = None

    def retire(self) -> None:
        self.limit = 0
        wake = self.wake
        if wake is not None:
            self.wake = None
            wake()


class SecretSink(Protocol):
    """Where the secrets virtual users hold go as soon as they are met (the run's redactor): the
    values of the secret headers a user sends or sets, and its cookies."""

    def learn_header(self, name: str, value: str) -> None: ...

    def learn_cookie(self, name: str, value: str) -> None: ...


class IterationSink(Protocol):
    """The open-model driver's side: told when each started iteration ends."""

    def finished(self, failed: bool) -> None: ...


class Schedule(Protocol):
    """An open-model schedule, as the run's housekeeping sees it: when the next arrival is
    due, and a call back right after the arrivals due next have started. The per-second
    snapshot waits for arrivals due within its own cost, so that it never delays them."""

    def next_due_ns(self) -> int:
        """perf_counter_ns of the next arrival (far in the future when none is left)."""

    def after_next_arrivals(self, callback: Callable[[], object]) -> None:
        """Call `callback` once, on the loop, right after the next arrivals started (or when
        the schedule ends, whichever comes first)."""


class Workload(Protocol):
    """What an iteration does; see the module docstring."""

    def bind(self, ctx: RunContext, sink: IterationSink | None) -> None:
        """Called once before the first iteration (`sink` in the open model only)."""

    async def run_user(self, ticket: Ticket) -> None:
        """Closed model: one virtual user's life (user `ticket.index`)."""

    def start(self, k: int, intended_ns: int) -> None:
        """Open model: run arrival k's iteration, intended at `intended_ns` (perf_counter_ns)."""

    def abandon(self) -> int:
        """Count every iteration in flight as incomplete and drop it; how many there were."""

    async def close(self) -> None:
        """Close every connection left (after the last iteration)."""


class Heartbeat:
    """A loop timer stamping `last_ns` (perf_counter_ns) while the loop turns; read by users
    that iterate without yielding and by the watchdog thread, which blames a long stall on the
    user code it finds holding the loop (`stalls`, see stalls.py)."""

    __slots__ = ("_handle", "_loop", "last_ns", "stalls")

    def __init__(self) -> None:
        self.last_ns = time.perf_counter_ns()
        self.stalls = StallTally()
        self._handle: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Beat on `loop` (idempotent: a driver run without `LoadRun` starts it itself)."""
        if self._loop is None:
            self._loop = loop
            self._beat()

    def _beat(self) -> None:
        now_ns = time.perf_counter_ns()
        late_ns = now_ns - self.last_ns - _HEARTBEAT_NS
        if late_ns >= STALL_NS // 2:
            self.stalls.ended(self.last_ns, late_ns)
        self.last_ns = now_ns
        if self._loop is not None:
            self._handle = self._loop.call_later(_HEARTBEAT_S, self._beat)

    def stop(self) -> None:
        self._loop = None
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None


class ClassTally:
    """Per user class: users started and users whose on_start failed (with the first message)."""

    __slots__ = ("first_error", "on_start_failed", "started")

    def __init__(self) -> None:
        self.started = 0
        self.on_start_failed = 0
        self.first_error = ""


class RunContext:
    """What the driver and the workload of one run share."""

    def __init__(
        self,
        recorder: Recorder,
        *,
        stop: asyncio.Event | None = None,
        on_active_change: Callable[[int], None] | None = None,
        on_script_error: ScriptErrorSink | None = None,
        graceful_stop_s: float = 5.0,
        hang_s: float = HANG_S,
        secrets: SecretSink | None = None,
    ) -> None:
        self.recorder = recorder
        self.secrets = secrets
        self.stop = stop or asyncio.Event()
        self.graceful_stop_s = graceful_stop_s
        self.hang_ns = int(hang_s * 1e9)
        self.heartbeat = Heartbeat()
        self.active = 0
        self.error: str | None = None  # a fatal error that ended the run (exit 2)
        self.classes: dict[str, ClassTally] = {}
        self._notify = on_active_change
        self._on_script_error = on_script_error
        self._reported: set[str] = set()
        self._on_forced: list[Callable[[], object]] = []
        self.load_over_at: float | None = None  # time.perf_counter() when the load phase ended
        self.schedule: Schedule | None = None  # the open model's, while it runs

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        return asyncio.get_running_loop()

    def change_active(self, delta: int) -> None:
        self.active += delta
        if self._notify is not None:
            self._notify(self.active)

    def script_error(self, where: str, exc: BaseException) -> None:
        """Hand the first error at `where` (with its traceback) to the run's observer."""
        if where in self._reported or self._on_script_error is None:
            return
        self._reported.add(where)
        text = "".join(traceback.format_exception(exc))
        at = raised_at(exc)
        if at is not None:  # the traceback ends in surge's own check: say which line is theirs
            text += f"(raised at {at}, in {where})\n"
        self._on_script_error(where, text)

    def fail(self, message: str) -> None:
        """End the run: something makes it meaningless to go on (it exits 2, saying `message`)."""
        if self.error is None:
            self.error = message
        self.stop.set()

    def tally(self, cls_name: str) -> ClassTally:
        found = self.classes.get(cls_name)
        if found is None:
            found = self.classes[cls_name] = ClassTally()
        return found

    def load_over(self) -> None:
        """The driver starts no more iterations (the schedule ended, or the run was stopped):
        the load phase is over and what follows is the graceful stop. Only the first call
        counts."""
        if self.load_over_at is None:
            self.load_over_at = time.perf_counter()

    def on_forced(self, callback: Callable[[], object]) -> None:
        """`callback()` runs (outside the loop) when the run is forced to end with the loop
        blocked: it accounts for what was in flight."""
        self._on_forced.append(callback)

    def forced(self) -> None:
        for callback in self._on_forced:
            callback()
        self._on_forced.clear()
