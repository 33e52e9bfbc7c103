"""Locust's wait-time functions: `between`, `constant`, `constant_pacing`, `constant_throughput`.

Each returns a function used as a method (`wait_time = between(1, 3)`, called as
`self.wait_time()`), as in Locust. Random waits use the user's own seeded generator (`--seed`
makes them reproducible). The functions carry `mean_wait_s`/`pacing_s` so that surge's reports
know the load a paced user offers.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

WaitFunc = Callable[[Any], float]


def _rng_of(instance: Any) -> Any:
    user = getattr(instance, "user", instance)
    return getattr(user, "_surge_rng", None)


def _number(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ValueError(f"{what} must be a number of seconds >= 0, got {value!r}")
    return float(value)


def between(min_wait: float, max_wait: float) -> WaitFunc:
    """Wait a uniformly random time between `min_wait` and `max_wait` seconds."""
    low, high = _number(min_wait, "between: min_wait"), _number(max_wait, "between: max_wait")

    def wait_time(instance: Any) -> float:
        rng = _rng_of(instance)
        draw = float(rng.random() if rng is not None else random.random())
        return low + draw * (high - low)

    wait_time.mean_wait_s = (low + high) / 2  # type: ignore[attr-defined]
    return wait_time


def constant(wait_time_s: float) -> WaitFunc:
    """Wait exactly `wait_time_s` seconds after every task."""
    seconds = _number(wait_time_s, "constant: wait_time")

    def wait_time(instance: Any) -> float:
        return seconds

    wait_time.mean_wait_s = seconds  # type: ignore[attr-defined]
    return wait_time


def constant_pacing(wait_time_s: float) -> WaitFunc:
    """Start a task every `wait_time_s` seconds at most (a slow task delays the next one)."""
    interval_s = _number(wait_time_s, "constant_pacing: wait_time")

    def wait_time(instance: Any) -> float:
        user = getattr(instance, "user", instance)
        started = getattr(user, "_surge_task_started", None)
        ran_s = 0.0 if started is None else time.perf_counter() - started
        return max(0.0, interval_s - ran_s)

    wait_time.pacing_s = interval_s  # type: ignore[attr-defined]
    return wait_time


def constant_throughput(task_runs_per_second: float) -> WaitFunc:
    """At most `task_runs_per_second` tasks per second per user (constant pacing)."""
    rate = _number(task_runs_per_second, "constant_throughput: task_runs_per_second")
    if rate == 0:
        raise ValueError("constant_throughput: task_runs_per_second must be greater than 0")
    return constant_pacing(1 / rate)
