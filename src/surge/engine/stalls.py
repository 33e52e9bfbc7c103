"""Naming the user code that blocks the event loop.

The heartbeat (workload.Heartbeat) is a 50 ms loop timer; the run guard's watchdog thread
(guard.py) reads its last beat. When the loop has stood still for `STALL_NS`, the watchdog looks
at what the main thread runs and blames the user's task or hook in it (`blame`); when the loop
turns again, the heartbeat measures how late it ran (`ended`), and a stall that was blamed on
user code is tallied under that name. Stalls nobody named (the engine's own work, a stall the
watchdog did not see: one shorter than its poll, or a run without the watchdog) are not tallied:
the loop-lag probe counts every stall, this names the ones a user can fix.
"""

from __future__ import annotations

from surge.metrics.values import LoopStall

STALL_NS = 100_000_000
"""A loop standing still this long (100 ms) is a stall worth naming."""


class StallTally:
    """Stalls blamed on user code, by place. `blame` runs on the watchdog thread, `ended` on
    the loop; a blame is one (beat, name) pair written at once, so no lock is needed."""

    __slots__ = ("_blamed", "_by_where")

    def __init__(self) -> None:
        self._blamed: tuple[int, str] | None = None
        self._by_where: dict[str, list[int]] = {}  # where -> [count, max_ns, total_ns]

    def blame(self, since_ns: int, where: str) -> None:
        """The loop has not turned since the beat at `since_ns`; `where` is holding it."""
        self._blamed = (since_ns, where)

    def ended(self, since_ns: int, late_ns: int) -> None:
        """The loop turned again after the beat at `since_ns`, its next beat `late_ns` late."""
        blamed = self._blamed
        if blamed is None or blamed[0] != since_ns or late_ns < STALL_NS // 2:
            return
        self._blamed = None
        tally = self._by_where.setdefault(blamed[1], [0, 0, 0])
        tally[0] += 1
        tally[1] = max(tally[1], late_ns)
        tally[2] += late_ns

    def value(self) -> tuple[LoopStall, ...]:
        """Every place that blocked the loop, longest stall first."""
        stalls = [
            LoopStall(where, count, max_ns / 1e6, total_ns / 1e6)
            for where, (count, max_ns, total_ns) in self._by_where.items()
        ]
        return tuple(sorted(stalls, key=lambda s: (-s.max_ms, s.where)))
