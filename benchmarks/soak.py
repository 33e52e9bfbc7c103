#!/usr/bin/env python3
"""Generator memory over a long run: RSS of `surge run` sampled while it holds a fixed rate.

A scripted scenario spreads `--rate` task iterations per second over `--endpoints` named
endpoints (one request each) against the test server on 127.0.0.1; the script samples the
resident set size of the surge process tree every `--every` seconds and reports the growth after
the warm-up: (highest sample after warm-up - the sample at the end of warm-up) / that sample.
It writes the samples as JSON and an SVG chart of them (drawn with surge's own HTML charts).

    python benchmarks/soak.py                         # the 30-minute figure in docs/benchmarks.md
    python benchmarks/soak.py --duration 5m --warmup 30s --out-dir /tmp/soak

The server runs in this process, pinned to `--server-cpus`; surge runs under `taskset -c
--surge-cpus` so the two do not share a core (on a busy machine the figure is still a ratio of
surge against itself, which is what the growth is).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from servers import HttpTestServer  # noqa: E402
from surge.report.html.svg import LineChart, Series, line_chart  # noqa: E402
from surge.report.html.units import Unit  # noqa: E402
from surge.schedule import parse_duration  # noqa: E402


def scenario_text(endpoints: int) -> str:
    """One User class with one task per endpoint, each a GET named /eNN."""
    lines = ["import surge", "", "", "class Soak(surge.User):"]
    for k in range(endpoints):
        lines += [
            "    @surge.task",
            f"    async def e{k:02d}(self) -> None:",
            f'        await self.http.get("/ok?e={k}", name="/e{k:02d}")',
            "",
        ]
    return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class Sample:
    t_s: float
    rss_bytes: int
    connections: int  # connections the server accepted so far (virtual users opened them)


def tree_rss(process: psutil.Process) -> int:
    """RSS of a process and its children (the workers of --workers N)."""
    total = 0
    for proc in [process, *process.children(recursive=True)]:
        try:
            total += proc.memory_info().rss
        except psutil.Error:
            continue
    return total


def sample_until_exit(
    proc: subprocess.Popen[bytes], server: HttpTestServer, every_s: float, limit_s: float
) -> list[Sample]:
    """RSS every `every_s` seconds (absolute times, no drift) until the process exits."""
    watched = psutil.Process(proc.pid)
    t0 = time.monotonic()
    samples: list[Sample] = []
    k = 0
    while proc.poll() is None and time.monotonic() - t0 < limit_s:
        try:
            rss = tree_rss(watched)
        except psutil.Error:
            break
        samples.append(Sample(round(time.monotonic() - t0, 2), rss, server.connections_total))
        k += 1
        time.sleep(max(0.0, t0 + k * every_s - time.monotonic()))
    return samples


@dataclass(frozen=True, slots=True)
class Growth:
    """RSS growth after the warm-up, from the samples taken during the load."""

    warm_rss_bytes: int
    peak_rss_bytes: int
    last_rss_bytes: int
    growth_pct: float
    slope_kib_per_min: float


def growth(samples: list[Sample], warmup_s: float, load_end_s: float) -> Growth:
    """Samples between the end of warm-up and the end of the load phase (the final result is
    built after it, and the process exits)."""
    live = [s for s in samples if warmup_s <= s.t_s <= load_end_s]
    if len(live) < 2:
        raise SystemExit(f"only {len(live)} samples after the warm-up: run longer")
    warm = live[0].rss_bytes
    peak = max(s.rss_bytes for s in live)
    slope = statistics.linear_regression([s.t_s for s in live], [s.rss_bytes for s in live]).slope
    return Growth(
        warm_rss_bytes=warm,
        peak_rss_bytes=peak,
        last_rss_bytes=live[-1].rss_bytes,
        growth_pct=100.0 * (peak - warm) / warm,
        slope_kib_per_min=slope * 60 / 1024,
    )


def chart(samples: list[Sample], warmup_s: float, title: str) -> str:
    figure = line_chart(
        LineChart(
            title=title,
            xs=[s.t_s for s in samples],
            series=[Series("RSS of the surge process tree", [s.rss_bytes for s in samples])],
            x_unit=Unit.SECONDS,
            y_unit=Unit.BYTES,
            note=f"warm-up: first {warmup_s:g} s",
        )
    )
    return f"<!doctype html><meta charset=utf-8><title>{title}</title>{figure}\n"


def run(args: argparse.Namespace) -> int:
    duration_s = parse_duration(args.duration)
    warmup_s = parse_duration(args.warmup)
    out_dir = Path(args.out_dir or tempfile.mkdtemp(prefix="surge-soak-"))
    out_dir.mkdir(parents=True, exist_ok=True)
    if args.server_cpus:
        os.sched_setaffinity(0, {int(c) for c in args.server_cpus.split(",")})
    (out_dir / "soak_scenario.py").write_text(scenario_text(args.endpoints))
    with HttpTestServer() as server:
        cmd = [sys.executable, "-m", "surge", "run", "soak_scenario.py", "--host", server.url]
        cmd += ["--rate", str(args.rate), "-d", f"{duration_s:g}s", "--no-store", "-q"]
        cmd += ["--out", "result.json", *(["--workers", args.workers] if args.workers else [])]
        if args.max_in_flight:
            cmd += ["--max-in-flight", str(args.max_in_flight)]
        if args.surge_cpus and shutil.which("taskset"):
            cmd = ["taskset", "-c", args.surge_cpus, *cmd]
        print("$", " ".join(cmd), flush=True)
        proc = subprocess.Popen(cmd, cwd=out_dir)
        samples = sample_until_exit(proc, server, args.every, duration_s + 600)
        code = proc.wait()
    if not (out_dir / "result.json").exists():
        raise SystemExit(f"surge exited with code {code} and wrote no result")
    result = json.loads((out_dir / "result.json").read_text())
    g = growth(samples, warmup_s, duration_s)
    mib = 1024 * 1024
    print(f"exit code {code}; {result['summary']['requests']} requests; samples {len(samples)}")
    print(f"RSS at the end of warm-up ({warmup_s:g} s): {g.warm_rss_bytes / mib:.1f} MiB")
    print(f"RSS peak after warm-up: {g.peak_rss_bytes / mib:.1f} MiB")
    print(f"RSS at the end of the load: {g.last_rss_bytes / mib:.1f} MiB")
    print(f"growth after warm-up: {g.growth_pct:.2f} %  (slope {g.slope_kib_per_min:+.1f} KiB/min)")
    warm = next((s for s in samples if s.t_s >= warmup_s), samples[-1])
    opened = samples[-1].connections - warm.connections
    print(f"connections opened after warm-up: {opened} (each a new virtual user in a burst)")
    load = result["summary"]["load"]
    print(
        f"arrivals: {load['scheduled']} scheduled, {load['dropped_total']} dropped; "
        f"generator saturated: {result['summary']['generator']['saturated']}"
    )
    title = f"surge RSS, {args.rate:g}/s over {args.endpoints} endpoints, {args.duration}"
    (out_dir / "soak_rss.html").write_text(chart(samples, warmup_s, title))
    (out_dir / "soak_rss.json").write_text(
        json.dumps({"growth": asdict(g), "samples": [asdict(s) for s in samples]}, indent=1)
    )
    print(f"samples and chart: {out_dir}/soak_rss.json, {out_dir}/soak_rss.html")
    return 0 if g.growth_pct <= args.max_growth_pct else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", default="30m")
    parser.add_argument("--warmup", default="1m")
    parser.add_argument("--rate", type=float, default=1500.0)
    parser.add_argument("--endpoints", type=int, default=20)
    parser.add_argument("--every", type=float, default=10.0, help="RSS sample period (s)")
    parser.add_argument("--workers", default="", help="pass --workers N to surge")
    parser.add_argument("--max-growth-pct", type=float, default=5.0)
    parser.add_argument("--max-in-flight", type=int, default=0, help="pass --max-in-flight N")
    parser.add_argument("--surge-cpus", default="1", help="taskset CPU list for surge")
    parser.add_argument("--server-cpus", default="0", help="CPU list for the test server")
    parser.add_argument("--out-dir", default="")
    return run(parser.parse_args())


if __name__ == "__main__":
    raise SystemExit(main())
