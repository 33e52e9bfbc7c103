#!/usr/bin/env python3
"""Open-model honesty and overhead, measured with the real `surge run` against the test server.

1. Overhead: a server that answers every request after a fixed delay, at a fixed rate; what
   surge adds on top of the delay (p50/p99/max minus the delay).
2. Stall: a server that holds every response during the last `stall` seconds of each `period`;
   the open model's p90/p95/p99 against the values derived from the stall (an arrival u seconds
   into a stall waits stall - u, so L_q = stall - (1 - q) * period), and a closed-model run
   against the same server for comparison (coordinated omission).

    python benchmarks/open_model.py
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from servers import HttpTestServer  # noqa: E402


def surge(*args: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "r.json"
        cmd = [sys.executable, "-m", "surge", "run", *args, "--out", str(out), "-q"]
        subprocess.run(cmd, cwd=tmp, check=False, capture_output=True)
        data: dict[str, Any] = json.loads(out.read_text())
        return data


def overhead(server: HttpTestServer, delay_ms: float, rate: float, duration_s: float) -> None:
    server.reset()
    server.delay_ms = delay_ms
    doc = surge(f"{server.url}/ok", "--rate", str(rate), "-d", f"{duration_s}s")
    lat = doc["summary"]["latency_ms"]
    lag = doc["summary"]["schedule_lag_ms"]
    print(
        f"fixed delay {delay_ms:g} ms at {rate:g}/s for {duration_s:g}s: "
        f"{doc['summary']['requests']} requests"
    )
    for key in ("p50", "p99", "max"):
        print(f"  latency {key}: {lat[key]:.3f} ms (overhead {lat[key] - delay_ms:+.3f} ms)")
    print(f"  schedule lag p99: {lag['p99']:.3f} ms")


def stall(
    server: HttpTestServer, period_s: float, stall_s: float, rate: float, periods: int
) -> None:
    duration_s = period_s * periods
    server.reset()
    server.stall(period_s, stall_s)
    doc = surge(f"{server.url}/ok", "--rate", str(rate), "-d", f"{duration_s:g}s")
    print(
        f"stall {stall_s:g}s every {period_s:g}s, {rate:g}/s for {duration_s:g}s: "
        f"{doc['summary']['requests']} requests (expected {rate * duration_s:.0f}), "
        f"server counted {server.requests_total}"
    )
    lat = doc["summary"]["latency_ms"]
    for key, q in (("p90", 0.90), ("p95", 0.95), ("p99", 0.99)):
        expected_ms = max(stall_s - (1 - q) * period_s, 0.0) * 1000
        error = (lat[key] - expected_ms) / expected_ms * 100
        print(f"  open {key}: {lat[key]:.1f} ms, analytic {expected_ms:.1f} ms ({error:+.1f}%)")
    server.reset()
    server.stall(period_s, stall_s)
    closed = surge(f"{server.url}/ok", "-u", "10", "-d", f"{duration_s:g}s")
    clat = closed["summary"]["latency_ms"]
    print(
        f"  closed model, 10 users, same server: {closed['summary']['requests']} requests, "
        f"p90 {clat['p90']:.1f} ms, p95 {clat['p95']:.1f} ms, p99 {clat['p99']:.1f} ms"
    )


def main() -> None:
    with HttpTestServer() as server:
        overhead(server, delay_ms=20, rate=500, duration_s=5)
        stall(server, period_s=2.0, stall_s=0.5, rate=200, periods=3)


if __name__ == "__main__":
    main()
