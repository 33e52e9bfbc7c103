"""What a recorder's endpoints hold in memory: the pages their values reached, not whole arrays."""

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


def test_a_thousand_endpoints_hold_the_pages_they_used() -> None:
    """1,000 endpoints, open model (latency, service time and schedule lag each): whole dense
    arrays were 3 x 192 KiB an endpoint, 580 MiB here; only the touched pages count now."""
    out = subprocess.run(
        [sys.executable, "-c", _THOUSAND_ENDPOINTS],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    grew_mib = float(out.stdout.strip())
    assert grew_mib < 150, f"1,000 endpoints took {grew_mib:.0f} MiB"


_FORKED = """
import os
from surge.metrics import Recorder

recorder = Recorder()
ep = recorder.endpoint("GET", "/a")
ep.ok(1_000, 200, 10)
pid = os.fork()
if pid == 0:  # the child: record a thousand values, then leave at once
    for value in range(900, 1_900):
        ep.ok(value, 200, 10)
    os._exit(0)
_, status = os.waitpid(pid, 0)
assert os.waitstatus_to_exitcode(status) == 0
ep.ok(2_000, 200, 10)
latency = recorder.snapshot(0.0, 1.0, 1).endpoints[0].latency
print(latency.total, int(latency.counts.sum()))
"""


def test_a_forked_worker_records_into_its_own_copy() -> None:
    """The recording arrays are private mappings: what a forked child records is not seen by
    the parent (local workers are forked; a fork in a process of its own, away from pytest's
    threads)."""
    out = subprocess.run(
        [sys.executable, "-c", _FORKED], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.split() == ["2", "2"]


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
    """20 endpoints (open model: 60 arrays, in the first mapping, written whole when made): a
    second whose latencies spread over 1 ms - 1 s reaches no page that was not in memory
    already; with every page mapped on first use it grew 4-5 MiB at once."""
    out = subprocess.run(
        [sys.executable, "-c", _STALL], capture_output=True, text=True, timeout=120, check=True
    )
    grew_mib = float(out.stdout.strip())
    assert grew_mib < 1.5, f"the stall's second took {grew_mib:.1f} MiB"
