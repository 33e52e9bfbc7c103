#!/usr/bin/env python3
"""What surge adds to a fixed-delay server's latency, beside a minimal reference client measured
against the same server in the same run.

The server (benchmarks/exact_delay.py, in its own process pinned to --server-cpu) answers
GET /delay?ms=D at D ms exactly: it sleeps on a timerfd to shortly before the deadline and waits
out the rest on the clock, and prints how late its replies left, per client run (`--server test`
uses the test suite's asyncio server instead, whose loop timer answers up to a millisecond early
or late: that jitter is in both clients' figures). Each client sends --rate requests a second
for --duration seconds, open model, latency from the intended send time, pinned to --client-cpu:

- reference: a few dozen lines of uvloop — `loop.call_at` for every arrival, keep-alive
  connections from a pool, a Content-Length read — the floor a Python client can reach here;
- surge:     `surge run URL --rate R -d Ns` (the whole command: its JSON's percentiles,
  schedule lag p99 and event-loop lag max).

Printed: a table of p50/p99/p99.9/max minus D for both, surge's schedule-lag p50/p99 and loop-lag
max, the issue's targets under them, and the load average (the figures mean little on a busy
machine: re-run on a quiet one).

    python benchmarks/overhead.py --delay-ms 50 --rate 200 --duration 30
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import uvloop

ROOT = Path(__file__).resolve().parent.parent
SERVER = """
import sys, time
sys.path.insert(0, {tests!r})
from servers import HttpTestServer
with HttpTestServer() as server:
    print(server.port, flush=True)
    sys.stdin.read()
"""


class _Conn(asyncio.Protocol):
    """One keep-alive connection carrying one request at a time (responses have a length)."""

    def __init__(self, done: list[float], pool: list[_Conn]) -> None:
        self.done, self.pool = done, pool
        self.transport: asyncio.Transport | None = None
        self.intended = 0.0
        self.buffer = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        head, sep, body = self.buffer.partition(b"\r\n\r\n")
        if not sep:
            return
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        if len(body) < length:
            return
        self.done.append(time.perf_counter() - self.intended)
        self.buffer = b""
        self.pool.append(self)


async def reference(port: int, path: str, rate: float, duration_s: float) -> list[float]:
    loop = asyncio.get_running_loop()
    latencies: list[float] = []
    pool: list[_Conn] = []
    tasks: set[asyncio.Task[None]] = set()
    wire = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()
    count = int(rate * duration_s)
    start = loop.time() + 0.2
    offset = time.perf_counter() - loop.time()

    async def fresh(intended: float) -> None:
        _, conn = await loop.create_connection(lambda: _Conn(latencies, pool), "127.0.0.1", port)
        send(conn, intended)

    def send(conn: _Conn, intended: float) -> None:
        conn.intended = intended
        assert conn.transport is not None
        conn.transport.write(wire)

    def arrive(k: int) -> None:
        intended = start + k / rate + offset
        if pool:
            send(pool.pop(), intended)
        else:
            tasks.add(loop.create_task(fresh(intended)))

    for k in range(count):
        loop.call_at(start + k / rate, arrive, k)
    while len(latencies) < count and loop.time() < start + duration_s + 10:
        await asyncio.sleep(0.05)
    return latencies


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--delay-ms", type=float, default=50.0)
    ap.add_argument("--rate", type=float, default=200.0)
    ap.add_argument("--duration", type=float, default=30.0)
    ap.add_argument("--server-cpu", type=int, default=0)
    ap.add_argument("--client-cpu", type=int, default=1)
    ap.add_argument(
        "--server",
        choices=("exact", "test"),
        default="exact",
        help="exact: benchmarks/exact_delay.py (replies at the deadline, its lateness printed); "
        "test: the test suite's asyncio server (sleeps on the loop's millisecond timer)",
    )
    args = ap.parse_args()
    if args.server == "exact":
        code = [str(ROOT / "benchmarks" / "exact_delay.py"), "--delay-ms", f"{args.delay_ms:g}"]
    else:
        code = ["-c", SERVER.format(tests=str(ROOT / "tests"))]
    server = subprocess.Popen(
        ["taskset", "-c", str(args.server_cpu), sys.executable, *code],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    late: dict[str, dict[str, float]] = {}
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline())
        path = f"/delay?ms={args.delay_ms:g}"
        rows = {"reference": _reference(port, path, args)}
        late["reference"] = _server_lateness(server, args)
        rows["surge"] = _surge(port, path, args)
        late["surge"] = _server_lateness(server, args)
    finally:
        server.terminate()
        server.wait(5)
    _table(rows, args)
    if late.get("surge"):
        print("the server's own lateness (µs after the deadline its replies left), per client run:")
        for name, figures in late.items():
            print(f"  {name:>9}: " + ", ".join(f"{k} {v:g}" for k, v in figures.items()))


def _server_lateness(server: subprocess.Popen[str], args: argparse.Namespace) -> dict[str, float]:
    """The exact server's figures since the last call (empty for the test server)."""
    if args.server != "exact":
        return {}
    assert server.stdin is not None and server.stdout is not None
    server.stdin.write("stats\n")
    server.stdin.flush()
    figures: dict[str, float] = json.loads(server.stdout.readline())
    return figures


TARGETS = {"p99": 1.0, "p99.9": 3.0, "sched p99": 0.5, "loop max": 5.0}
"""Issue 19's targets on a quiet machine: ms over the delay, surge's schedule lag and loop lag."""


def _table(rows: dict[str, tuple[Any, ...]], args: argparse.Namespace) -> None:
    delay = args.delay_ms
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"{args.rate:g}/s for {args.duration:g} s against a {delay:g} ms server "
        f"(load average {load}); ms over the delay:"
    )
    head = ("client", "p50", "p99", "p99.9", "max")
    head += ("sched p50", "sched p99", "loop max", "requests")
    print(" | ".join(f"{h:>10}" for h in head))
    for name, (p50, p99, p999, top, sched50, sched, loop, count) in rows.items():
        cells = [f"{v - delay:+.2f}" for v in (p50, p99, p999, top)]
        cells += ["-" if v is None else f"{v:.3f}" for v in (sched50, sched, loop)]
        print(" | ".join(f"{c:>10}" for c in (name, *cells, f"{count:,}")))
    cells = ["-", f"<= +{TARGETS['p99']:g}", f"<= +{TARGETS['p99.9']:g}", "-"]
    cells += ["-", f"<= {TARGETS['sched p99']:g}", f"<= {TARGETS['loop max']:g}", "-"]
    print(" | ".join(f"{c:>10}" for c in ("target", *cells)))
    ref, mine = rows["reference"], rows["surge"]
    print(
        f"surge - reference: p99 {mine[1] - ref[1]:+.2f} ms, p99.9 {mine[2] - ref[2]:+.2f} ms "
        "(the targets are for surge over the delay, on a quiet machine)"
    )


def _reference(port: int, path: str, args: argparse.Namespace) -> tuple[float, ...]:
    os.sched_setaffinity(0, {args.client_cpu})
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        seconds = runner.run(reference(port, path, args.rate, args.duration))
    ms = [s * 1000 for s in seconds]
    return (_pct(ms, 50), _pct(ms, 99), _pct(ms, 99.9), max(ms), None, None, None, len(ms))


def _surge(port: int, path: str, args: argparse.Namespace) -> tuple[float, ...]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "r.json"
        cmd = [
            "taskset", "-c", str(args.client_cpu), sys.executable, "-m", "surge", "run",
            f"http://127.0.0.1:{port}{path}", "--rate", f"{args.rate:g}",
            "-d", f"{args.duration:g}s", "--out", str(out), "-q", "--no-store",
            "--allow-saturated", "--threshold", "dropped_rate<=100%",
        ]  # fmt: skip
        subprocess.run(cmd, cwd=tmp, check=False, capture_output=True)
        doc = json.loads(out.read_text())
    summary = doc["summary"]
    latency = summary["latency_ms"]
    return (
        latency["p50"],
        latency["p99"],
        latency["p999"],
        latency["max"],
        summary["load"]["schedule_lag_ms"]["p50"],
        summary["load"]["schedule_lag_ms"]["p99"],
        summary["generator"]["loop_lag_max_ms"],
        summary["requests"],
    )


if __name__ == "__main__":
    main()
