#!/usr/bin/env python3
"""Open-model pacing without spinning: CPU per request at several offered rates, as a ratio
against the lowest, and the schedule's timer wake-ups per second.

nginx (one worker, pinned to --server-cpu; see engine.py) answers GET /; this process pins
itself to --client-cpu and runs URL mode in the open model in-process on uvloop at each rate
for --duration seconds. A scheduler that slept for less than the loop's timer resolution would
spin (uvloop turns a sub-millisecond timer into an immediate callback): its CPU per request
would grow with the rate, and its wake-ups would run to hundreds of thousands a second.

    python benchmarks/pacing.py --duration 5 --rates 1000 2000 5000

CPU is this process's (time.process_time) over the load alone; requests are nginx's count.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

import uvloop

sys.path.insert(0, str(Path(__file__).resolve().parent))

from engine import shared
from surge.engine.http import ClientConfig
from surge.engine.open import OpenDriver
from surge.engine.url import UrlWorkload
from surge.engine.workload import RunContext
from surge.metrics.recorder import Recorder
from surge.scenario.spec import EndpointSpec


def one_rate(url: str, rate: float, duration_s: float) -> tuple[float, int, float, float]:
    """(CPU seconds, arrivals scheduled, wake-ups per second, lag p99 ms) at `rate`."""
    count = int(rate * duration_s)
    recorder = Recorder()
    driver = OpenDriver(
        pace=lambda elapsed_s, k: k / rate - elapsed_s if k < count else None,
        max_in_flight=10_000,
    )

    async def load() -> None:
        work = UrlWorkload(EndpointSpec("GET", url), ClientConfig())
        await driver.run(work, RunContext(recorder))

    cpu0, wall0 = time.process_time(), time.perf_counter()
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(load())
    cpu_s, wall_s = time.process_time() - cpu0, time.perf_counter() - wall0
    arrivals = recorder.snapshot(0.0, wall_s, 0).arrivals
    lag_ms = arrivals.lag.value_at_percentile_us(99) / 1000 if arrivals.lag.total else 0.0
    return cpu_s, arrivals.scheduled, driver.wakeups / wall_s, lag_ms


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--duration", type=float, default=5.0)
    ap.add_argument("--rates", type=float, nargs="+", default=[1000.0, 2000.0, 5000.0])
    ap.add_argument("--server-cpu", type=int, default=0)
    ap.add_argument("--client-cpu", type=int, default=1)
    args = ap.parse_args()
    bench = shared()
    nginx, port, _ = bench.start_nginx(args.server_cpu)
    os.sched_setaffinity(0, {args.client_cpu})
    url = f"http://127.0.0.1:{port}/"
    try:
        reference = 0.0
        print(f"{'rate':>7}  {'requests':>9}  {'CPU µs/req':>10}  {'ratio':>6}  "
              f"{'wake-ups/s':>10}  {'lag p99':>8}")  # fmt: skip
        for rate in args.rates:
            before = bench.handled(port)
            cpu_s, scheduled, wakeups_per_s, lag_ms = one_rate(url, rate, args.duration)
            requests = bench.handled(port) - before - 1
            per_request_us = cpu_s / max(requests, 1) * 1e6
            reference = reference or per_request_us
            print(
                f"{rate:>7,.0f}  {requests:>9,}  {per_request_us:>10.1f}  "
                f"{per_request_us / reference:>5.2f}x  {wakeups_per_s:>10,.0f}  {lag_ms:>5.2f} ms"
            )
            if requests < scheduled * 0.99:
                print(f"         (only {requests:,} of {scheduled:,} arrivals were served)")
    finally:
        nginx.terminate()
        nginx.wait(5)


if __name__ == "__main__":
    main()
