#!/usr/bin/env python3
"""Many distinct URLs: generator CPU per request and memory, beside a run over 10 URLs.

One scripted user class requests `/api/items/{k}?v={k}` at a constant arrival rate (open model,
`--rate`), cycling k over 10 URLs (the reference) or 10,000 (`ids`: named `/api/items/{id}` by
the default templating, one endpoint) and the same 10,000 with `--name-template off` (`names`:
1,000 endpoints kept, the rest under `(other)`). nginx answers every path (pinned to one CPU,
counting the requests itself); surge runs pinned to another. CPU is the kernel's rusage of the
surge process, RSS is sampled from /proc every half second.

    python benchmarks/cardinality.py --duration 30 --rate 1500

With `--instructions`, the same requests go through the engine alone (closed model, 50 users,
no command around it) under `valgrind --tool=callgrind`, as benchmarks/instructions.py does: the
user-space instructions per request, a figure a busy machine does not move. Variants there: 10
URLs, 10,000 URLs (after every name was seen once), ids never seen before (each request a new
id: the name worked out every time) and 10,000 names without templating (1,000 kept):

    python benchmarks/cardinality.py --instructions

With `--rss`, the same engine-alone loads without valgrind, 100,000 requests each, and the
process's RSS after each fifth of them (flat after warm-up when nothing grows with the names):

    python benchmarks/cardinality.py --rss

`--only VARIANT` (repeatable) runs that variant beside the reference alone, in either mode.
Diagnostics of the whole runs: `--gc` counts the garbage collector's passes in the surge process
(a sitecustomize hook, gc.callbacks) and `--perf` keeps a `perf record` of each steady state
(CPU-clock samples with call graphs; `perf report -i FILE --sort dso,sym`). Every row also says
how much of the CPU was the kernel's and how often the event loop slept (voluntary context
switches of the main thread) per request.

Measured over each run's steady state (from --warmup seconds after its first request to a second
before its end: start-up and the summary left out): requests (nginx), CPU µs per request of the
surge process (/proc) and the ratio to the reference measured in the same run, RSS after warm-up
and at the end, connections opened in the window. Needs Debian's nginx-light and taskset, and
../shared/bench/efficiency.py (the nginx harness of benchmarks/efficiency.py).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "bench" / "efficiency.py"

GC_HOOK = """\
import atexit, gc, json, os, time

_out = os.environ.get("CARDINALITY_GC_OUT")
if _out:
    _per_s = {}  # second since start -> [count, ns] per generation
    _t0 = time.monotonic()
    _start = [0]

    def _hook(phase, info):
        if phase == "start":
            _start[0] = time.perf_counter_ns()
            return
        row = _per_s.setdefault(int(time.monotonic() - _t0), [0, 0, 0, 0, 0, 0, 0])
        gen = info["generation"]
        row[2 * gen] += 1
        row[2 * gen + 1] += time.perf_counter_ns() - _start[0]
        row[6] += info["collected"]

    gc.callbacks.append(_hook)

    def _dump():
        with open(_out, "w") as f:
            json.dump({"t0": _t0, "per_s": _per_s}, f)

    atexit.register(_dump)
"""

SCRIPT = """\
import itertools
import os

from surge import User, task

URLS = int(os.environ["CARDINALITY_URLS"])
_k = itertools.count()


class Browse(User):
    @task
    async def get(self) -> None:
        k = next(_k) % URLS
        await self.http.get(f"/api/items/{k}?v={k}")
"""

VARIANTS: dict[str, tuple[int, tuple[str, ...]]] = {
    "10 URLs": (10, ()),
    "10,000 URLs": (10_000, ()),
    "10,000 names": (10_000, ("--name-template", "off")),
}


@dataclass
class Row:
    name: str
    requests: int
    cpu_s: float
    rss_warm_mib: float
    rss_end_mib: float
    endpoints: int
    saturated: bool
    connections: int
    sys_s: float = 0.0
    switches: int = 0
    gc: list[int] | None = None  # over the window: [count, ns] per generation, objects collected

    @property
    def cpu_us_per_request(self) -> float:
        return self.cpu_s / self.requests * 1e6 if self.requests else float("nan")


def _harness() -> ModuleType:
    spec = importlib.util.spec_from_file_location("efficiency_harness", SHARED)
    if spec is None or spec.loader is None or not SHARED.exists():
        sys.exit(f"cardinality: the nginx harness is missing: {SHARED}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _proc(pid: int) -> tuple[float, float]:
    """(CPU seconds, RSS MiB) of a process now, from /proc; zeros once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        rss_pages = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return 0.0, 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    cpu_s = (int(fields[11]) + int(fields[12])) / ticks  # utime + stime
    return cpu_s, rss_pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def _sys_and_switches(pid: int) -> tuple[float, int]:
    """(kernel CPU seconds, voluntary context switches of its main thread) of a process now."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        status = Path(f"/proc/{pid}/status").read_text()
    except (OSError, IndexError):
        return 0.0, 0
    found = re.search(r"^voluntary_ctxt_switches:\s*(\d+)", status, re.M)
    return int(fields[12]) / os.sysconf("SC_CLK_TCK"), int(found.group(1)) if found else 0


def _accepted(port: int) -> tuple[int, int]:
    """(connections accepted, requests handled) by nginx so far (stub_status)."""
    url = f"http://127.0.0.1:{port}/nginx_status"
    body = urllib.request.urlopen(url, timeout=5).read().decode()
    numbers = body.splitlines()[2].split()
    return int(numbers[0]), int(numbers[2])


@dataclass
class _Sample:
    t_s: float
    cpu_s: float
    rss_mib: float
    connections: int
    requests: int
    sys_s: float = 0.0
    switches: int = 0


def run_variant(name: str, args: argparse.Namespace, host: str, port: int, work: Path) -> Row:
    """One `surge run`, measured over its steady state: from `warmup` seconds after its first
    request to a second before its load ends (start-up, imports and the summary left out)."""
    urls, extra = VARIANTS[name]
    out = work / "r.json"
    cmd = [
        "taskset", "-c", str(args.client_cpu), sys.executable, "-m", "surge", "run",
        str(work / "browse.py"), "--host", host, "--rate", str(args.rate),
        "-d", f"{args.duration}s", "--out", str(out), "-q", "--no-store", "--allow-saturated",
        *extra,
    ]  # fmt: skip
    env = {**os.environ, "CARDINALITY_URLS": str(urls)}
    gc_out = work / "gc.json"
    if args.gc:
        gc_out.unlink(missing_ok=True)
        hook = work / "gchook"
        hook.mkdir(exist_ok=True)
        (hook / "sitecustomize.py").write_text(GC_HOOK)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(hook), env.get("PYTHONPATH")]))
        env["CARDINALITY_GC_OUT"] = str(gc_out)
    _, first_requests = _accepted(port)
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    samples: list[_Sample] = []
    started: float | None = None
    perf: subprocess.Popen[bytes] | None = None
    while proc.poll() is None:
        connections, requests = _accepted(port)
        now = time.monotonic()
        if started is None and requests > first_requests + 1:
            started = now  # the load began (taskset exec'd python, which imported surge)
        if args.perf and perf is None and started is not None and now - started >= args.warmup:
            perf = _perf_record(proc.pid, name, args, work)
        if started is not None:
            samples.append(
                _Sample(
                    now - started,
                    *_proc(proc.pid),
                    connections,
                    requests,
                    *_sys_and_switches(proc.pid),
                )
            )
        time.sleep(0.5)
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if perf is not None:
        perf.wait(30)
    if proc.returncode not in (0, 1):  # 1: a threshold failed (dropped_rate on a busy machine)
        sys.exit(f"cardinality: {name} exited {proc.returncode}: {err[-400:]}")
    window = [s for s in samples if args.warmup <= s.t_s <= args.duration - 1 and s.cpu_s > 0]
    if len(window) < 2:
        sys.exit(f"cardinality: {name}: no steady state to measure (raise --duration)")
    first, last = window[0], window[-1]
    ours = len(window) - 1  # our own status requests in between, one connection each
    doc = json.loads(out.read_text())
    assert started is not None
    window_s = (started + first.t_s, started + last.t_s)
    return Row(
        name=name,
        requests=last.requests - first.requests - ours,
        cpu_s=last.cpu_s - first.cpu_s,
        rss_warm_mib=first.rss_mib,
        rss_end_mib=last.rss_mib,
        endpoints=len(doc["endpoints"]),
        saturated=bool(doc["summary"]["generator"]["saturated"]),
        connections=last.connections - first.connections - ours,
        sys_s=last.sys_s - first.sys_s,
        switches=last.switches - first.switches,
        gc=_gc_window(gc_out, window_s) if args.gc else None,
    )


def _perf_record(pid: int, name: str, args: argparse.Namespace, work: Path) -> Any:
    """`perf record` of the surge process (CPU-clock samples with call graphs) for the steady
    state's seconds, on the server's CPU, into `perf-<variant>.data` in the work directory."""
    seconds = max(1, int(args.duration - 1 - args.warmup))
    data = work / f"perf-{name.replace(' ', '').replace(',', '')}.data"
    cmd = [
        "taskset", "-c", str(args.server_cpu), "perf", "record", "-q", "-e", "cpu-clock",
        "-F", "2000", "-g", "-p", str(pid), "-o", str(data), "--", "sleep", str(seconds),
    ]  # fmt: skip
    print(f"  perf: {data}", flush=True)
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _user_us(row: Row) -> float:
    """User-space CPU µs per request of a run (the kernel's share, the noisiest, left out)."""
    return (row.cpu_s - row.sys_s) / row.requests * 1e6 if row.requests else float("nan")


def _gc_window(path: Path, window_s: tuple[float, float]) -> list[int]:
    """The collections of the surge process within `window_s` (monotonic seconds), summed from
    the per-second counts its sitecustomize hook wrote at exit (GC_HOOK)."""
    doc = json.loads(path.read_text())
    total = [0] * 7
    for second, row in doc["per_s"].items():
        if window_s[0] <= doc["t0"] + int(second) < window_s[1]:
            total = [a + b for a, b in zip(total, row, strict=True)]
    return total


SEEN, MORE = 240, 440  # requests per user: every name seen (12,000 requests), then 10,000 more
# variant: (URLs cycled, None when every request is a new id; templating on)
INSTRUCTION_VARIANTS: dict[str, tuple[int | None, bool]] = {
    "10 URLs": (10, True),
    "10,000 URLs": (10_000, True),
    "new ids": (None, True),
    "10,000 names": (10_000, False),
}


def _child(variant: str, per_user: int, port: int, rss: bool = False) -> None:
    """One closed-model load of 50 users x `per_user` requests of `variant` (under callgrind);
    with `rss`, the process's RSS printed after each fifth of the requests."""
    import asyncio
    import itertools
    import threading

    import uvloop

    from surge.engine.closed import ClosedDriver
    from surge.engine.http import ClientConfig
    from surge.engine.scripted import ScriptWorkload
    from surge.engine.workload import RunContext
    from surge.metrics.naming import Naming
    from surge.metrics.recorder import Recorder
    from surge.scenario import User, task

    urls, template = INSTRUCTION_VARIANTS[variant]
    counter = itertools.count()

    class Browse(User):
        @task
        async def get(self) -> None:
            k = next(counter) if urls is None else next(counter) % urls
            await self.http.get(f"/api/items/{k}?v={k}")

    base = f"http://127.0.0.1:{port}"
    work = ScriptWorkload([Browse], base_url=base, config=ClientConfig(), class_of=lambda i: 0)
    driver = ClosedDriver(users=50, iterations_per_user=per_user)
    recorder = Recorder(naming=Naming(template=template))
    if rss:
        done = threading.Event()
        threading.Thread(
            target=_print_rss, args=(recorder, 50 * per_user, done), daemon=True
        ).start()
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(driver.run(work, RunContext(recorder)))
    if rss:
        done.wait(5)


def _print_rss(recorder: Any, total: int, done: Any) -> None:
    """RSS of this process as the requests pass each fifth of `total` (closed-model iterations
    counted by the recorder), read from /proc every 0.1 s."""
    step = 1
    while step <= 5:
        time.sleep(0.1)
        if recorder.arrivals.completed >= step * total // 5:
            rss_mib = _proc(os.getpid())[1]
            print(f"  after {recorder.arrivals.completed:>7,} requests: {rss_mib:.1f} MiB")
            step += 1
    done.set()


def _instructions(variant: str, per_user: int, port: int) -> int:
    cmd = [
        "valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable,
        __file__, "--child", variant, str(per_user), str(port),
    ]  # fmt: skip
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stderr
    found = re.search(r"Collected : (\d+)", out)
    if found is None:
        sys.exit(f"cardinality: no instruction count from callgrind: {out[-1000:]}")
    return int(found.group(1))


def instructions_main() -> None:
    """Instructions per request of each variant: (MORE - SEEN) x 50 requests, counted apart."""
    if not shutil.which("valgrind"):
        sys.exit("cardinality: valgrind not found (apt-get install -y valgrind)")
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", action="append", choices=list(INSTRUCTION_VARIANTS))
    only = ap.parse_known_args()[0].only or list(INSTRUCTION_VARIANTS)
    h = _harness()
    nginx, port, _ = h.start_nginx(0)
    try:
        counts = {}
        for name in ["10 URLs", *(v for v in only if v != "10 URLs")]:
            extra = _instructions(name, MORE, port) - _instructions(name, SEEN, port)
            counts[name] = extra / (50 * (MORE - SEEN))
            print(
                f"{name:>13}: {counts[name]:,.0f} user-space instructions per request", flush=True
            )
    finally:
        nginx.terminate()
        nginx.wait(5)
    reference = counts["10 URLs"]
    print("\n| variant | instructions per request | vs 10 URLs |\n|---|---:|---:|")
    for name, count in counts.items():
        print(f"| {name} | {count:,.0f} | {count / reference:.2f} x |")


def rss_main() -> None:
    """RSS of the engine alone (no valgrind) through 100,000 requests of each variant."""
    h = _harness()
    nginx, port, _ = h.start_nginx(0)
    try:
        for name in INSTRUCTION_VARIANTS:
            print(f"{name}:", flush=True)
            cmd = [sys.executable, __file__, "--child", name, "2000", str(port), "--rss"]
            subprocess.run(cmd, check=True)
    finally:
        nginx.terminate()
        nginx.wait(5)


def main() -> None:
    if sys.argv[1:2] == ["--child"]:
        _child(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), "--rss" in sys.argv[5:])
        return
    if "--instructions" in sys.argv[1:]:
        instructions_main()
        return
    if "--rss" in sys.argv[1:]:
        rss_main()
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--duration", type=int, default=30, help="seconds per run (default 30)")
    ap.add_argument("--rate", type=float, default=1500.0, help="requests per second (1500)")
    ap.add_argument("--rounds", type=int, default=2, help="runs per variant, interleaved (2)")
    ap.add_argument("--warmup", type=float, default=10.0, help="seconds before RSS counts (10)")
    ap.add_argument("--server-cpu", type=int, default=0)
    ap.add_argument("--client-cpu", type=int, default=1)
    ap.add_argument(
        "--only", action="append", choices=list(VARIANTS), help="run only this variant (repeat)"
    )
    ap.add_argument("--gc", action="store_true", help="count the garbage collector's passes too")
    ap.add_argument("--perf", action="store_true", help="perf record each steady state too")
    args = ap.parse_args()
    variants = args.only or list(VARIANTS)
    if "10 URLs" not in variants:
        variants.insert(0, "10 URLs")  # the reference
    h = _harness()
    work = Path(tempfile.mkdtemp(prefix="surge-cardinality-"))
    (work / "browse.py").write_text(SCRIPT)
    nginx, port, _ = h.start_nginx(args.server_cpu)
    host = f"http://127.0.0.1:{port}"
    rows: dict[str, list[Row]] = {name: [] for name in variants}
    try:
        for _ in range(args.rounds):
            for name in variants:
                row = run_variant(name, args, host, port, work)
                rows[name].append(row)
                print(
                    f"{name:>13}: {row.requests:>7,} requests  {row.cpu_us_per_request:7.1f} "
                    f"µs CPU/request  RSS {row.rss_warm_mib:6.1f} → {row.rss_end_mib:6.1f} MiB  "
                    f"{row.endpoints:>5} endpoints  {row.connections:>4} connections  "
                    f"saturated={row.saturated}",
                    flush=True,
                )
                per = row.requests or 1
                print(
                    f"               user {(row.cpu_s - row.sys_s) / per * 1e6:.1f} µs, "
                    f"kernel {row.sys_s / per * 1e6:.1f} µs, "
                    f"{row.switches / per:.2f} voluntary context switches/request",
                    flush=True,
                )
                if row.gc is not None:
                    per = row.requests or 1
                    print(
                        "               gc per 1,000 requests: "
                        + "  ".join(
                            f"gen{g} {row.gc[2 * g] * 1000 / per:.2f} x "
                            f"{row.gc[2 * g + 1] / max(row.gc[2 * g], 1) / 1000:.0f} µs"
                            for g in range(3)
                        )
                        + f"  = {sum(row.gc[1:6:2]) / per / 1000:.2f} µs/request, "
                        f"{row.gc[6] / per:.2f} objects collected/request",
                        flush=True,
                    )
    finally:
        nginx.terminate()
        nginx.wait(5)
    reference = statistics.median(r.cpu_us_per_request for r in rows["10 URLs"])
    print(f"\nmedian of {args.rounds} runs, {args.rate:g}/s for {args.duration} s each:")
    user_reference = statistics.median(_user_us(r) for r in rows["10 URLs"])
    print(
        "| variant | endpoints | CPU µs/request | vs 10 URLs | of it user space | vs 10 URLs "
        "| RSS after warm-up → end |"
    )
    print("|---|---:|---:|---:|---:|---:|---|")
    for name, found in rows.items():
        cpu = statistics.median(r.cpu_us_per_request for r in found)
        user = statistics.median(_user_us(r) for r in found)
        warm = statistics.median(r.rss_warm_mib for r in found)
        end = statistics.median(r.rss_end_mib for r in found)
        endpoints = found[-1].endpoints
        print(
            f"| {name} | {endpoints:,} | {cpu:.1f} | {cpu / reference:.2f} x "
            f"| {user:.1f} | {user / user_reference:.2f} x | {warm:.1f} → {end:.1f} MiB |"
        )


if __name__ == "__main__":
    main()
