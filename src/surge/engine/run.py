"""The run lifecycle: one event loop, a per-second snapshot ticker, signals, and the outcome.

`LoadRun` runs a load (a driver running a workload, see workload.py) with a `RunContext`, takes
a Snapshot of the recorder every second and hands it to `on_snapshot`, and stops the load on
SIGINT/SIGTERM so that the partial results are still delivered (the outcome says the run was
aborted and why). Signals and a loop that stands still are watched from a thread (guard.py):
if the loop cannot stop the run, the run is forced to end and `run_blocking` still returns its
partial outcome. The engine records; it never prints and computes no statistics.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
import traceback
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

import uvloop

from surge.engine.guard import FORCED, ForcedStop, RunGuard
from surge.engine.probe import LoopLagProbe
from surge.engine.workload import HANG_S, RunContext, ScriptErrorSink, SecretSink
from surge.metrics.recorder import Recorder
from surge.metrics.values import HealthSample, LoopStall, Snapshot
from surge.metrics.verdict import CRASH_PREFIX

SnapshotSink = Callable[[Snapshot], None]
LoadFactory = Callable[[RunContext], Awaitable[None]]
TargetAt = Callable[[float], float | None]
CpuSample = Callable[[], float]
_MIN_HEALTH_S = 0.5
_TICK_COST_NS = 1_000_000  # what a snapshot is assumed to take at least (see `_tick`)
BLOCKED_S = 5.0  # a loop that has not turned this long is stuck (see guard.py)
_SURGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@dataclass(frozen=True, slots=True)
class ClassStarts:
    """How the users of one class started: how many, how many failed on_start, and the
    first failure's message."""

    name: str
    users: int
    failed: int
    first_error: str

    @property
    def all_failed(self) -> bool:
        return self.users > 0 and self.failed == self.users


def merge_class_starts(parts: Iterable[Iterable[ClassStarts]]) -> tuple[ClassStarts, ...]:
    """Several workers' class starts added up by class (the first error message kept)."""
    merged: dict[str, ClassStarts] = {}
    for part in parts:
        for c in part:
            seen = merged.get(c.name)
            if seen is None:
                merged[c.name] = c
            else:
                first = seen.first_error or c.first_error
                merged[c.name] = ClassStarts(
                    c.name, seen.users + c.users, seen.failed + c.failed, first
                )
    return tuple(merged.values())


@dataclass(frozen=True, slots=True)
class RunOutcome:
    """How the load ended. `error` is a fault in the user's code that made the run stop (a
    task that never yields, a loop blocked for good); `crash` an error surge did not expect
    that ended it (one line: what and where; see `crash_text`); `classes` tallies each user
    class's starts. `load_s` is the load phase: from the start until the driver started its
    last iteration (the schedule ended or the run was stopped); the rest of `duration_s` is the
    graceful stop. None when the driver never said (a run forced to end). `stalls` name the
    user code that held the event loop for 100 ms or more (see stalls.py), longest first."""

    duration_s: float
    aborted: bool
    abort_reason: str | None
    error: str | None = None
    classes: tuple[ClassStarts, ...] = ()
    load_s: float | None = None
    crash: str | None = None
    stalls: tuple[LoopStall, ...] = ()

    @property
    def graceful_stop_s(self) -> float | None:
        """The time after the load phase: iterations in flight finishing (or abandoned)."""
        return None if self.load_s is None else max(0.0, self.duration_s - self.load_s)

    @property
    def failed_classes(self) -> tuple[ClassStarts, ...]:
        """The classes whose every user failed on_start."""
        return tuple(c for c in self.classes if c.all_failed)


class StopEvent(asyncio.Event):
    """The stop event of a run that can also be *forced* from the loop: `force()` (a
    coordinator's second Ctrl-C, passed on to its workers) ends the run at once instead of after
    the graceful stop, what is in flight counted as incomplete, like a forced single-process
    run. A plain `asyncio.Event` works as a stop event too; it cannot be forced."""

    def __init__(self) -> None:
        super().__init__()
        self.forced = False
        self._on_force: list[Callable[[], None]] = []

    def on_force(self, callback: Callable[[], None]) -> None:
        self._on_force.append(callback)
        if self.forced:
            callback()

    def force(self) -> None:
        """Stop, and end what is in flight now (call on the loop)."""
        self.set()
        if not self.forced:
            self.forced = True
            for callback in self._on_force:
                callback()


class _Probes:
    """What each snapshot carries beside the counts: the schedule's target and the generator's
    health (its CPU from `cpu`, and the event-loop lag from a probe timer)."""

    def __init__(self, target_at: TargetAt | None, cpu: CpuSample | None) -> None:
        self.target_at = target_at
        self.cpu = cpu
        self.lag = LoopLagProbe() if cpu is not None else None

    def start(self) -> None:
        if self.lag is not None:
            self.lag.start()
        if self.cpu is not None:
            self.cpu()  # the first reading starts the CPU interval

    def stop(self) -> None:
        if self.lag is not None:
            self.lag.stop()

    def snapshot(self, recorder: Recorder, start_s: float, end_s: float, active: int) -> Snapshot:
        health = None
        if self.cpu is not None and self.lag is not None and end_s - start_s >= _MIN_HEALTH_S:
            # A CPU reading over a sliver of a second (the run's last) is mostly the OS's
            # accounting granularity: such a short interval carries no health sample.
            health = HealthSample(cpu_pct=self.cpu(), loop_lag=self.lag.take())
        target = self.target_at(end_s) if self.target_at is not None else None
        return recorder.snapshot(start_s, end_s, active, health=health, target=target)


class LoadRun:
    """One run of a load; see the module docstring. `run()` on the loop, or `run_blocking`."""

    def __init__(
        self,
        load: LoadFactory,
        recorder: Recorder,
        on_snapshot: SnapshotSink,
        *,
        stop: asyncio.Event | None = None,
        handle_signals: bool = True,
        interval_s: float = 1.0,
        target_at: TargetAt | None = None,
        cpu: CpuSample | None = None,
        on_script_error: ScriptErrorSink | None = None,
        graceful_stop_s: float = 5.0,
        hang_s: float = HANG_S,
        blocked_s: float = BLOCKED_S,
        secrets: SecretSink | None = None,
    ) -> None:
        self.load = load
        self.recorder = recorder
        self.on_snapshot = on_snapshot
        self.stop = stop
        self.handle_signals = handle_signals
        self.interval_s = interval_s
        self.probes = _Probes(target_at, cpu)
        self.on_script_error = on_script_error
        self.graceful_stop_s = graceful_stop_s
        self.hang_s = hang_s
        self.blocked_s = blocked_s
        self.secrets = secrets
        self.signal_name: str | None = None
        self.crash: str | None = None
        self.guard: RunGuard | None = None
        self._ctx: RunContext | None = None
        self._t0 = 0.0
        self._last_s = 0.0
        self._load_task: asyncio.Future[None] | None = None
        self._forcing = False

    async def run(self) -> RunOutcome:
        """Run the load to its end with a snapshot every `interval_s`. An exception of the
        engine's (or of a callback the loop runs) ends the run as a crash, never a traceback:
        what was recorded is delivered (see `crashed`)."""
        loop = asyncio.get_running_loop()
        ctx = self._ctx = RunContext(
            self.recorder,
            stop=self.stop,
            on_script_error=self.on_script_error,
            graceful_stop_s=self.graceful_stop_s,
            hang_s=self.hang_s,
            secrets=self.secrets,
        )
        loop.set_exception_handler(self._on_loop_error)
        ctx.heartbeat.start(loop)
        if self.handle_signals:
            guard = RunGuard(loop, self._on_signal, ctx.heartbeat, blocked_s=self.blocked_s)
            if guard.install():
                self.guard = guard
        self.probes.start()
        self._t0 = time.perf_counter()
        ticker = asyncio.ensure_future(self._tick())
        self._load_task = asyncio.ensure_future(self.load(ctx))
        if isinstance(self.stop, StopEvent):
            self.stop.on_force(self.force)
        forced = False
        try:
            await self._load_task
        except asyncio.CancelledError:
            if not self._forcing:
                raise
        except FORCED:
            forced = True  # nothing here may wait on the loop now
            raise
        except Exception as exc:
            self.crashed(exc)
        finally:
            ticker.cancel()
            if not forced:
                with contextlib.suppress(asyncio.CancelledError):
                    await ticker
                self._release()
        if self._forcing:
            return self._finish(aborted=True, reason=self.signal_name or "forced stop")
        return self._finish(aborted=self.signal_name is not None, reason=self.signal_name)

    def force(self) -> None:
        """End the run now, from its loop: what is in flight is counted as such (incomplete,
        in flight at the end), the load is cancelled and the outcome follows at once."""
        if self._forcing or self._ctx is None or self._load_task is None:
            return
        self._forcing = True
        self._ctx.stop.set()
        self._ctx.forced()
        self._load_task.cancel()

    def crashed(self, exc: BaseException) -> None:
        """An error surge did not expect: the run stops, the first such error is its crash."""
        if self.crash is None:
            self.crash = crash_text(exc)
        if self._ctx is not None:
            self._ctx.stop.set()

    def _on_loop_error(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        """The loop's exception handler: an exception raised in a callback or a task nobody
        awaited. Transport errors (OSError) are recorded by the connection they failed, and
        an error of the user's own code (a task the script started) is a script error; any
        other is the engine's own, and crashes the run."""
        exc = context.get("exception")
        if exc is None or isinstance(exc, OSError | asyncio.CancelledError):
            return
        if not _raised_by_surge(exc) and self._ctx is not None:
            self._ctx.script_error("a task or callback the script started", exc)
            return
        self.crashed(exc)

    def forced(self, forced: ForcedStop | None) -> RunOutcome:
        """The outcome of a run forced to end with its loop blocked, or (None) that crashed
        out of its loop (call outside the loop)."""
        self._release()
        if self._ctx is not None:
            self._ctx.forced()  # what was in flight is counted as such
            if forced is not None and forced.message is not None:
                self._ctx.error = self._ctx.error or forced.message
        reason = None if forced is None else forced.signal_name or forced.message
        return self._finish(aborted=reason is not None, reason=reason)

    def _on_signal(self, name: str) -> None:
        if self.signal_name is None:
            self.signal_name = name
        assert self._ctx is not None
        self._ctx.stop.set()

    def _release(self) -> None:
        if self.guard is not None:
            self.guard.remove()
            self.guard = None
        if self._ctx is not None:
            self._ctx.heartbeat.stop()

    def _finish(self, *, aborted: bool, reason: str | None) -> RunOutcome:
        end = time.perf_counter() - self._t0
        ctx = self._ctx
        active = ctx.active if ctx is not None else 0
        try:
            self.on_snapshot(self.probes.snapshot(self.recorder, self._last_s, end, active))
        except Exception as exc:
            self.crashed(exc)
        self.probes.stop()
        error = ctx.error if ctx is not None else None
        classes = tuple(
            ClassStarts(name, t.started, t.on_start_failed, t.first_error)
            for name, t in (ctx.classes.items() if ctx is not None else ())
        )
        if error is not None and not aborted:
            aborted, reason = True, error
        load_s = None
        if ctx is not None and ctx.load_over_at is not None:
            load_s = min(max(0.0, ctx.load_over_at - self._t0), end)
        if self.crash is not None and not aborted:
            aborted, reason = True, self.crash
        return RunOutcome(
            duration_s=end,
            aborted=aborted,
            abort_reason=reason,
            error=error,
            classes=classes,
            load_s=load_s,
            crash=self.crash,
            stalls=ctx.heartbeat.stalls.value() if ctx is not None else (),
        )

    async def _tick(self) -> None:
        """Snapshot the recorder at t0 + k * interval_s, k = 1, 2, … (absolute times, no drift).
        A snapshot sink that raises crashes the run (see `crashed`)."""
        interval_s = self.interval_s
        k = 1
        cost_ns = _TICK_COST_NS
        while True:
            now = time.perf_counter() - self._t0
            await asyncio.sleep(max(0.0, k * interval_s - now))
            await self._after_due_arrivals(2 * cost_ns)
            started_ns = time.perf_counter_ns()
            now = started_ns / 1e9 - self._t0
            active = self._ctx.active if self._ctx is not None else 0
            try:
                self.on_snapshot(self.probes.snapshot(self.recorder, self._last_s, now, active))
            except Exception as exc:
                self.crashed(exc)
                return
            cost_ns = max(_TICK_COST_NS, time.perf_counter_ns() - started_ns)
            self._last_s = now
            k = max(k + 1, int(now / interval_s) + 1)

    async def _after_due_arrivals(self, within_ns: int) -> None:
        """Let the open model's arrivals due within `within_ns` start first: a snapshot takes
        a millisecond or more of the loop, and an arrival due meanwhile would wait for it
        (at 200/s one arrival a second fell on the snapshot's time exactly)."""
        schedule = self._ctx.schedule if self._ctx is not None else None
        if schedule is None or schedule.next_due_ns() - time.perf_counter_ns() > within_ns:
            return
        started: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def release() -> None:
            if not started.done():
                started.set_result(None)

        schedule.after_next_arrivals(release)
        await started


def crash_text(exc: BaseException) -> str:
    """One line for an error surge did not expect: `internal error: Type: message (at
    file:line in function)`, the place being where it was raised (surge's files named from
    the package, others in full)."""
    where = ""
    frames = traceback.extract_tb(exc.__traceback__)
    if frames:
        frame = frames[-1]
        name = frame.filename
        if name.startswith(_SURGE_DIR):
            name = os.path.relpath(name, os.path.dirname(_SURGE_DIR))
        where = f" (at {name}:{frame.lineno} in {frame.name})"
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    what = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return f"{CRASH_PREFIX}{what}{where}"


def _raised_by_surge(exc: BaseException) -> bool:
    frames = traceback.extract_tb(exc.__traceback__)
    return not frames or any(f.filename.startswith(_SURGE_DIR) for f in frames)


def run_blocking(run: LoadRun) -> RunOutcome:
    """Run `run` on a fresh uvloop event loop (one loop per process). A run forced to end
    (guard.py) returns its partial outcome; its loop is closed without running again."""
    loop = uvloop.new_event_loop()
    try:
        outcome = loop.run_until_complete(run.run())
    except ForcedStop as forced:
        if run.guard is not None:
            run.guard.caught()
        outcome = run.forced(forced)
        _abandon_loop(loop)
        return outcome
    except Exception as exc:  # LoadRun.run catches the load's errors: this is its own
        run.crashed(exc)
        outcome = run.forced(None)
        _abandon_loop(loop)
        return outcome
    try:
        pending = asyncio.all_tasks(loop)
        if pending:
            for task in pending:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
    finally:
        loop.close()
    return outcome


def _abandon_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Close a loop whose run was forced to end, without running it again (its tasks may be
    stuck in user code): each task's coroutine is closed where it stands."""
    loop.set_exception_handler(lambda _loop, _context: None)
    for task in asyncio.all_tasks(loop):
        with contextlib.suppress(BaseException):
            task.get_coro().close()
    loop.close()
