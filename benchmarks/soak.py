#!/usr/bin/env python3
"""Generator memory over a long run: RSS of `surge run` sampled while it holds a fixed rate.

With no arguments this is the 30-minute benchmark of docs/benchmarks.md: 1,500 arrivals/s
(open model) over 20 named endpoints, the RSS of the surge process sampled every 10 s, growth
after the 1-minute warm-up at most 5 %. It takes about 31 minutes, needs no input and ends by
itself (surge is killed if it has not exited 5 minutes after the run's end); exit code 0 when the
growth is within --max-growth-pct, 1 when over, 2 when surge failed (its exit codes 1, a
failed threshold, and 4, a saturated generator, still give a figure).

    python benchmarks/soak.py                                  # the 30-minute figure
    python benchmarks/soak.py --duration 10m --svg docs/soak-rss.svg   # shorter, chart for docs
    python benchmarks/soak.py --server nginx                   # against nginx, which does not stall
    python benchmarks/soak.py --duration 5m --stall 60,0.25    # a 0.25-s stall every minute

A scripted scenario spreads `--rate` task iterations per second over `--endpoints` named
endpoints (one GET each) against the test server on 127.0.0.1. Each sample is printed as it is
taken (seconds, RSS, growth over the warm-up sample); at the end: the growth after the warm-up,
(highest sample after it - the sample at the end of it) / that sample, and the slope. It writes
the samples (soak_rss.json), an SVG chart of them drawn with surge's own charts (soak_rss.svg,
or --svg PATH) and the run's result.json to --out-dir (a new temporary directory by default).

The server runs in this process, pinned to `--server-cpus`; surge runs under `taskset -c
--surge-cpus` so the two do not share a core (on a busy machine the figure is still a ratio of
surge against itself, which is what the growth is). `--server nginx` puts nginx there instead
(one worker on the first of `--server-cpus`; needs nginx installed): a target that does not
stall. The Python test server sometimes does, for a tenth of a second or more; in the open model
every arrival of a stall needs a user of its own, so a stall of 0.2 s at 1,500/s makes about 300
new pooled users, and the generator's memory follows that concurrency. `--stall PERIOD,SECONDS`
makes such stalls on purpose (the Python server only), to measure what one costs.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import asdict, dataclass
from html import escape
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from servers import HttpTestServer  # noqa: E402
from surge.report.html.svg import HEIGHT, WIDTH, LineChart, Series, line_chart  # noqa: E402
from surge.report.html.units import Unit  # noqa: E402
from surge.schedule import parse_duration  # noqa: E402

MIB = 1024 * 1024


NGINX_CONF = """
worker_processes 1;
worker_cpu_affinity {affinity};
pid {dir}/nginx.pid;
error_log {dir}/error.log;
events {{ worker_connections 16384; }}
http {{
  access_log off;
  keepalive_requests 100000000;
  server {{
    listen 127.0.0.1:{port} backlog=4096;
    location = /nginx_status {{ stub_status; }}
    location / {{ return 200 "ok"; }}
  }}
}}
"""


class NginxServer:
    """nginx (one worker pinned to `cpu`) answering every path with 200 "ok": a target that does
    not stall, so that what the run measures is the generator (`--server nginx`). Like the test
    server it counts the connections it accepted (its stub_status, minus its own reads)."""

    def __init__(self, cpu: int) -> None:
        if not shutil.which("nginx"):
            raise SystemExit(
                "soak: nginx not found (apt-get install -y nginx-light), or --server python"
            )
        self.dir = tempfile.mkdtemp(prefix="surge-soak-nginx-")
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        conf = NGINX_CONF.format(dir=self.dir, port=self.port, affinity=format(1 << cpu, "b"))
        Path(self.dir, "nginx.conf").write_text(conf)
        self.reads = 0
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def connections_total(self) -> int:
        """Connections accepted so far, not counting those of this property's own reads."""
        self.reads += 1
        with urllib.request.urlopen(f"{self.url}/nginx_status", timeout=5) as reply:
            body = reply.read().decode()
        # "Active connections: N\nserver accepts handled requests\n A H R\n..."
        return int(body.splitlines()[2].split()[0]) - self.reads

    def __enter__(self) -> NginxServer:
        conf = str(Path(self.dir, "nginx.conf"))
        self.proc = subprocess.Popen(["nginx", "-c", conf, "-g", "daemon off;"])
        for _ in range(100):
            with contextlib.suppress(OSError):
                self.reads = 0
                self.connections_total  # noqa: B018 - up when it answers
                self.reads = 0
                return self
            time.sleep(0.05)
        self.proc.kill()
        raise SystemExit(f"soak: nginx did not start (see {self.dir}/error.log)")

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)

    def stall(self, period_s: float, stall_s: float) -> None:
        raise SystemExit("soak: --stall needs --server python")


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
    diag: dict[str, int] | None = None  # --diag: where the main process's memory is


def _status_kib(pid: int) -> dict[str, int]:
    """RssAnon, RssFile and Threads of /proc/PID/status (KiB, count)."""
    out: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("RssAnon", "RssFile", "Threads"):
            out[key] = int(value.split()[0])
    return out


def _mappings(pid: int) -> dict[str, tuple[str, int, int]]:
    """Each mapping of /proc/PID/smaps: start address -> (kind, size KiB, Rss KiB); kind is
    heap, stack, file or anon."""
    maps: dict[str, tuple[str, int, int]] = {}
    start, kind, size = "", "", 0
    for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
        head = line.split()
        if "-" in head[0] and not head[0].endswith(":"):
            start = head[0].split("-")[0]
            name = head[5] if len(head) > 5 else ""
            kind = name.strip("[]") if name.startswith("[") else ("file" if name else "anon")
        elif head[0] == "Size:":
            size = int(head[1])
        elif head[0] == "Rss:":
            maps[start] = (kind, size, int(head[1]))
    return maps


class Diagnostics:
    """Per sample, where the main surge process's memory is: threads, RssAnon/RssFile, the
    [heap], the anonymous mappings (glibc arenas of other threads, Python's arenas, stacks),
    surge's TCP connections, and which mappings grew by 1 MiB or more since the last sample."""

    def __init__(self, pid: int) -> None:
        self.process = psutil.Process(pid)
        self.last: dict[str, tuple[str, int, int]] = {}

    def take(self) -> tuple[dict[str, int], str]:
        pid = self.process.pid
        status, maps = _status_kib(pid), _mappings(pid)
        by_kind: dict[str, int] = {}
        for kind, _, rss in maps.values():
            by_kind[kind] = by_kind.get(kind, 0) + rss
        grew = []
        for start, (kind, size, rss) in maps.items():
            before = self.last.get(start, (kind, size, 0))[2]
            if rss - before >= 1024:
                grew.append(f"{kind}@{start}({size // 1024}M)+{(rss - before) / 1024:.1f}")
        self.last = maps
        diag = {
            "threads": status.get("Threads", 0),
            "rss_anon_kib": status.get("RssAnon", 0),
            "rss_file_kib": status.get("RssFile", 0),
            "heap_kib": by_kind.get("heap", 0),
            "anon_kib": by_kind.get("anon", 0),
            "anon_mappings": sum(1 for k, _, _ in maps.values() if k == "anon"),
            "tcp": len(self.process.net_connections("tcp")),
        }
        line = (
            f"thr {diag['threads']} anon {diag['rss_anon_kib'] / 1024:.1f} "
            f"heap {diag['heap_kib'] / 1024:.1f} mmap-anon {diag['anon_kib'] / 1024:.1f}"
            f"/{diag['anon_mappings']} tcp {diag['tcp']} {' '.join(grew)}"
        )
        return diag, line


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
    proc: subprocess.Popen[bytes],
    server: HttpTestServer | NginxServer,
    every_s: float,
    limit_s: float,
    warmup_s: float,
    diag: bool = False,
) -> list[Sample]:
    """RSS every `every_s` seconds (absolute times, no drift) until the process exits, each
    printed as it is taken; after `limit_s` the process is killed (the script ends by itself)."""
    watched = psutil.Process(proc.pid)
    diagnostics = Diagnostics(proc.pid) if diag else None
    t0 = time.monotonic()
    samples: list[Sample] = []
    warm: Sample | None = None
    print(f"{'t (s)':>8} {'RSS (MiB)':>10} {'vs warm-up':>11}", flush=True)
    k = 0
    while proc.poll() is None:
        if time.monotonic() - t0 > limit_s:
            print(f"surge still running after {limit_s:g} s: killed", flush=True)
            proc.kill()
            break
        try:
            rss = tree_rss(watched)
        except psutil.Error:
            break
        extra, where = None, ""
        if diagnostics is not None:
            with contextlib.suppress(OSError, psutil.Error):
                extra, where = diagnostics.take()
        sample = Sample(round(time.monotonic() - t0, 2), rss, server.connections_total, extra)
        samples.append(sample)
        if warm is None and sample.t_s >= warmup_s:
            warm = sample
        vs = f"{100 * (rss - warm.rss_bytes) / warm.rss_bytes:+10.2f}%" if warm else ""
        print(f"{sample.t_s:8.1f} {rss / MIB:10.1f} {vs:>11} {where}".rstrip(), flush=True)
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


_SVG_STYLE = """
text { font: 11px sans-serif; fill: #6b7280; }
text.title { font-size: 13px; font-weight: 600; fill: #1f2937; }
text.yl { text-anchor: end; dominant-baseline: middle; }
text.xl { text-anchor: middle; }
.grid { stroke: #eef0f3; stroke-width: 1; }
.axis, .tick { stroke: #9ca3af; stroke-width: 1; }
.series path { stroke-width: 1.8; stroke-linejoin: round; }
.series circle { stroke: none; }
.guide { visibility: hidden; }
"""


def chart_svg(
    samples: list[Sample], g: Growth, warmup_s: float, limit_pct: float, title: str
) -> str:
    """A standalone SVG of the RSS samples (surge's own line chart, its CSS inlined), with the
    limit (the warm-up sample + `limit_pct`) dashed from the end of the warm-up on."""
    limit = g.warm_rss_bytes * (1 + limit_pct / 100)
    figure = line_chart(
        LineChart(
            title=title,
            xs=[s.t_s for s in samples],
            series=[
                Series("RSS of the surge process tree", [s.rss_bytes for s in samples]),
                Series(
                    f"warm-up sample + {limit_pct:g} %",
                    [limit if s.t_s >= warmup_s else None for s in samples],
                    dashed=True,
                ),
            ],
            x_unit=Unit.SECONDS,
            y_unit=Unit.BYTES,
        )
    )
    inner = re.search(r"<svg .*?</svg>", figure, re.S)
    assert inner is not None, "surge's line chart draws an <svg>"
    body = inner.group(0).replace("<svg ", '<svg x="0" y="44" ', 1)
    legend = (
        f"growth after the {warmup_s:g} s warm-up: {g.growth_pct:+.2f} % "
        f"(limit {limit_pct:g} %) · blue: RSS every {samples[1].t_s - samples[0].t_s:.0f} s · "
        "red: the limit"
    )
    height = HEIGHT + 50
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}">\n<style>{_SVG_STYLE}</style>\n'
        f'<rect width="100%" height="100%" fill="#ffffff"/>\n'
        f'<text class="title" x="8" y="18">{escape(title)}</text>\n'
        f'<text x="8" y="36">{escape(legend)}</text>\n{body}\n</svg>\n'
    )


def surge_command(args: argparse.Namespace, url: str, duration_s: float) -> list[str]:
    cmd = [sys.executable, "-m", "surge", "run", "soak_scenario.py", "--host", url]
    cmd += ["--rate", str(args.rate), "-d", f"{duration_s:g}s", "--no-store", "-q"]
    cmd += ["--out", "result.json", *(["--workers", args.workers] if args.workers else [])]
    if args.max_in_flight:
        cmd += ["--max-in-flight", str(args.max_in_flight)]
    if args.surge_cpus and shutil.which("taskset"):
        cmd = ["taskset", "-c", args.surge_cpus, *cmd]
    return cmd


def report(args: argparse.Namespace, samples: list[Sample], g: Growth, result: dict) -> None:
    warmup_s = parse_duration(args.warmup)
    print(f"{result['summary']['requests']} requests; {len(samples)} samples")
    print(f"RSS at the end of warm-up ({warmup_s:g} s): {g.warm_rss_bytes / MIB:.1f} MiB")
    print(f"RSS peak after warm-up: {g.peak_rss_bytes / MIB:.1f} MiB")
    print(f"RSS at the end of the load: {g.last_rss_bytes / MIB:.1f} MiB")
    print(f"growth after warm-up: {g.growth_pct:.2f} %  (slope {g.slope_kib_per_min:+.1f} KiB/min)")
    warm = next((s for s in samples if s.t_s >= warmup_s), samples[-1])
    opened = samples[-1].connections - warm.connections
    print(f"connections opened after warm-up: {opened} (each a new pooled virtual user)")
    load = result["summary"]["load"]
    generator = result["summary"]["generator"]
    print(
        f"arrivals: {load['scheduled']} scheduled, {load['dropped_total']} dropped; "
        f"achieved {load['achieved_rps']}/s; generator saturated: {generator['saturated']} "
        f"(loop lag p99 {generator.get('loop_lag_p99_ms')} ms)"
    )


def run(args: argparse.Namespace) -> int:
    duration_s = parse_duration(args.duration)
    warmup_s = parse_duration(args.warmup)
    out_dir = Path(args.out_dir or tempfile.mkdtemp(prefix="surge-soak-"))
    out_dir.mkdir(parents=True, exist_ok=True)
    server_cpus = [int(c) for c in args.server_cpus.split(",")] if args.server_cpus else []
    if server_cpus and args.server == "python":
        os.sched_setaffinity(0, set(server_cpus))
    (out_dir / "soak_scenario.py").write_text(scenario_text(args.endpoints))
    target = (
        HttpTestServer()
        if args.server == "python"
        else NginxServer(server_cpus[0] if server_cpus else 0)
    )
    with target as server:
        if args.stall:
            period_s, _, stall_s = args.stall.partition(",")
            server.stall(float(period_s), float(stall_s))
        cmd = surge_command(args, server.url, duration_s)
        print("$", " ".join(cmd), flush=True)
        proc = subprocess.Popen(cmd, cwd=out_dir)
        samples = sample_until_exit(proc, server, args.every, duration_s + 300, warmup_s, args.diag)
        code = proc.wait()
    # 1: a threshold failed, 4: the generator saturated (a busy machine): the run finished and
    # the memory figure stands (the report says whether the generator kept up)
    if code not in (0, 1, 4) or not (out_dir / "result.json").exists():
        print(f"surge exited with code {code}: no soak figure")
        return 2
    result = json.loads((out_dir / "result.json").read_text())
    g = growth(samples, warmup_s, duration_s)
    report(args, samples, g, result)
    title = f"surge RSS, {args.rate:g}/s over {args.endpoints} endpoints, {args.duration}"
    svg = Path(args.svg) if args.svg else out_dir / "soak_rss.svg"
    svg.write_text(chart_svg(samples, g, warmup_s, args.max_growth_pct, title))
    (out_dir / "soak_rss.json").write_text(
        json.dumps({"growth": asdict(g), "samples": [asdict(s) for s in samples]}, indent=1)
    )
    print(f"samples: {out_dir}/soak_rss.json; chart: {svg}")
    verdict = "within" if g.growth_pct <= args.max_growth_pct else "OVER"
    print(f"{verdict} the limit of {args.max_growth_pct:g} % after the warm-up")
    return 0 if g.growth_pct <= args.max_growth_pct else 1


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", default="30m", help="length of the run (default 30m)")
    parser.add_argument("--warmup", default="1m", help="growth is measured after it (default 1m)")
    parser.add_argument("--rate", type=float, default=1500.0, help="arrivals/s (default 1500)")
    parser.add_argument("--endpoints", type=int, default=20, help="named endpoints (default 20)")
    parser.add_argument("--every", type=float, default=10.0, help="RSS sample period, s (10)")
    parser.add_argument("--workers", default="", help="pass --workers N to surge")
    parser.add_argument("--max-growth-pct", type=float, default=5.0, help="limit (default 5)")
    parser.add_argument("--max-in-flight", type=int, default=0, help="pass --max-in-flight N")
    parser.add_argument("--surge-cpus", default="1", help="taskset CPU list for surge (1)")
    parser.add_argument(
        "--server",
        choices=("python", "nginx"),
        default="python",
        help="the target: the Python test server in this process (python, default) or nginx",
    )
    parser.add_argument("--server-cpus", default="0", help="CPU list for the server (0)")
    parser.add_argument("--out-dir", default="", help="default: a new temporary directory")
    parser.add_argument(
        "--diag",
        action="store_true",
        help="per sample also: threads, RssAnon, [heap], anonymous mappings, TCP connections, "
        "the mappings that grew",
    )
    parser.add_argument(
        "--stall",
        default="",
        metavar="PERIOD,SECONDS",
        help="the server stalls for the last SECONDS of every PERIOD seconds (a burst of users)",
    )
    parser.add_argument("--svg", default="", help="the chart's path (default: in --out-dir)")
    return run(parser.parse_args())


if __name__ == "__main__":
    raise SystemExit(main())
