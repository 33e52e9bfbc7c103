"""Signals that work whatever the user's code does, and a watchdog for a loop that stands still.

`RunGuard` handles SIGINT and SIGTERM with plain Python signal handlers, so the signal path does
not depend on the event loop turning:

- the first signal asks the loop to stop the run (graceful stop, partial results);
- if the loop has not acknowledged it within `ack_s` (user code is blocking it), or stops
  turning while it winds down, the watchdog thread forces the end: it interrupts the main
  thread, whose handler raises `ForcedStop` out of whatever code holds it, the run's recorded
  data is taken as is, and the caller writes partial results;
- a second signal raises `ForcedStop` at once.

A loop that has stood still for `STALL_NS` (100 ms) is looked at once: the user's task or hook
holding it is blamed for the stall (stalls.py), so that the verdict can name it.

Without any signal, a loop that has not turned for `blocked_s` (a task stuck in a blocking call
or an endless loop) is forced to end the same way, with a message naming the code it is stuck
in. If the main thread cannot be interrupted at all (blocked inside C code that never returns),
the watchdog exits the process (130/143 for a signal, 2 for a stuck loop) after `exit_s` more.

Only the main thread can own signal handlers; elsewhere (cluster workers, tests) `install()`
does nothing and returns False.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import signal
import sys
import sysconfig
import threading
from collections.abc import Callable
from time import perf_counter_ns
from types import FrameType
from typing import Any

from surge.engine.stalls import STALL_NS
from surge.engine.workload import Heartbeat

_SIGNALS = (signal.SIGINT, signal.SIGTERM)
_POLL_S = 0.1
_KICK_S = 0.2
_EXIT_CODES = {"SIGINT": 130, "SIGTERM": 143}
_USAGE_EXIT = 2
_ENGINE_DIR = os.path.dirname(os.path.abspath(__file__))
_NOT_USER_DIRS = (
    os.path.dirname(_ENGINE_DIR) + os.sep,  # surge itself
    os.path.abspath(sysconfig.get_paths()["stdlib"]) + os.sep,
)


FORCED = (KeyboardInterrupt, SystemExit, GeneratorExit)
"""What unwinds a run that must end now: engine code waits for nothing on the loop then."""


class ForcedStop(KeyboardInterrupt):
    """Raised in the main thread to end a run whose event loop does not turn."""

    def __init__(self, signal_name: str | None, message: str | None) -> None:
        super().__init__(message or signal_name or "forced stop")
        self.signal_name = signal_name
        self.message = message


class RunGuard:
    """See the module docstring. `on_signal(name)` runs on the loop for the first signal."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        on_signal: Callable[[str], None],
        heartbeat: Heartbeat,
        *,
        blocked_s: float = 5.0,
        ack_s: float = 1.0,
        exit_s: float = 3.0,
    ) -> None:
        self._loop = loop
        self._on_signal = on_signal
        self._heartbeat = heartbeat
        self._blocked_ns = int(blocked_s * 1e9)
        self._ack_ns = int(ack_s * 1e9)
        self._exit_s = exit_s
        self._signal: str | None = None
        self._signal_ns = 0
        self._acked = False
        self._forced: ForcedStop | None = None
        self._caught = False  # the main thread has the ForcedStop: interrupt it no more
        self._main_ident = 0
        self._old: dict[signal.Signals, Any] = {}
        self._done = threading.Event()
        self._thread: threading.Thread | None = None

    def install(self) -> bool:
        """Take over SIGINT/SIGTERM and start the watchdog (main thread only)."""
        if threading.current_thread() is not threading.main_thread():
            return False
        self._main_ident = threading.main_thread().ident or 0
        for sig in _SIGNALS:
            self._old[sig] = signal.signal(sig, self._handle)
        self._thread = threading.Thread(target=self._watch, name="surge-run-guard", daemon=True)
        self._thread.start()
        return True

    def remove(self) -> None:
        """Give the signals back and stop the watchdog (idempotent)."""
        self._done.set()
        for sig, old in self._old.items():
            signal.signal(sig, old)
        self._old.clear()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(1.0)

    # -- the main thread's side -----------------------------------------------------------------

    def caught(self) -> None:
        """The main thread caught the ForcedStop: it writes the results now. One more
        signal from here on exits at once."""
        self._caught = True

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self._caught:  # a signal while the forced results are written: out now
            os._exit(_EXIT_CODES.get(self._signal or "", 130))
        if self._forced is not None:
            raise self._forced
        if self._signal is not None:  # a second signal: end at once
            self._forced = ForcedStop(self._signal, None)
            raise self._forced
        self._signal = signal.Signals(signum).name
        self._signal_ns = perf_counter_ns()
        self._loop.call_soon_threadsafe(self._acknowledge)

    def _acknowledge(self) -> None:
        self._acked = True
        assert self._signal is not None
        self._on_signal(self._signal)

    # -- the watchdog thread ----------------------------------------------------------------------

    def _watch(self) -> None:
        looked_at = 0  # the beat since which the loop stands still, when it was looked at
        while not self._done.wait(_POLL_S):
            if self._forced is not None:  # a second signal raised it: see that it lands
                self._force(self._forced)
                return
            now = perf_counter_ns()
            last_ns = self._heartbeat.last_ns
            stale_ns = now - last_ns
            if stale_ns >= STALL_NS and last_ns != looked_at:
                looked_at = last_ns
                where = _stalling_code(sys._current_frames().get(self._main_ident))
                if where is not None:
                    self._heartbeat.stalls.blame(last_ns, where)
            if self._signal is not None:
                if (not self._acked and now - self._signal_ns > self._ack_ns) or (
                    self._acked and stale_ns > self._ack_ns
                ):
                    self._force(ForcedStop(self._signal, None))
                    return
            elif stale_ns > self._blocked_ns:
                self._force(ForcedStop(None, _blocked_message(self._main_ident, stale_ns)))
                return

    def _force(self, forced: ForcedStop) -> None:
        """Interrupt the main thread until it has caught `forced` (its signal handler raises
        it wherever the thread is: user code may catch it, or wait in a `finally`); exit if
        the run has not come to its end `exit_s` later."""
        self._forced = forced
        deadline_ns = perf_counter_ns() + int(self._exit_s * 1e9)
        while not self._caught and perf_counter_ns() < deadline_ns:
            with contextlib.suppress(OSError, ValueError):
                signal.pthread_kill(self._main_ident, signal.SIGINT)
            if self._done.wait(_KICK_S):
                return
        if not self._done.wait(max(deadline_ns - perf_counter_ns(), 0) / 1e9):
            code = _EXIT_CODES.get(forced.signal_name or "", _USAGE_EXIT)
            os.write(2, f"surge: {forced}: the run could not be stopped; exiting\n".encode())
            os._exit(code)


def _blocked_message(main_ident: int, stale_ns: int) -> str:
    where = _user_frame(sys._current_frames().get(main_ident))
    return (
        f"the event loop has not turned for {stale_ns / 1e9:.1f} s: {where} blocks it (a "
        "blocking call, or a loop that never awaits). Use `await asyncio.sleep(...)` and async "
        "clients inside tasks"
    )


def _stalling_code(frame: FrameType | None) -> str | None:
    """The user's code holding the loop ('Class.task (file:line)'), None when the frame the
    engine called is surge's own or the standard library's (not the user's to fix)."""
    found = _called_frame(frame)
    if found is None:
        return None
    filename = os.path.abspath(found.f_code.co_filename)
    if filename.startswith(_NOT_USER_DIRS):
        return None
    return _describe(found)


def _called_frame(frame: FrameType | None) -> FrameType | None:
    """The frame just inside the innermost engine frame (what the engine called), else the
    innermost frame."""
    chain: list[FrameType] = []
    while frame is not None:
        chain.append(frame)
        frame = frame.f_back
    found = chain[0] if chain else None
    for inner, outer in itertools.pairwise(chain):
        if os.path.abspath(outer.f_code.co_filename).startswith(_ENGINE_DIR):
            if not os.path.abspath(inner.f_code.co_filename).startswith(_ENGINE_DIR):
                found = inner
            break
    return found


def _describe(frame: FrameType) -> str:
    code = frame.f_code
    name = getattr(code, "co_qualname", code.co_name)
    return f"{name} ({code.co_filename}:{frame.f_lineno})"


def _user_frame(frame: FrameType | None) -> str:
    """What the engine called that is running now: the frame just inside the innermost engine
    frame (a user's task or hook), as 'Class.task (file:line)'."""
    found = _called_frame(frame)
    return "user code" if found is None else _describe(found)
