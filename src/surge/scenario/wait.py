"""Wait times: how long a virtual user pauses between two tasks.

`constant(1)`, `between(0.5, 2)` and `constant_pacing(2)` return frozen values implementing the
`WaitTime` protocol. Randomness comes from the `random.Random` the engine passes in (one per
user, seedable), never from the global generator.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Protocol, runtime_checkable


@runtime_checkable
class WaitTime(Protocol):
    """Computes the pause after a task; `iteration_s` is how long that task took."""

    def next_wait_s(self, iteration_s: float, rng: random.Random) -> float: ...


def _seconds(value: object, what: str, *, positive: bool = False) -> float:
    """`value` as a finite float of seconds, or a TypeError/ValueError naming `what`."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{what} must be a number of seconds, got {value!r}")
    seconds = float(value)
    if not math.isfinite(seconds):
        raise ValueError(f"{what} must be a finite number of seconds, got {value!r}")
    if seconds < 0 or (positive and seconds == 0):
        bound = "greater than 0" if positive else "0 or more"
        raise ValueError(f"{what} must be {bound} seconds, got {value!r}")
    return seconds


@dataclass(frozen=True, slots=True)
class ConstantWait:
    """Always waits `wait_s` after each task."""

    wait_s: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "wait_s", _seconds(self.wait_s, "constant(seconds)"))

    def next_wait_s(self, iteration_s: float, rng: random.Random) -> float:
        return self.wait_s

    @property
    def mean_wait_s(self) -> float | None:
        """The average pause; None when it depends on how long tasks take."""
        return self.wait_s

    @property
    def pacing_s(self) -> float | None:
        """The fixed interval between task starts; None unless the wait paces iterations."""
        return None


@dataclass(frozen=True, slots=True)
class BetweenWait:
    """Waits a uniformly random time in [`min_s`, `max_s`] after each task."""

    min_s: float
    max_s: float

    def __post_init__(self) -> None:
        min_s = _seconds(self.min_s, "between(min_s, max_s): min_s")
        max_s = _seconds(self.max_s, "between(min_s, max_s): max_s")
        if min_s > max_s:
            raise ValueError(
                f"between(min_s, max_s): min_s ({min_s:g}) must not exceed max_s ({max_s:g}); "
                "swap the arguments"
            )
        object.__setattr__(self, "min_s", min_s)
        object.__setattr__(self, "max_s", max_s)

    def next_wait_s(self, iteration_s: float, rng: random.Random) -> float:
        return rng.uniform(self.min_s, self.max_s)

    @property
    def mean_wait_s(self) -> float | None:
        """The average pause; None when it depends on how long tasks take."""
        return (self.min_s + self.max_s) / 2

    @property
    def pacing_s(self) -> float | None:
        """The fixed interval between task starts; None unless the wait paces iterations."""
        return None


@dataclass(frozen=True, slots=True)
class ConstantPacing:
    """Starts a task every `interval_s`: waits `interval_s - iteration_s` (never below 0)."""

    interval_s: float

    def __post_init__(self) -> None:
        interval_s = _seconds(self.interval_s, "constant_pacing(seconds)", positive=True)
        object.__setattr__(self, "interval_s", interval_s)

    def next_wait_s(self, iteration_s: float, rng: random.Random) -> float:
        return max(0.0, self.interval_s - iteration_s)

    @property
    def mean_wait_s(self) -> float | None:
        """The average pause; None when it depends on how long tasks take."""
        return None

    @property
    def pacing_s(self) -> float | None:
        """The fixed interval between task starts; None unless the wait paces iterations."""
        return self.interval_s


def constant(seconds: float) -> ConstantWait:
    """Wait exactly `seconds` after every task."""
    return ConstantWait(seconds)


def between(min_s: float, max_s: float) -> BetweenWait:
    """Wait a uniformly random time between `min_s` and `max_s` seconds after every task."""
    return BetweenWait(min_s, max_s)


def constant_pacing(seconds: float) -> ConstantPacing:
    """Start a task every `seconds` (if a task takes longer, the next starts at once)."""
    return ConstantPacing(seconds)


def pacing_s_of(wait_time: WaitTime | None) -> float | None:
    """The pacing interval of `wait_time` (None for non-pacing or custom wait times)."""
    pacing = getattr(wait_time, "pacing_s", None)
    if isinstance(pacing, bool) or not isinstance(pacing, int | float) or not pacing > 0:
        return None
    return float(pacing)
