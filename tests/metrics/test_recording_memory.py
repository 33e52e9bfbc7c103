"""What a recorder's endpoints hold in memory: 32-bit arrays, in memory from the start."""

from __future__ import annotations

import subprocess
import sys

_THOUSAND_ENDPOINTS = """
import random
from surge.metrics import Recorder

def rss_mib():
    return int(open("/proc/self/statm").read().split()[1]) * 4096 / 2**20

before = rss_mib()
recorder = Recorder()
rng = random.Random(1)
for k in range(1000):
    ep = recorder.endpoint("GET", f"/e{k}")
    for _ in range(5):
        latency = int(rng.lognormvariate(8.5, 0.8))
        ep.ok(latency, 200, 10)
        ep.timing(latency - 50, 30)
snap = recorder.snapshot(0.0, 1.0, 1)
assert sum(e.requests for e in snap.endpoints) == 5000
print(rss_mib() - before)
"""


def test_a_thousand_endpoints_hold_32_bit_arrays() -> None:
    """1,000 endpoints, open model (latency, service time and schedule lag each): 64-bit
    arrays were 3 x 192 KiB an endpoint, 583 MiB here; 32-bit ones take half."""
    out = subprocess.run(
        [sys.executable, "-c", _THOUSAND_ENDPOINTS],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    grew_mib = float(out.stdout.strip())
    assert grew_mib < 400, f"1,000 endpoints took {grew_mib:.0f} MiB"


_STALL = """
from surge.metrics import Recorder

def rss_mib():
    return int(open("/proc/self/statm").read().split()[1]) * 4096 / 2**20

recorder = Recorder()
endpoints = [recorder.endpoint("GET", f"/e{k}") for k in range(20)]
for ep in endpoints:
    ep.ok(900, 200, 10)
    ep.timing(850, 30)
recorder.snapshot(0.0, 1.0, 1)
before = rss_mib()
for ep in endpoints:  # a stall: one second's latencies spread from 1 ms to 1 s
    for latency in range(1_000, 1_000_000, 500):
        ep.ok(latency, 200, 10)
        ep.timing(latency - 50, latency)
recorder.snapshot(1.0, 2.0, 1)
print(rss_mib() - before)
"""


def test_a_stall_does_not_grow_a_small_run_s_memory() -> None:
    """20 endpoints (open model: 60 arrays, written whole when made): a second whose latencies
    spread over 1 ms - 1 s reaches no page that was not in memory already; with the pages of an
    anonymous mapping mapped on first write it grew 5 MiB at once."""
    out = subprocess.run(
        [sys.executable, "-c", _STALL], capture_output=True, text=True, timeout=120, check=True
    )
    grew_mib = float(out.stdout.strip())
    assert grew_mib < 1.5, f"the stall's second took {grew_mib:.1f} MiB"
