#!/usr/bin/env python3
"""What one second's snapshot costs the event loop, per number of endpoints.

Each second the run driver takes every endpoint's interval counters into a Snapshot, on the
event loop. The reference, measured in the same run, is how a snapshot read a dense counts
array before: all 24,576 buckets of each histogram converted (`Histogram.from_dense`) and a
fresh array allocated for the next second. The recorder now reads and clears only the buckets
between the second's smallest and largest value (`take_counts`).

    python benchmarks/snapshot_cost.py
    python benchmarks/snapshot_cost.py --endpoints 20 200 --per-endpoint 75
"""

from __future__ import annotations

import argparse
import random
import time

from surge.metrics import Recorder
from surge.metrics.histogram import Histogram, new_counts


def _record_second(recorder: Recorder, rng: random.Random, endpoints: int, per: int) -> None:
    for k in range(endpoints):
        ep = recorder.endpoint("GET", f"/e{k:03d}")
        for _ in range(per):
            latency = int(rng.lognormvariate(7.0, 0.5))
            ep.ok(latency, 200, 100)
            ep.timing(latency - 50, 50 + rng.randrange(200))


def _dense_reference(endpoints: int) -> float:
    """Seconds per snapshot the old way: three dense histograms an endpoint, each converted
    whole and replaced by a fresh array."""
    counts = [new_counts() for _ in range(3 * endpoints)]
    t0 = time.perf_counter()
    for i in range(len(counts)):
        counts[i][1234] = 3
        Histogram.from_dense(counts[i], 1000, 1000, 3000)
        counts[i] = new_counts()
    return time.perf_counter() - t0


def measure(endpoints: int, per: int, seconds: int) -> tuple[float, float]:
    rng = random.Random(1)
    recorder = Recorder()
    now = []
    for s in range(seconds):
        _record_second(recorder, rng, endpoints, per)
        t0 = time.perf_counter()
        recorder.snapshot(float(s), s + 1.0, 1)
        now.append(time.perf_counter() - t0)
    before = [_dense_reference(endpoints) for _ in range(seconds)]
    return sorted(before)[len(before) // 2], sorted(now)[len(now) // 2]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoints", type=int, nargs="+", default=[1, 20, 200])
    parser.add_argument("--per-endpoint", type=int, default=75, help="requests a second each")
    parser.add_argument("--seconds", type=int, default=7)
    args = parser.parse_args()
    print("endpoints  dense (reference)  min..max window  ratio")
    for endpoints in args.endpoints:
        before, now = measure(endpoints, args.per_endpoint, args.seconds)
        print(
            f"{endpoints:>9}  {before * 1000:>14.1f} ms  {now * 1000:>12.2f} ms  "
            f"{before / now:>5.1f}x"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
