"""The open model's pool of idle virtual users of one class: last in, first out, and released
when not needed.

An arrival takes the user that went idle most recently, so the users in use are as few as the
concurrency needs: the same handful carry a steady load, and their connections and caches stay
warm. The users at the bottom of the stack are the ones a burst (a stalled server, a generator
that fell behind) made; a user idle for longer than `release_s` has not been needed for that
long, so it is handed back to be stopped (`on_stop`, then its connections closed). The pool
therefore follows the concurrency of the last `release_s` seconds instead of keeping the highest
it ever reached, and the memory of a long run does not creep up with each burst.

The clock is the caller's (`perf_counter_ns` values): `put` stamps a user, `expired` compares.
"""

from __future__ import annotations

from collections import deque
from typing import Generic, TypeVar

IDLE_RELEASE_S = 30.0
"""A pooled user idle this long is stopped; the next burst makes new ones."""

T = TypeVar("T")


class IdlePool(Generic[T]):
    """Idle users, most recently idle on top; see the module docstring."""

    __slots__ = ("_idle", "release_ns")

    def __init__(self, release_s: float = IDLE_RELEASE_S) -> None:
        if release_s < 0:
            raise ValueError(f"release_s must be at least 0 (got {release_s})")
        self.release_ns = int(release_s * 1e9)
        self._idle: deque[tuple[T, int]] = deque()  # (user, idle since), oldest on the left

    def __len__(self) -> int:
        return len(self._idle)

    def take(self) -> T | None:
        """The user that went idle last (None: none is idle)."""
        return self._idle.pop()[0] if self._idle else None

    def put(self, user: T, now_ns: int) -> None:
        self._idle.append((user, now_ns))

    def expired(self, now_ns: int) -> list[T]:
        """Remove and return the users idle for longer than `release_s` at `now_ns`."""
        idle, horizon_ns = self._idle, now_ns - self.release_ns
        out: list[T] = []
        while idle and idle[0][1] < horizon_ns:
            out.append(idle.popleft()[0])
        return out

    def stale(self, now_ns: int) -> bool:
        """Whether `expired(now_ns)` would return anyone (cheap: looks at the oldest)."""
        return bool(self._idle) and self._idle[0][1] < now_ns - self.release_ns

    def drain(self) -> list[T]:
        """Remove and return every idle user (the run is over)."""
        out = [user for user, _ in self._idle]
        self._idle.clear()
        return out
