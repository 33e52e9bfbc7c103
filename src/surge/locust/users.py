"""Locust's user classes (`User`, `HttpUser`, `FastHttpUser`) and one user's life.

`live(cls, environment, rng)` is what a user's greenlet runs: create the user, `on_start`,
the task loop (Locust's, see tasks.py) until the user is stopped, then `on_stop`. A failed
`on_start` stops that user (the runtime tallies it, as surge does for its own users).
"""

from __future__ import annotations

import random
from typing import Any

from greenlet import GreenletExit

from surge.locust.bridge import Runtime, current_runtime
from surge.locust.client import HttpSession
from surge.locust.events import Environment
from surge.locust.exceptions import LocustError, StopTest, StopUser
from surge.locust.tasks import DefaultTaskSet, TaskHolderMeta


class UserMeta(TaskHolderMeta):
    """Gathers tasks; a class is concrete unless it sets `abstract = True` itself."""

    def __new__(mcs, name: str, bases: tuple[type, ...], namespace: dict[str, Any]) -> Any:
        if not namespace.get("abstract"):
            namespace["abstract"] = False
        return super().__new__(mcs, name, bases, namespace)


class User(metaclass=UserMeta):
    """A Locust user: tasks, a wait time, on_start/on_stop. No `client` (see HttpUser)."""

    host: str | None = None
    tasks: list[Any] = []
    weight: int = 1
    fixed_count: int = 0
    abstract = True

    def __init__(self, environment: Environment) -> None:
        self.environment = environment
        self._surge_rng = random.Random()
        self._surge_task_started: float | None = None

    def wait_time(self) -> float:
        """No wait between tasks unless the class sets one (Locust 2's default)."""
        return 0.0

    def on_start(self) -> None:
        """Runs once when the user starts."""

    def on_stop(self) -> None:
        """Runs once when the user stops."""

    def context(self) -> dict[str, Any]:
        """Extra `context` for events.request listeners."""
        return {}

    def stop(self, force: bool = False) -> None:
        raise StopUser()


class HttpUser(User):
    """A user with `self.client`: Locust's HTTP client API on surge's engine."""

    abstract = True

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        runtime = current_runtime()
        if runtime is None:
            raise LocustError(f"{type(self).__name__} can only be created by surge's runner")
        self.client = HttpSession(runtime.http_session(), self, environment.events)


class FastHttpUser(HttpUser):
    """Locust's FastHttpUser: the same client (surge's is the fast one); `rest()` included."""

    abstract = True
    network_timeout: float = 60.0
    connection_timeout: float = 60.0
    max_redirects: int = 5
    max_retries: int = 1
    insecure: bool = True
    default_headers: dict[str, str] | None = None
    concurrency: int = 10

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        if self.default_headers:
            self.client.headers.update(self.default_headers)

    def rest(
        self, method: str, url: str, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> Any:
        return self.client.rest(method, url, headers=headers, **kwargs)


def live(cls: type[User], environment: Environment, rng: random.Random, runtime: Runtime) -> None:
    """One user's life in its greenlet; see the module docstring."""
    name = cls.__name__
    try:
        user = cls(environment)
        user._surge_rng = rng
        runtime.user_created(user)
        user.on_start()
    except (StopUser, GreenletExit):
        return
    except StopTest:
        runtime.stop_run(f"StopTest raised in {name}.on_start")
        return
    except Exception as exc:  # the user's code: this user does not start
        runtime.start_failed(exc)
        return
    try:
        DefaultTaskSet(user).run()
    except GreenletExit:
        return  # abandoned: the run is over
    except StopUser:
        pass
    except StopTest:
        runtime.stop_run(f"StopTest raised in a task of {name}")
    try:
        user.on_stop()
    except (StopUser, GreenletExit):
        pass
    except Exception as exc:  # the user's code: counted
        runtime.script_error(f"{name}.on_stop", exc)
