#!/usr/bin/env python3
"""User-space CPU instructions per request of the engine: a figure that a busy machine does not
move, for comparing two commits when wall-clock benchmarks are noise.

nginx (as in ../shared/bench/efficiency.py) answers GET / with 12 bytes. The engine sends
50 users x N requests (URL mode, or scripted users whose one task does one GET) in a child
process run under `valgrind --tool=callgrind`, once with N = 40 and once with N = 240; the
difference of the two instruction counts over the 10,000 extra requests is the engine's cost
per request, start-up and shutdown cancelled out. Kernel time (the syscalls, the same for
every HTTP/1.1 client that writes and reads once per request) is not counted.

    python benchmarks/instructions.py            # url and scripted
    python benchmarks/instructions.py scripted

Needs valgrind and nginx (Debian: valgrind, nginx-light). Takes a few minutes.
"""

from __future__ import annotations

import asyncio
import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "bench" / "efficiency.py"
USERS = 50
SMALL, LARGE = 40, 240


def _child(mode: str, per_user: int, port: int) -> None:
    import uvloop

    from surge.engine.closed import ClosedDriver
    from surge.engine.http import ClientConfig
    from surge.engine.scripted import ScriptWorkload
    from surge.engine.url import UrlWorkload
    from surge.engine.workload import RunContext, Workload
    from surge.metrics.recorder import Recorder
    from surge.scenario import User, task
    from surge.scenario.spec import EndpointSpec

    class One(User):
        @task
        async def get(self) -> None:
            await self.http.get("/")

    url = f"http://127.0.0.1:{port}/"
    config = ClientConfig()
    work: Workload = (
        UrlWorkload(EndpointSpec("GET", url), config)
        if mode == "url"
        else ScriptWorkload([One], base_url=url.rstrip("/"), config=config, class_of=lambda i: 0)
    )
    driver = ClosedDriver(users=USERS, iterations_per_user=per_user)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(driver.run(work, RunContext(Recorder())))


def _instructions(mode: str, per_user: int, port: int) -> int:
    cmd = [
        "valgrind",
        "--tool=callgrind",
        "--callgrind-out-file=/dev/null",
        sys.executable,
        __file__,
        "--child",
        mode,
        str(per_user),
        str(port),
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stderr
    found = re.search(r"Collected : (\d+)", out)
    assert found is not None, out[-2000:]
    return int(found.group(1))


def main() -> None:
    if sys.argv[1:2] == ["--child"]:
        _child(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
        return
    if not shutil.which("valgrind"):
        sys.exit("instructions: valgrind not found (apt-get install -y valgrind)")
    spec = importlib.util.spec_from_file_location("shared_efficiency", SHARED)
    assert spec is not None and spec.loader is not None, f"no {SHARED}"
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    nginx, port, folder = bench.start_nginx(0)
    try:
        for mode in sys.argv[1:] or ["url", "scripted"]:
            small = _instructions(mode, SMALL, port)
            large = _instructions(mode, LARGE, port)
            per_request = (large - small) / (USERS * (LARGE - SMALL))
            print(f"{mode:>9}: {per_request:,.0f} user-space instructions per request")
    finally:
        nginx.terminate()
        nginx.wait(5)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
