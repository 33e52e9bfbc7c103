#!/usr/bin/env python3
"""The engine alone, in steady state: requests per CPU-second of the load loop, and the open
model's schedule lag at a high offered rate. No command start-up, store or report is counted.

nginx (one worker, pinned to --server-cpu, the same configuration as
../shared/bench/efficiency.py) answers GET / with 12 bytes and counts the requests; this process
pins itself to --client-cpu and runs each load in-process for --duration seconds on uvloop:

- url:      URL mode, 50 users, closed model (the `surge run URL -u 50` path)
- scripted: 50 users of a class whose one task does `await self.http.get("/")`
- open:     URL mode in the open model at --rate arrivals per second: achieved rate, drops and
            the schedule lag p50/p99 (intended to actual send)
- wrk:      `wrk -t1 -c50`, pinned the same way, for reference (its rusage)

    python benchmarks/engine.py --duration 10 --rate 20000

Requests are nginx's count, CPU is this process's (time.process_time) over the load alone.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import ModuleType

import uvloop

from surge.engine.closed import ClosedDriver
from surge.engine.http import ClientConfig
from surge.engine.open import OpenDriver
from surge.engine.scripted import ScriptWorkload
from surge.engine.url import UrlWorkload
from surge.engine.workload import RunContext
from surge.metrics.recorder import Recorder
from surge.scenario import User, task
from surge.scenario.spec import EndpointSpec

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "bench" / "efficiency.py"
USERS = 50


class One(User):
    @task
    async def get(self) -> None:
        await self.http.get("/")


def shared() -> ModuleType:
    spec = importlib.util.spec_from_file_location("shared_efficiency", SHARED)
    assert spec is not None and spec.loader is not None, f"no {SHARED}"
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def measure(
    name: str, port: int, handled: Callable[[int], int], load: Callable[[], Awaitable[object]]
) -> tuple[int, float]:
    before, cpu0 = handled(port), time.process_time()
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(load())  # type: ignore[arg-type]
    cpu_s = time.process_time() - cpu0
    requests = handled(port) - before - 1
    print(
        f"{name:>9}: {requests:>9,} requests  cpu {cpu_s:6.2f} s  {requests / cpu_s:>9,.0f} req/cpu-s"
    )
    return requests, cpu_s


def closed(url: str, duration_s: float, scripted: bool) -> Callable[[], Awaitable[object]]:
    async def load() -> None:
        config = ClientConfig()
        work = (
            ScriptWorkload([One], base_url=url.rstrip("/"), config=config, class_of=lambda i: 0)
            if scripted
            else UrlWorkload(EndpointSpec("GET", url), config)
        )
        await ClosedDriver(users=USERS, duration_s=duration_s).run(work, RunContext(Recorder()))

    return load


def open_model(
    url: str, duration_s: float, rate: float, recorder: Recorder
) -> Callable[[], Awaitable[object]]:
    count = int(rate * duration_s)

    async def load() -> None:
        pace = lambda elapsed_s, k: k / rate - elapsed_s if k < count else None  # noqa: E731
        driver = OpenDriver(pace=pace, max_in_flight=10_000)
        await driver.run(
            UrlWorkload(EndpointSpec("GET", url), ClientConfig()), RunContext(recorder)
        )

    return load


def wrk(url: str, duration_s: float, cpu: int, port: int, handled: Callable[[int], int]) -> None:
    if not shutil.which("wrk"):
        print("      wrk: not installed (apt-get install wrk)")
        return
    before = handled(port)
    used0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cmd = ["taskset", "-c", str(cpu), "wrk", "-t1", f"-c{USERS}", f"-d{int(duration_s)}s", url]
    subprocess.run(cmd, check=True, capture_output=True)
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_s = used.ru_utime + used.ru_stime - used0.ru_utime - used0.ru_stime
    requests = handled(port) - before - 1
    print(
        f"{'wrk':>9}: {requests:>9,} requests  cpu {cpu_s:6.2f} s  {requests / cpu_s:>9,.0f} req/cpu-s"
    )


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--duration", type=float, default=10.0)
    ap.add_argument("--rate", type=float, default=20_000.0)
    ap.add_argument("--server-cpu", type=int, default=0)
    ap.add_argument("--client-cpu", type=int, default=1)
    ap.add_argument("--only", nargs="*", default=["wrk", "url", "scripted", "open"])
    args = ap.parse_args()
    bench = shared()
    nginx, port, folder = bench.start_nginx(args.server_cpu)
    os.sched_setaffinity(0, {args.client_cpu})
    url = f"http://127.0.0.1:{port}/"
    try:
        if "wrk" in args.only:
            wrk(url, args.duration, args.client_cpu, port, bench.handled)
        if "url" in args.only:
            measure("url", port, bench.handled, closed(url, args.duration, scripted=False))
        if "scripted" in args.only:
            measure("scripted", port, bench.handled, closed(url, args.duration, scripted=True))
        if "open" in args.only:
            recorder = Recorder()
            requests, cpu_s = measure(
                "open", port, bench.handled, open_model(url, args.duration, args.rate, recorder)
            )
            arrivals = recorder.snapshot(0.0, args.duration, 0).arrivals
            lag = arrivals.lag
            print(
                f"{'':>9}  offered {args.rate:,.0f}/s: achieved {requests / args.duration:,.0f}/s, "
                f"dropped {arrivals.dropped_total}, schedule lag p50 "
                f"{lag.value_at_percentile_us(50) / 1000:.3f} ms, p99 "
                f"{lag.value_at_percentile_us(99) / 1000:.3f} ms, max {lag.max_us / 1000:.3f} ms"
            )
    finally:
        nginx.terminate()
        nginx.wait(5)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
