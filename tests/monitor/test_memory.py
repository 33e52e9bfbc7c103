"""Memory growth by allocation site (tracemalloc): what a callable benchmark will report."""

from __future__ import annotations

import tracemalloc

import pytest

from surge.monitor.memory import MemoryTracker

_KEPT: list[bytes] = []


def _leak(n: int) -> None:
    for _ in range(n):
        _KEPT.append(bytes(10_000))  # the leaking line


def _no_leak(n: int) -> None:
    for _ in range(n):
        data = bytes(10_000)
        del data


def test_growth_points_at_the_leaking_line() -> None:
    _KEPT.clear()
    with MemoryTracker() as tracker:
        _leak(200)
        growth = tracker.growth()
    _KEPT.clear()
    assert 1_900_000 <= growth.total_bytes <= 2_400_000
    assert growth.peak_bytes >= growth.total_bytes
    top = growth.top[0]
    assert top.where.endswith(f"test_memory.py:{_leak.__code__.co_firstlineno + 2}")
    assert 1_900_000 <= top.size_bytes <= 2_100_000 and top.count >= 200


def test_no_leak_no_growth_but_a_peak() -> None:
    with MemoryTracker() as tracker:
        _no_leak(100)
        growth = tracker.growth()
    assert growth.total_bytes < 50_000
    assert growth.peak_bytes >= 10_000
    assert all(site.size_bytes < 50_000 for site in growth.top)


def test_tracing_is_stopped_only_by_the_tracker_that_started_it() -> None:
    assert not tracemalloc.is_tracing()
    with MemoryTracker():
        assert tracemalloc.is_tracing()
    assert not tracemalloc.is_tracing()
    tracemalloc.start()
    try:
        with MemoryTracker():
            pass
        assert tracemalloc.is_tracing()
    finally:
        tracemalloc.stop()


def test_misuse_is_an_error() -> None:
    tracker = MemoryTracker()
    with pytest.raises(RuntimeError):
        tracker.growth()
    with pytest.raises(ValueError):
        MemoryTracker(frames=0)
    with tracker, pytest.raises(RuntimeError):
        tracker.start()
