"""Local workers: one process per worker on this machine, each with its own uvloop event loop,
talking to the coordinator over a pipe.

Start-up: `prestart` runs while the coordinator is still single-threaded (the CLI calls it when
it validates the options, before any thread of its own exists) and, on Linux, forks the workers
there and then: they inherit everything already imported and wait, idle, for their assignment.
Otherwise (other platforms, or threads already running) workers come from a fork server that
imported the worker code once (spawn where there is none).

A worker's death is seen at once through its process sentinel; whatever it sent before dying is
still read from the pipe, so its data up to its last snapshot is kept. Workers ignore SIGINT (a
Ctrl-C in the terminal reaches the whole process group): the coordinator decides how they stop.
A worker whose coordinator vanishes (its pipe closes) stops its load by itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import multiprocessing.connection
import os
import signal
import socket
import sys
import threading
import time
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

import uvloop

from surge.cluster.backend import PrepareWorker, WorkerLoad
from surge.cluster.messages import (
    Command,
    MessageKind,
    WorkerMessage,
    WorkerNote,
    worker_message,
)
from surge.cluster.worker import describe_error, run_from
from surge.engine.run import StopEvent
from surge.metrics.values import Snapshot

# After a worker process exits, how long its pipe may still deliver what it sent last.
_REAP_S = 0.5
_DRAIN_S = 0.5


def _start_method() -> str:
    methods = multiprocessing.get_all_start_methods()
    return "forkserver" if "forkserver" in methods else "spawn"


def exit_reason(exitcode: int | None) -> str:
    """`exited with code 1`, `killed by SIGKILL`."""
    if exitcode is None:
        return "stopped answering"
    if exitcode < 0:
        try:
            return f"killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"killed by signal {-exitcode}"
    return f"exited with code {exitcode} without reporting"


class _WarmPool:
    """Idle worker processes forked ahead of the run (see `prestart`)."""

    def __init__(self) -> None:
        self.idle: list[tuple[BaseProcess, Connection]] = []

    def fork(self, count: int) -> None:
        ctx: Any = multiprocessing.get_context("fork")
        sys.stdout.flush()  # a child must not write the parent's buffered output again
        sys.stderr.flush()
        for worker in range(count):
            parent, child = ctx.Pipe(duplex=True)
            proc = ctx.Process(
                target=_idle_main, args=(child,), name=f"surge-worker-{worker}", daemon=True
            )
            proc.start()
            child.close()
            self.idle.append((proc, parent))

    def take(self, count: int) -> list[tuple[BaseProcess, Connection]]:
        """`count` live idle workers, or none when there are fewer (the rest are ended)."""
        alive = [(p, c) for p, c in self.idle if p.is_alive()]
        self.idle = []
        taken, extra = (alive[:count], alive[count:]) if len(alive) >= count else ([], alive)
        for proc, conn in extra:
            conn.close()  # the idle worker reads EOF and exits
            proc.join(1.0)
        return taken


_WARM = _WarmPool()


def prestart(workers: int, preload: list[str]) -> None:
    """Get `workers` local workers going before the run is wired up. Single-threaded on Linux:
    fork them now (ready in milliseconds). Otherwise start the fork server, importing `preload`
    in it, so that its start-up overlaps the coordinator's own."""
    if sys.platform == "linux" and threading.active_count() == 1:
        _WARM.fork(workers)
        return
    if _start_method() != "forkserver":
        return
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(preload)
    from multiprocessing import forkserver

    forkserver.ensure_running()


class LocalBackend:
    """Worker processes on this machine."""

    name = "local"
    lead_s = 0.05

    def __init__(self, start_method: str | None = None) -> None:
        self._warm = start_method is None  # take prestarted workers when there are some
        self._method = start_method or _start_method()
        self._procs: list[BaseProcess] = []
        self._conns: list[Connection] = []
        self._final: set[int] = set()  # workers whose DONE, FAILED or LOST is out

    def launch(self, prepare: PrepareWorker, payload: Any, workers: int) -> None:
        warm = _WARM.take(workers) if self._warm else []
        for worker, (proc, conn) in enumerate(warm):
            conn.send((prepare, payload, worker, workers))
            self._procs.append(proc)
            self._conns.append(conn)
        if warm:
            return
        ctx: Any = multiprocessing.get_context(self._method)
        if self._method == "forkserver":
            # Workers fork from a server that already imported the worker code: no per-worker
            # interpreter start-up and imports (set before the server first starts; kept after).
            ctx.set_forkserver_preload([prepare.__module__])
        for worker in range(workers):
            parent, child = ctx.Pipe(duplex=True)
            proc = ctx.Process(
                target=_worker_main,
                args=(prepare, payload, worker, workers, child),
                name=f"surge-worker-{worker}",
                daemon=True,
            )
            proc.start()
            child.close()
            self._procs.append(proc)
            self._conns.append(parent)

    def start(self, start_at_s: float) -> None:
        self._broadcast((Command.START, start_at_s))

    def stop(self) -> None:
        self._broadcast((Command.STOP, 0.0))

    def force(self) -> None:
        self._broadcast((Command.FORCE, 0.0))

    def _broadcast(self, command: tuple[Command, float]) -> None:
        for worker, conn in enumerate(self._conns):
            if worker in self._final:
                continue
            with contextlib.suppress(OSError):
                conn.send(command)

    def receive(self, timeout_s: float) -> list[WorkerMessage]:
        live = [w for w in range(len(self._procs)) if w not in self._final]
        if not live:
            return []
        waitables: dict[Any, tuple[str, int]] = {}
        for w in live:
            waitables[self._conns[w]] = ("conn", w)
            waitables[self._procs[w].sentinel] = ("proc", w)
        ready = multiprocessing.connection.wait(list(waitables), timeout_s)
        out: list[WorkerMessage] = []
        dead: list[int] = []
        for item in ready:
            kind, worker = waitables[item]
            if kind == "conn":
                out += self._read(worker)
            else:
                dead.append(worker)
        for worker in dead:
            if worker not in self._final:
                out += self._drain_dead(worker)
        return out

    def _read(self, worker: int, wait_s: float = 0.0) -> list[WorkerMessage]:
        """Everything readable on the worker's pipe now (waiting up to `wait_s` for the first)."""
        conn = self._conns[worker]
        out: list[WorkerMessage] = []
        try:
            while conn.poll(wait_s if not out else 0.0):
                message = conn.recv()
                out.append(message)
                if message.kind in (MessageKind.DONE, MessageKind.FAILED):
                    self._final.add(worker)
                    break
        except (EOFError, OSError):
            pass
        return out

    def _drain_dead(self, worker: int) -> list[WorkerMessage]:
        """The worker's process is gone: read what it sent last, else report it LOST."""
        out: list[WorkerMessage] = []
        deadline = time.monotonic() + _DRAIN_S
        while worker not in self._final and time.monotonic() < deadline:
            got = self._read(worker, wait_s=0.05)
            if not got:
                break
            out += got
        if worker not in self._final:
            self._final.add(worker)
            proc = self._procs[worker]
            # Its pipe closes while the kernel is still ending the process: wait a moment for
            # the exit status, so the reason says how it died ("killed by SIGKILL").
            proc.join(_REAP_S)
            out.append(
                WorkerMessage(
                    MessageKind.LOST, worker, reason=exit_reason(proc.exitcode), pid=proc.pid or 0
                )
            )
        return out

    def kill(self, worker: int) -> None:
        self._final.add(worker)
        proc = self._procs[worker]
        if proc.is_alive():
            proc.kill()

    def close(self) -> None:
        for proc in self._procs:
            if proc.is_alive():
                proc.terminate()
        for proc in self._procs:
            proc.join(2.0)
            if proc.is_alive():
                proc.kill()
                proc.join(1.0)
        for conn in self._conns:
            conn.close()
        self._procs, self._conns = [], []


def _idle_main(conn: Connection) -> None:
    """A prestarted worker: wait for its assignment, then work (EOF: not needed after all)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        prepare, payload, worker, workers = conn.recv()
    except (EOFError, OSError):
        return
    _worker_main(prepare, payload, worker, workers, conn)


def _worker_main(
    prepare: PrepareWorker, payload: Any, worker: int, workers: int, conn: Connection
) -> None:
    """A worker process: build the load, say READY, wait for START, run, say DONE."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        load = prepare(payload, worker, workers)
    except BaseException as exc:  # a worker must report, whatever the user's script raised
        _send(conn, WorkerMessage(MessageKind.FAILED, worker, reason=describe_error(exc)))
        return
    _send(
        conn, WorkerMessage(MessageKind.READY, worker, host=socket.gethostname(), pid=os.getpid())
    )
    try:
        command, start_at_s = conn.recv()
    except (EOFError, OSError):
        return  # the coordinator is gone
    if command is Command.STOP:
        start_at_s = time.time()
    try:
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            message = runner.run(_serve(load, worker, start_at_s, conn, command is Command.STOP))
    except Exception as exc:
        message = WorkerMessage(MessageKind.FAILED, worker, reason=describe_error(exc))
    _send(conn, message)


async def _serve(
    load: WorkerLoad, worker: int, start_at_s: float, conn: Connection, stopped: bool
) -> WorkerMessage:
    stop = StopEvent()
    if stopped:
        stop.set()
    loop = asyncio.get_running_loop()

    def on_command() -> None:
        try:
            command, _ = conn.recv()
        except (EOFError, OSError):  # the coordinator is gone: stop the load
            loop.remove_reader(conn.fileno())
            stop.set()
            return
        if command is Command.STOP:
            stop.set()
        elif command is Command.FORCE:
            stop.force()

    def emit(item: Snapshot | WorkerNote) -> None:
        if not _send(conn, worker_message(worker, item)):
            stop.set()

    loop.add_reader(conn.fileno(), on_command)
    try:
        return await run_from(load, worker, start_at_s, emit, stop)
    finally:
        with contextlib.suppress(OSError, ValueError):
            loop.remove_reader(conn.fileno())


def _send(conn: Connection, message: WorkerMessage) -> bool:
    try:
        conn.send(message)
    except OSError:
        return False
    return True
