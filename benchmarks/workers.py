#!/usr/bin/env python3
"""Workers: does splitting the load over worker processes cost anything?

With the generator as the bottleneck (nginx pinned to CPU 0, surge pinned to CPU 1, so 1 or 2
workers share one core), it compares requests per generator CPU-second of `--workers 1`
(in-process) and `--workers 2` (coordinator + 2 worker processes): the merge and coordination
overhead is what the ratio loses. Requests are counted by nginx (stub_status); CPU time by psutil,
per process of surge's tree (polled every 100 ms), so the coordinator's own CPU during the load
phase can be set against the workers'. Then, unpinned, the time from starting `surge run` to the
first request nginx sees, for `--workers 1` and `--workers auto`.

    python benchmarks/workers.py --duration 10 --users 50

Needs nginx (Debian nginx-light) and taskset; reuses ../shared/bench/efficiency.py for nginx.
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil  # type: ignore[import-untyped]

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "bench" / "efficiency.py"


def _efficiency() -> Any:
    spec = importlib.util.spec_from_file_location("shared_efficiency", SHARED)
    if spec is None or spec.loader is None:
        sys.exit(f"workers: cannot load {SHARED}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass
class Tree:
    """CPU seconds per process of a process tree, from the latest poll of each."""

    root: int
    cpu_s: dict[int, float] = field(default_factory=dict)

    def poll(self) -> None:
        try:
            procs = [psutil.Process(self.root)]
            procs += procs[0].children(recursive=True)
        except psutil.NoSuchProcess:
            return
        for proc in procs:
            try:
                times = proc.cpu_times()
                self.cpu_s[proc.pid] = float(times.user + times.system)
            except psutil.NoSuchProcess:
                continue

    def coordinator_s(self) -> float:
        return self.cpu_s.get(self.root, 0.0)

    def others_s(self) -> float:
        return sum(v for pid, v in self.cpu_s.items() if pid != self.root)


def run_pinned(
    eff: Any, port: int, cmd: list[str], cpu: int, duration_s: float
) -> dict[str, float]:
    """Run `cmd` pinned to `cpu`; requests from nginx, CPU from polling the tree."""
    before = eff.handled(port)
    polls = 0
    proc = subprocess.Popen(
        ["taskset", "-c", str(cpu), *cmd], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    tree = Tree(proc.pid)
    # The load phase: from the first poll that sees requests to the last one that sees more.
    seen = 0
    first: tuple[int, float, float] | None = None  # (requests, coordinator s, tree s)
    last = (0, 0.0, 0.0)
    while proc.poll() is None:
        tree.poll()
        polls += 1
        count = eff.handled(port) - before - polls
        if count > seen:
            seen = count
            last = (count, tree.coordinator_s(), tree.coordinator_s() + tree.others_s())
            if first is None:
                first = last
        time.sleep(0.1)
    first = first or last
    requests = eff.handled(port) - before - polls - 1
    coordinator_s = tree.coordinator_s()
    workers_s = tree.others_s()
    return {
        "requests": requests,
        "rc": float(proc.returncode),
        "cpu_s": coordinator_s + workers_s,
        "coordinator_s": coordinator_s,
        "coordinator_load_s": last[1] - first[1],
        "workers_s": workers_s,
        "load_requests": last[0] - first[0],
        "load_cpu_s": last[2] - first[2],
    }


def first_request_s(eff: Any, port: int, cmd: list[str]) -> float:
    """Seconds from starting `cmd` to the first request nginx has served for it."""
    before = eff.handled(port)
    polls = 1
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while eff.handled(port) - before - polls <= 0:
            polls += 1
            if proc.poll() is not None or time.perf_counter() - t0 > 30:
                raise RuntimeError(f"no request from {cmd}")
            time.sleep(0.005)
        return time.perf_counter() - t0
    finally:
        proc.wait(60)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--repeat", type=int, default=2, help="rounds of the efficiency pair")
    ap.add_argument("--startups", type=int, default=5, help="start-up samples per setting")
    args = ap.parse_args()
    surge = shutil.which("surge") or sys.exit("surge is not installed (pip install -e .)")
    eff = _efficiency()
    nginx, port, folder = eff.start_nginx(0)
    url = f"http://127.0.0.1:{port}/"
    base = [surge, "run", url, "-u", str(args.users), "-q", "--no-store"]
    try:
        ratios: list[float] = []
        whole: list[float] = []
        for _ in range(args.repeat):
            rows = {}
            for workers in ("1", "2"):
                cmd = [*base, "-d", f"{args.duration}s", "--workers", workers]
                rows[workers] = row = run_pinned(eff, port, cmd, 1, args.duration)
                per_cpu = row["requests"] / row["cpu_s"]
                load_per_cpu = row["load_requests"] / row["load_cpu_s"]
                workers_load_s = row["load_cpu_s"] - row["coordinator_load_s"]
                share = row["coordinator_load_s"] / workers_load_s if workers == "2" else 0.0
                print(
                    f"--workers {workers}: {row['requests']:>9,.0f} req  cpu {row['cpu_s']:6.2f} s "
                    f"(coordinator {row['coordinator_s']:.2f} s, of which during load "
                    f"{row['coordinator_load_s']:.2f} s; workers {row['workers_s']:.2f} s)  "
                    f"{per_cpu:>9,.0f} req/cpu-s whole run, {load_per_cpu:>9,.0f} in the load "
                    f"phase; coordinator/workers in the load phase {share:.1%}  "
                    f"rc={row['rc']:.0f}",
                    flush=True,
                )
            one = rows["1"]["requests"] / rows["1"]["cpu_s"]
            two = rows["2"]["requests"] / rows["2"]["cpu_s"]
            load_one = rows["1"]["load_requests"] / rows["1"]["load_cpu_s"]
            load_two = rows["2"]["load_requests"] / rows["2"]["load_cpu_s"]
            ratios.append(load_two / load_one)
            whole.append(two / one)
            print(
                f"  2 workers / 1 worker, requests per generator CPU-second: load phase "
                f"{load_two / load_one:.3f}, whole run (start-up included) {two / one:.3f}"
            )
        print(
            f"ratio (median of {len(ratios)}): load phase {statistics.median(ratios):.3f}, "
            f"whole run {statistics.median(whole):.3f}"
        )
        for workers in ("1", "auto"):
            cmd = [*base, "-n", "1", "-u", "2", "--workers", workers]
            samples = [first_request_s(eff, port, cmd) for _ in range(args.startups)]
            print(
                f"start-up to first request, --workers {workers}: median "
                f"{statistics.median(samples):.3f} s (min {min(samples):.3f}, "
                f"max {max(samples):.3f}, {len(samples)} runs)"
            )
    finally:
        nginx.terminate()
        nginx.wait(5)
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
