"""Ray workers: one async actor per worker, placed by Ray on any machine of the cluster.

Each actor builds its load from the same payload as a local worker process (the scenario file
and its folder reach it through Ray's runtime environment: `working_dir`), and runs it on the
actor's event loop with the same engine code. `run` is an async generator: every yielded
message (SNAPSHOT …, then DONE) streams back to the coordinator as it is produced.

Load is never retried: actors have `max_restarts=0` and their methods `max_task_retries=0`, so a
worker that dies is reported LOST (Ray raises on its stream) instead of silently running its
piece of load again. Ray is imported only when this backend is used (`surge[ray]`).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import queue
import socket
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from surge.cluster.backend import PrepareWorker, WorkerLoad
from surge.cluster.messages import MessageKind, WorkerMessage, WorkerNote, worker_message
from surge.cluster.worker import describe_error, run_from
from surge.engine.run import StopEvent
from surge.metrics.values import Snapshot

RUNTIME_EXCLUDES = (".git", ".surge", "__pycache__", ".venv", "node_modules")


class RayWorker:
    """The actor (made remote by `RayBackend`): builds the load, runs it, streams messages."""

    def __init__(self, prepare: PrepareWorker, payload: Any, worker: int, workers: int) -> None:
        self._prepare = prepare
        self._payload = payload
        self._worker = worker
        self._workers = workers
        self._load: WorkerLoad | None = None
        self._stop = StopEvent()

    async def prepare(self) -> WorkerMessage:
        try:
            self._load = self._prepare(self._payload, self._worker, self._workers)
        except BaseException as exc:  # a worker must report, whatever the user's script raised
            return WorkerMessage(MessageKind.FAILED, self._worker, reason=describe_error(exc))
        return WorkerMessage(
            MessageKind.READY, self._worker, host=socket.gethostname(), pid=os.getpid()
        )

    async def run(self, start_at_s: float) -> AsyncIterator[WorkerMessage]:
        if self._load is None:
            raise RuntimeError("run before prepare")
        messages: asyncio.Queue[WorkerMessage] = asyncio.Queue()

        def emit(item: Snapshot | WorkerNote) -> None:
            messages.put_nowait(worker_message(self._worker, item))

        task = asyncio.ensure_future(
            run_from(self._load, self._worker, start_at_s, emit, self._stop)
        )
        while not task.done() or not messages.empty():
            getter = asyncio.ensure_future(messages.get())
            await asyncio.wait({getter, task}, return_when=asyncio.FIRST_COMPLETED)
            if getter.done():
                yield getter.result()
            else:
                getter.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await getter
        try:
            yield task.result()
        except Exception as exc:
            yield WorkerMessage(MessageKind.FAILED, self._worker, reason=describe_error(exc))

    async def stop(self) -> None:
        self._stop.set()

    async def force(self) -> None:
        self._stop.force()


class RayBackend:
    """Workers as Ray actors on an existing cluster (`address`) or a local one started here."""

    name = "ray"
    lead_s = 1.0

    def __init__(
        self,
        address: str | None = None,
        working_dir: Path | None = None,
        num_cpus: int | None = None,
    ) -> None:
        import ray

        self._ray: Any = ray
        self._address = address
        self._working_dir = working_dir
        self._num_cpus = num_cpus
        self._owns_ray = False
        self._actors: list[Any] = []
        self._inbox: queue.Queue[WorkerMessage] = queue.Queue()
        self._threads: list[threading.Thread] = []
        self._final: set[int] = set()

    def connect(self) -> None:
        """Join the cluster (or start a local one) if this process is not connected yet."""
        ray = self._ray
        if ray.is_initialized():
            return
        kwargs: dict[str, Any] = {
            "runtime_env": self._runtime_env(),
            "include_dashboard": False,
            "log_to_driver": True,
            "logging_level": "warning",
        }
        if self._address:
            kwargs["address"] = self._address
        elif self._num_cpus is not None:
            kwargs["num_cpus"] = self._num_cpus
        ray.init(**kwargs)
        self._owns_ray = True

    def _runtime_env(self) -> dict[str, Any] | None:
        """The scenario file's folder, shipped to every actor as its working directory (Ray
        uploads a local folder only for the whole job, at `ray.init`). A driver connected
        before (an embedding program) must pass such a `runtime_env` itself."""
        if self._working_dir is None:
            return None
        return {"working_dir": str(self._working_dir), "excludes": list(RUNTIME_EXCLUDES)}

    def cluster_cpus(self) -> int:
        """CPUs the cluster offers (for `--workers auto`)."""
        self.connect()
        return max(1, int(self._ray.cluster_resources().get("CPU", 1)))

    def launch(self, prepare: PrepareWorker, payload: Any, workers: int) -> None:
        self.connect()
        actor_class = self._ray.remote(max_restarts=0, max_task_retries=0, num_cpus=1)(RayWorker)
        for worker in range(workers):
            actor = actor_class.remote(prepare, payload, worker, workers)
            self._actors.append(actor)
            self._follow(worker, lambda a=actor: [a.prepare.remote()])

    def start(self, start_at_s: float) -> None:
        for worker, actor in enumerate(self._actors):
            if worker not in self._final:
                self._follow(worker, lambda a=actor: a.run.remote(start_at_s))

    def _follow(self, worker: int, refs: Any) -> None:
        """A thread that waits on the worker's message refs and puts them in the inbox; an
        error of Ray (actor died, node lost) becomes LOST, an error of the load FAILED."""

        def follow() -> None:
            ray = self._ray
            try:
                for ref in refs():
                    self._inbox.put(ray.get(ref))
            except ray.exceptions.RayTaskError as exc:
                reason = describe_error(exc.cause if exc.cause is not None else exc)
                self._inbox.put(WorkerMessage(MessageKind.FAILED, worker, reason=reason))
            except ray.exceptions.RayError as exc:
                reason = f"Ray actor lost ({type(exc).__name__})"
                self._inbox.put(WorkerMessage(MessageKind.LOST, worker, reason=reason))

        thread = threading.Thread(target=follow, name=f"surge-ray-{worker}", daemon=True)
        thread.start()
        self._threads.append(thread)

    def receive(self, timeout_s: float) -> list[WorkerMessage]:
        out: list[WorkerMessage] = []
        try:
            out.append(self._inbox.get(timeout=timeout_s))
            while True:
                out.append(self._inbox.get_nowait())
        except queue.Empty:
            pass
        out = [m for m in out if m.worker not in self._final]
        for message in out:
            if message.kind in (MessageKind.DONE, MessageKind.FAILED, MessageKind.LOST):
                self._final.add(message.worker)
        return out

    def stop(self) -> None:
        for worker, actor in enumerate(self._actors):
            if worker not in self._final:
                actor.stop.remote()

    def force(self) -> None:
        for worker, actor in enumerate(self._actors):
            if worker not in self._final:
                actor.force.remote()

    def kill(self, worker: int) -> None:
        self._final.add(worker)
        with contextlib.suppress(Exception):
            self._ray.kill(self._actors[worker], no_restart=True)

    def close(self) -> None:
        for actor in self._actors:
            with contextlib.suppress(Exception):
                self._ray.kill(actor, no_restart=True)
        for thread in self._threads:
            thread.join(timeout=2.0)
        self._actors, self._threads = [], []
        if self._owns_ray:
            self._ray.shutdown()
            self._owns_ray = False
