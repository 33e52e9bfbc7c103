"""`events` and `environment` of a locustfile: the hooks surge fires and the few environment
attributes a locustfile reads.

Fired: `init` (after loading, before the run), `test_start`, `request` (every request, when
listened to), `user_error` (a task raised), `test_stop` and `quitting` (at the end). Hooks
that belong to Locust's own runner, web UI or command line (`init_command_line_parser`,
`report_to_master`, …) raise LocustUnsupportedError when the locustfile touches them.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from surge.locust.exceptions import LocustUnsupportedError

Listener = Callable[..., Any]

FIRED = ("init", "test_start", "test_stopping", "test_stop", "quitting", "request",
         "user_error", "spawning_complete")  # fmt: skip
_LOCUST_ONLY = {
    "init_command_line_parser": "surge's command line takes no extra options; read an "
    "environment variable instead",
    "report_to_master": "surge merges worker results itself",
    "worker_report": "surge merges worker results itself",
    "worker_connect": "surge runs its own workers",
    "usage_monitor": "use surge's resource monitoring (--monitor-pid)",
    "cpu_warning": "surge reports generator saturation itself",
    "reset_stats": "surge keeps every run's statistics",
    "heartbeat_sent": "surge runs its own workers",
    "heartbeat_received": "surge runs its own workers",
}


class EventHook:
    """A list of listeners, fired with keyword arguments."""

    def __init__(self) -> None:
        self._handlers: list[Listener] = []

    @property
    def has_listeners(self) -> bool:
        return bool(self._handlers)

    def add_listener(self, handler: Listener) -> Listener:
        self._handlers.append(handler)
        return handler

    def remove_listener(self, handler: Listener) -> None:
        self._handlers.remove(handler)

    def fire(self, **kwargs: Any) -> None:
        for handler in list(self._handlers):
            handler(**kwargs)


class Events:
    """The locustfile's `events` (one set per load of the file)."""

    def __init__(self) -> None:
        for name in FIRED:
            setattr(self, name, EventHook())

    def __getattr__(self, name: str) -> Any:
        if name in _LOCUST_ONLY:
            raise LocustUnsupportedError(f"events.{name}", _LOCUST_ONLY[name])
        raise AttributeError(f"events has no hook {name!r} (surge fires: {', '.join(FIRED)})")


class Runner:
    """`environment.runner`: `quit()` ends the run; `user_count` is this process's users."""

    def __init__(self, environment: Environment) -> None:
        self._environment = environment
        self.user_count = 0
        self._quit: Callable[[], None] | None = None

    def quit(self) -> None:
        if self._quit is not None:
            self._quit()

    def __getattr__(self, name: str) -> Any:
        raise LocustUnsupportedError(f"environment.runner.{name}", "surge runs the load itself")


class Environment:
    """`self.environment`: host, parsed options (host, users, spawn rate, run time, tags),
    events and the runner."""

    def __init__(self, events: Events) -> None:
        self.events = events
        self.host: str | None = None
        self.catch_exceptions = True
        self.parsed_options = argparse.Namespace(
            host=None, num_users=None, spawn_rate=None, run_time=None, tags=None,
            exclude_tags=None, headless=True,
        )  # fmt: skip
        self.runner = Runner(self)
        self.user_classes: list[type] = []

    def __getattr__(self, name: str) -> Any:
        if name in ("stats", "web_ui", "shape_class", "dispatcher"):
            raise LocustUnsupportedError(
                f"environment.{name}", "surge's own reports and thresholds replace it"
            )
        raise AttributeError(f"environment has no attribute {name!r}")
