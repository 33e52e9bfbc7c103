"""Memory growth of Python code, by allocation site, with `tracemalloc`.

For benchmarks of callables: does calling a handler a thousand times leave memory behind, and
where was it allocated?

    with MemoryTracker() as tracker:
        for _ in range(1000):
            handler()
        growth = tracker.growth()
    growth.total_bytes           # bytes still allocated since start (net of frees)
    growth.top[0].where          # "app/cache.py:42", the line that kept the most

Tracing slows allocations down (a few times for allocation-heavy code), so a benchmark measures
memory in its own pass, never in the timed one. A tracker started while tracemalloc already
traces (another tool, `python -X tracemalloc`) reuses that tracing and leaves it on at stop.
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Sequence
from dataclasses import dataclass

DEFAULT_TOP = 10

_IGNORED = (tracemalloc.__file__, __file__, "<frozen importlib._bootstrap>", "<unknown>")


@dataclass(frozen=True, slots=True)
class AllocationGrowth:
    """Net growth at one allocation site (`file:line`) between the start and a snapshot."""

    where: str
    size_bytes: int
    count: int


@dataclass(frozen=True, slots=True)
class MemoryGrowth:
    """Python-heap growth since the tracker started.

    `total_bytes` is the net change of traced memory (negative when more was freed than
    allocated); `peak_bytes` the highest traced size above the start; `top` the sites that grew
    most, largest first (sites that shrank are left out).
    """

    total_bytes: int
    peak_bytes: int
    top: tuple[AllocationGrowth, ...]


def _filtered(snapshot: tracemalloc.Snapshot) -> tracemalloc.Snapshot:
    return snapshot.filter_traces(
        [tracemalloc.Filter(inclusive=False, filename_pattern=path) for path in _IGNORED]
    )


class MemoryTracker:
    """Starts tracemalloc (`frames` deep per allocation), keeps a baseline snapshot, and reports
    growth against it; a context manager starts and stops it around a block."""

    def __init__(self, frames: int = 1) -> None:
        if frames < 1:
            raise ValueError(f"frames must be at least 1, got {frames}")
        self.frames = frames
        self._owns_tracing = False
        self._baseline: tracemalloc.Snapshot | None = None
        self._start_bytes = 0

    @property
    def running(self) -> bool:
        return self._baseline is not None

    def start(self) -> None:
        """Begin tracing (if nothing traces yet) and take the baseline."""
        if self._baseline is not None:
            raise RuntimeError("this MemoryTracker is already started")
        if not tracemalloc.is_tracing():
            tracemalloc.start(self.frames)
            self._owns_tracing = True
        tracemalloc.reset_peak()
        self._start_bytes = tracemalloc.get_traced_memory()[0]
        self._baseline = _filtered(tracemalloc.take_snapshot())

    def snapshot(self) -> tracemalloc.Snapshot:
        """The traced allocations now (tracemalloc's own and this module's left out)."""
        if self._baseline is None:
            raise RuntimeError("start the MemoryTracker before taking a snapshot")
        return _filtered(tracemalloc.take_snapshot())

    def growth(self, top: int = DEFAULT_TOP) -> MemoryGrowth:
        """Net growth since `start()`, with the `top` sites that grew most."""
        if self._baseline is None:
            raise RuntimeError("start the MemoryTracker before asking for its growth")
        current, peak = tracemalloc.get_traced_memory()
        stats = self.snapshot().compare_to(self._baseline, "lineno")
        return MemoryGrowth(
            total_bytes=current - self._start_bytes,
            peak_bytes=max(0, peak - self._start_bytes),
            top=sites(stats, top),
        )

    def stop(self) -> None:
        """Stop tracing if this tracker started it."""
        if self._owns_tracing and tracemalloc.is_tracing():
            tracemalloc.stop()
        self._owns_tracing = False
        self._baseline = None

    def __enter__(self) -> MemoryTracker:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def sites(
    stats: Sequence[tracemalloc.StatisticDiff], top: int = DEFAULT_TOP
) -> tuple[AllocationGrowth, ...]:
    """The `top` allocation sites that grew, largest growth first, as `file:line`."""
    grown = [stat for stat in stats if stat.size_diff > 0]
    grown.sort(key=lambda stat: (-stat.size_diff, str(stat.traceback)))
    out = []
    for stat in grown[:top]:
        frame = stat.traceback[0]
        out.append(
            AllocationGrowth(
                where=f"{frame.filename}:{frame.lineno}",
                size_bytes=stat.size_diff,
                count=stat.count_diff,
            )
        )
    return tuple(out)
