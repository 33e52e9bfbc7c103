#!/usr/bin/env python3
"""How late (or early) a wake-up comes after its deadline on uvloop: `asyncio.sleep`,
`loop.call_at`, and a Linux timerfd (CLOCK_MONOTONIC, absolute deadline in nanoseconds,
registered with `loop.add_reader`, as `surge.engine.wake` does), interleaved in one run so that
a busy machine affects the three alike. Linux only.

    taskset -c 1 python benchmarks/wake.py --waits 3000

Printed per timer: the share of wake-ups before the deadline, and microseconds after it at
p50/p90/p99, the latest and the earliest (negative: early).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import time
from collections.abc import Callable

import uvloop

from surge.engine.wake import TimerfdWaker

KINDS = ("sleep", "call_at", "timerfd")


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]


async def measure(waits: int, min_us: int, max_us: int) -> dict[str, list[float]]:
    loop = asyncio.get_running_loop()
    waker = TimerfdWaker(loop)
    late_us: dict[str, list[float]] = {kind: [] for kind in KINDS}
    rnd = random.Random(1)

    async def call_at(deadline_ns: int) -> None:
        done = loop.create_future()
        set_result: Callable[[None], None] = done.set_result
        loop.call_at(loop.time() + (deadline_ns - time.perf_counter_ns()) / 1e9, set_result, None)
        await done

    async def sleep(deadline_ns: int) -> None:
        await asyncio.sleep((deadline_ns - time.perf_counter_ns()) / 1e9)

    wait = {"sleep": sleep, "call_at": call_at, "timerfd": waker.sleep_until}
    try:
        for i in range(waits):
            kind = KINDS[i % len(KINDS)]
            deadline_ns = time.perf_counter_ns() + rnd.randint(min_us, max_us) * 1000
            await wait[kind](deadline_ns)
            late_us[kind].append((time.perf_counter_ns() - deadline_ns) / 1000)
    finally:
        waker.close()
    return late_us


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--waits", type=int, default=3000)
    ap.add_argument("--min-us", type=int, default=300, help="shortest wait")
    ap.add_argument("--max-us", type=int, default=5000, help="longest wait")
    args = ap.parse_args()
    late_us = uvloop.run(measure(args.waits, args.min_us, args.max_us))
    head = ("early %", "p50 us", "p90 us", "p99 us", "max", "min")
    print(f"{'timer':8} " + " ".join(f"{h:>8}" for h in head))
    for kind, values in late_us.items():
        early = sum(v < 0 for v in values) / len(values) * 100
        cells = [_pct(values, 50), _pct(values, 90), _pct(values, 99), max(values), min(values)]
        print(f"{kind:8} {early:8.1f} " + " ".join(f"{c:8.0f}" for c in cells))


if __name__ == "__main__":
    main()
