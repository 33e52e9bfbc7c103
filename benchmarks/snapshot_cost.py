#!/usr/bin/env python3
"""What one second's snapshot costs the event loop, per number of endpoints.

Each second the run driver takes every endpoint's interval counters into a Snapshot, on the
event loop. The reference, measured in the same run, is how a snapshot read a dense counts
array before: all 24,576 buckets of each histogram converted (`Histogram.from_dense`) and a
fresh array allocated for the next second. The recorder now reads and clears only the buckets
between the second's smallest and largest value (`take_counts`).

    python benchmarks/snapshot_cost.py
    python benchmarks/snapshot_cost.py --endpoints 20 200 --per-endpoint 75
    python benchmarks/snapshot_cost.py --endpoints 20 --tail   # seconds with a tail, and the merge

With `--tail`, 1 % of each second's requests take 5-40 ms and one takes 0.6 s (a second's range
then spans about 10,000 buckets, as on a real run), and the table adds what the Aggregator's
merge of the snapshot into the run's totals costs (`Aggregator.add`) and what reading the totals
back costs as the run's sink does every second (`endpoints()`, `total()`, `live()`: the live
view, the dashboard and the abort thresholds): all run on the event loop once a second. Use
more `--seconds` to see the merge once the totals' range is covered (a long run's seconds).
"""

from __future__ import annotations

import argparse
import random
import time

from surge.metrics import Aggregator, Recorder
from surge.metrics.histogram import Histogram, new_counts


def _record_second(
    recorder: Recorder, rng: random.Random, endpoints: int, per: int, tail: bool = False
) -> None:
    for k in range(endpoints):
        ep = recorder.endpoint("GET", f"/e{k:03d}")
        for i in range(per):
            latency = int(rng.lognormvariate(7.0, 0.5))
            if tail and rng.random() < 0.01:
                latency = rng.randrange(5_000, 40_000)
            if tail and i == 0:
                latency = 600_000
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


def _median(values: list[float]) -> float:
    return sorted(values)[len(values) // 2]


def measure(
    endpoints: int, per: int, seconds: int, tail: bool = False
) -> tuple[float, float, float, float]:
    """Median seconds of: the dense reference, a snapshot, its `Aggregator.add`, and the
    reads of the totals that follow it."""
    rng = random.Random(1)
    recorder = Recorder()
    aggregator = Aggregator()
    aggregator.prepare()
    now, merged, reads = [], [], []
    for s in range(seconds):
        _record_second(recorder, rng, endpoints, per, tail)
        t0 = time.perf_counter()
        snap = recorder.snapshot(float(s), s + 1.0, 1)
        t1 = time.perf_counter()
        aggregator.add(snap)
        t2 = time.perf_counter()
        aggregator.endpoints(), aggregator.total(), aggregator.live()
        reads.append(time.perf_counter() - t2)
        merged.append(t2 - t1)
        now.append(t1 - t0)
    aggregator.close()
    before = [_dense_reference(endpoints) for _ in range(seconds)]
    return _median(before), _median(now), _median(merged), _median(reads)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoints", type=int, nargs="+", default=[1, 20, 200])
    parser.add_argument("--per-endpoint", type=int, default=75, help="requests a second each")
    parser.add_argument("--seconds", type=int, default=7)
    parser.add_argument("--tail", action="store_true", help="1 %% at 5-40 ms, one at 0.6 s")
    args = parser.parse_args()
    print("endpoints  dense (reference)  min..max window  ratio  Aggregator.add  reads")
    for endpoints in args.endpoints:
        before, now, merged, reads = measure(endpoints, args.per_endpoint, args.seconds, args.tail)
        print(
            f"{endpoints:>9}  {before * 1000:>14.1f} ms  {now * 1000:>12.2f} ms  "
            f"{before / now:>5.1f}x  {merged * 1000:>11.2f} ms  {reads * 1000:>5.2f} ms"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
