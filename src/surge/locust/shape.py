"""Locust's `LoadTestShape`, and the surge load shape that follows one.

A Locust shape's `tick()` returns `(user_count, spawn_rate)` (or None to stop) and reads the
time with `self.get_run_time()`. surge samples a shape once per second of the run
(surge.schedule.shapes); `adapt(cls)` makes a surge `LoadShape` whose `tick(elapsed_s)` sets
that time, calls the Locust shape, and moves the users toward its target by at most
`spawn_rate` per second, as Locust spawns and stops them.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

from surge.locust.exceptions import LocustUnsupportedError
from surge.scenario.shape import LoadShape


class LoadTestShape:
    """Subclass and define `tick()`; see the module docstring."""

    abstract: ClassVar[bool] = True
    use_common_options: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "abstract" not in cls.__dict__:
            cls.abstract = False

    def __init__(self) -> None:
        self._surge_elapsed_s = 0.0
        self._surge_users = 0
        self.runner: Any = None

    def reset_time(self) -> None:
        self._surge_elapsed_s = 0.0

    def get_run_time(self) -> float:
        return self._surge_elapsed_s

    def get_current_user_count(self) -> int:
        return self._surge_users

    def tick(self) -> tuple[int, float] | tuple[int, float, Any] | None:
        raise NotImplementedError(f"{type(self).__name__} must define tick()")


def adapt(cls: type[LoadTestShape]) -> type[LoadShape]:
    """A surge LoadShape class (users) following the Locust shape `cls`."""

    class Followed(LoadShape):
        kind = "users"

        def __init__(self) -> None:
            self.inner = cls()
            self.users = 0.0

        def tick(self, elapsed_s: float) -> float | None:
            inner = self.inner
            inner._surge_elapsed_s = elapsed_s
            inner._surge_users = int(self.users)
            result = inner.tick()
            if result is None:
                return None
            if not isinstance(result, tuple) or len(result) not in (2, 3):
                raise ValueError(f"tick() returned {result!r}: return (user_count, spawn_rate)")
            if len(result) == 3 and result[2]:
                raise LocustUnsupportedError(
                    "a load shape choosing user classes (tick() returning three values)",
                    "give the classes' shares with `weight` instead",
                )
            target, rate = float(result[0]), float(result[1])
            step = rate if rate > 0 and math.isfinite(rate) else math.inf
            if target > self.users:
                self.users = min(target, self.users + step)
            else:
                self.users = max(target, self.users - step)
            return self.users

    Followed.__name__ = Followed.__qualname__ = cls.__name__
    return Followed
