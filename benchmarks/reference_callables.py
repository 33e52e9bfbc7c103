"""The reference callables of benchmarks/callables.py: plain Python, importable by surge, pyperf
and pytest-benchmark alike (no surge import here)."""

from __future__ import annotations

import json
import time

# json.dumps(PAYLOAD_1KB) is 1,052 bytes
PAYLOAD_1KB = {
    f"key{i:02d}": {"id": i, "name": f"item number {i}", "tags": ["a", "b"]} for i in range(16)
}
INTS = list(range(1000))


def spin(ns: int) -> None:
    """Busy-wait exactly `ns` nanoseconds of perf_counter_ns (the truth of the accuracy test)."""
    end = time.perf_counter_ns() + ns
    while time.perf_counter_ns() < end:
        pass


def spin_50us() -> None:
    spin(50_000)


def spin_1ms() -> None:
    spin(1_000_000)


def spin_55us() -> None:
    spin(55_000)


def sum_1000() -> int:
    return sum(INTS)


def json_1kb() -> str:
    return json.dumps(PAYLOAD_1KB)


def empty() -> None:
    return None


REFERENCE = {"sum_1000": sum_1000, "json_1kb": json_1kb, "empty": empty}
