"""The greenlet bridge: sync task code on surge's asyncio loop.

Each virtual user runs in its own `UserGreenlet`, a child of the greenlet that runs the event
loop. A blocking call in the user's code (a request, a sleep) hands an awaitable to that parent
(`await_`), which awaits it on the loop and switches back with the result or the exception,
so a blocking call never blocks other users' I/O. The user's `runtime` (given by the engine)
says how the user waits between tasks, sleeps inside one, and counts its iterations.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable
from typing import Any, Protocol

from greenlet import getcurrent, greenlet


class Runtime(Protocol):
    """What the engine gives each user's greenlet (see greenlet_workload.py)."""

    def await_(self, awaitable: Awaitable[Any]) -> Any:
        """Run `awaitable` on the event loop; its result (or exception) comes back here."""

    def sleep(self, seconds: float) -> None:
        """Inside a task: pause this user only (`time.sleep`, `gevent.sleep`)."""

    def wait(self, seconds: float) -> None:
        """Between tasks: the wait time (closed model); ends early, raising StopUser, when the
        user is retired. The open model has none: the arrival rate paces the load."""

    def begin_task(self, owner: str, name: str) -> float:
        """Task `owner.name` is about to run; returns its start (perf_counter seconds). Raises
        StopUser when this user may not start another."""

    def end_task(self, error: BaseException | None, stopping: bool) -> None:
        """The task ended (`error`: what it raised, counted as a script error; `stopping`: it
        raised StopUser or the user is being stopped). In the open model the arrival ends here
        (unless stopping): the user waits for its next arrival before it goes on."""

    def script_error(self, where: str, exc: BaseException) -> None:
        """Count an error the user's code raised outside a task (`where`: Class.hook)."""

    def start_failed(self, exc: BaseException) -> None:
        """The user's on_start (or constructor) raised: the user does not run its tasks."""

    def user_created(self, user: Any) -> None:
        """The user object exists (before its on_start)."""

    def http_session(self) -> Any:
        """The engine's HTTP session of this user (HttpUser builds `self.client` on it)."""

    def stop_run(self, reason: str) -> None:
        """End the whole run (`environment.runner.quit()`, StopTest)."""


class UserGreenlet(greenlet):  # type: ignore[misc]
    """A virtual user's greenlet, carrying its runtime."""

    def __init__(self, run: Any, runtime: Runtime) -> None:
        super().__init__(run)
        self.runtime = runtime


def current_runtime() -> Runtime | None:
    """The runtime of the user running now, or None outside a user (loading, test_start)."""
    current = getcurrent()
    return current.runtime if isinstance(current, UserGreenlet) else None


def await_(awaitable: Awaitable[Any]) -> Any:
    """Run `awaitable` on surge's loop from a user's sync code and return its result."""
    runtime = current_runtime()
    if runtime is None:
        close = getattr(awaitable, "close", None)
        if close is not None:
            close()
        raise RuntimeError("an HTTP request outside a virtual user (e.g. at import time)")
    return runtime.await_(awaitable)


def sleep(seconds: float = 0) -> None:
    """`time.sleep`/`gevent.sleep` for a locustfile: inside a user, only that user pauses."""
    runtime = current_runtime()
    if runtime is None:
        time.sleep(seconds)
    else:
        runtime.sleep(float(seconds))
