#!/usr/bin/env python3
"""Generator efficiency of the WebSocket and HTTP/2 clients, each beside its reference.

WebSocket: a picows echo server (its own process, pinned to --server-cpu) answers every message;
on --client-cpu, a bare picows client loop (the library surge uses, sending the next message from
its frame callback: the fastest way to drive it) and then `surge run ws://…/echo` make round trips
for --duration seconds. HTTP/2: nginx (one worker, h2c on loopback) answers GET /; h2load and then
`surge run http://…/ --http2` send requests with the same connections and streams (-c 1 -m
--streams). Every generator's CPU time is the kernel's rusage of its process tree (user + system,
start-up included); round trips are counted by the echo server, requests by nginx.

    taskset -c 0,1 python benchmarks/protocols.py --duration 10

Prints round trips (or requests) per generator CPU-second and the ratio to the reference. Needs
nginx, h2load (Debian nghttp2-client) and taskset.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent

BARE_WS = """
import asyncio, json, sys, time
import picows

class Client(picows.WSListener):
    def __init__(self):
        self.n = 0
        self.end = time.monotonic() + float(sys.argv[2])
        self.cpu0 = 0.0
    def on_ws_connected(self, transport):
        self.cpu0 = time.process_time()
        transport.send(picows.WSMsgType.TEXT, b"surge")
    def on_ws_frame(self, transport, frame):
        self.n += 1
        if self.n % 1000 == 0 and time.monotonic() >= self.end:
            transport.send_close(picows.WSCloseCode.OK)
            transport.disconnect()
            return
        transport.send(picows.WSMsgType.TEXT, b"surge")

async def main():
    transport, client = await picows.ws_connect(Client, sys.argv[1])
    await transport.wait_disconnected()
    print(json.dumps({"loop_cpu_s": time.process_time() - client.cpu0, "n": client.n}))

import uvloop
uvloop.run(main())
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _echo_server(port: int, cpu: int, counter: Any) -> None:
    os.sched_setaffinity(0, {cpu})
    import picows
    import uvloop

    class Echo(picows.WSListener):  # type: ignore[misc]
        def on_ws_frame(self, transport: Any, frame: Any) -> None:
            kind = frame.msg_type
            if kind == picows.WSMsgType.CLOSE:
                transport.send_close(frame.get_close_code())
                transport.disconnect()
            elif kind in (picows.WSMsgType.TEXT, picows.WSMsgType.BINARY):
                transport.send(kind, frame.get_payload_as_bytes())
                counter.value += 1

    async def serve() -> None:
        server = await picows.ws_create_server(lambda _request: Echo(), "127.0.0.1", port)
        await server.serve_forever()

    uvloop.run(serve())


def measure(cmd: list[str], cpu: int, timeout_s: float) -> tuple[float, float, str]:
    """Run `cmd` pinned to `cpu`; (CPU seconds of its process tree, wall seconds, stdout)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(
        ["taskset", "-c", str(cpu), *cmd],
        capture_output=True,
        timeout=timeout_s,
        check=False,
    )
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in (0, 1, 4):  # 1: thresholds, 4: saturated (pinned to one core)
        sys.exit(f"{cmd[0]} failed ({proc.returncode}): {proc.stderr.decode()[-500:]}")
    cpu_s = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu_s, wall, proc.stdout.decode()


def websocket(duration_s: float, server_cpu: int, client_cpu: int) -> list[dict[str, Any]]:
    port = _free_port()
    counter = multiprocessing.Value("q", 0, lock=False)
    server = multiprocessing.Process(target=_echo_server, args=(port, server_cpu, counter))
    server.start()
    time.sleep(1.0)
    url = f"ws://127.0.0.1:{port}/echo"
    rows = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            bare = Path(tmp) / "bare.py"
            bare.write_text(BARE_WS)
            runs = {
                "bare picows loop": [sys.executable, str(bare), url, str(duration_s)],
                "surge ws:// URL mode": [
                    sys.executable,
                    "-m",
                    "surge",
                    "run",
                    url,
                    "--message",
                    "surge",
                    "-u",
                    "1",
                    "-d",
                    f"{duration_s}s",
                    "-q",
                    "--no-store",
                    "--out",
                    str(Path(tmp) / "r.json"),
                ],
            }
            for name, cmd in runs.items():
                before = counter.value
                cpu_s, wall, out = measure(cmd, client_cpu, duration_s * 3 + 30)
                trips = counter.value - before
                row = {"generator": name, "count": trips, "cpu_s": cpu_s, "wall_s": wall}
                row["steady"] = _steady(out, Path(tmp) / "r.json", "msgs_received")
                rows.append(row)
    finally:
        server.terminate()
        server.join(5)
    return rows


NGINX = """
worker_processes 1;
worker_cpu_affinity {affinity};
pid {d}/nginx.pid;
error_log {d}/error.log;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  keepalive_requests 10000000;
  http2_max_concurrent_streams 1000;
  client_body_temp_path {d}/body;
  proxy_temp_path {d}/proxy;
  fastcgi_temp_path {d}/fcgi;
  uwsgi_temp_path {d}/uwsgi;
  scgi_temp_path {d}/scgi;
  server {{
    listen 127.0.0.1:{port} http2;
    listen 127.0.0.1:{status};
    location = /nginx_status {{ stub_status; }}
    location / {{ return 200 "hello world\\n"; }}
  }}
}}
"""


def _handled(status_port: int) -> int:
    url = f"http://127.0.0.1:{status_port}/nginx_status"
    body = urllib.request.urlopen(url, timeout=5).read().decode()
    return int(body.splitlines()[2].split()[2])


def http2(
    duration_s: float, server_cpu: int, client_cpu: int, streams: int
) -> list[dict[str, Any]]:
    if not shutil.which("nginx") or not shutil.which("h2load"):
        sys.exit("protocols: needs nginx and h2load (apt-get install nginx-light nghttp2-client)")
    d = tempfile.mkdtemp(prefix="surge-bench-h2-")
    port, status = _free_port(), _free_port()
    affinity = format(1 << server_cpu, "b")
    Path(d, "nginx.conf").write_text(NGINX.format(d=d, port=port, status=status, affinity=affinity))
    nginx = subprocess.Popen(["nginx", "-p", d, "-c", f"{d}/nginx.conf", "-g", "daemon off;"])
    rows = []
    try:
        time.sleep(1.0)
        url = f"http://127.0.0.1:{port}/"
        runs = {
            "h2load": ["h2load", "-c", "1", "-m", str(streams), "-D", str(int(duration_s)), url],
            "surge --http2 URL mode": [
                sys.executable,
                "-m",
                "surge",
                "run",
                url,
                "--http2",
                "-u",
                str(streams),
                "--max-streams",
                str(streams),
                "-d",
                f"{duration_s}s",
                "-q",
                "--no-store",
                "--out",
                f"{d}/r.json",
            ],
        }
        for name, cmd in runs.items():
            before = _handled(status)
            cpu_s, wall, out = measure(cmd, client_cpu, duration_s * 3 + 30)
            count = _handled(status) - before - 1  # minus our own status request
            row = {"generator": name, "count": count, "cpu_s": cpu_s, "wall_s": wall}
            row["steady"] = _steady(out, Path(d) / "r.json", None)
            rows.append(row)
    finally:
        nginx.terminate()
        nginx.wait(5)
        shutil.rmtree(d, ignore_errors=True)
    return rows


def _steady(out: str, result: Path, count_name: str | None) -> float | None:
    """Per CPU-second while running, start-up left out: the bare loop prints its loop's CPU;
    surge's JSON has its generator CPU (mean % of one core over the run's seconds)."""
    text = out.strip().splitlines()[-1] if out.strip() else ""
    if text.startswith("{"):
        bare = json.loads(text)
        return float(bare["n"] / bare["loop_cpu_s"])
    if result.exists():
        doc = json.loads(result.read_text())
        summary = doc["summary"]
        cpu_s = summary["generator"]["cpu_pct_mean"] / 100 * summary["duration_s"]
        count = summary["protocol"]["counts"][count_name] if count_name else summary["requests"]
        result.unlink()
        return float(count / cpu_s) if cpu_s else None
    return None


def report(title: str, unit: str, rows: list[dict[str, Any]]) -> None:
    print(f"\n{title}")
    reference = rows[0]["count"] / rows[0]["cpu_s"]
    steady_ref = rows[0]["steady"]
    for row in rows:
        per_cpu = row["count"] / row["cpu_s"]
        line = (
            f"  {row['generator']:<24} {row['count']:>10,} {unit} in {row['wall_s']:5.1f} s, "
            f"CPU {row['cpu_s']:5.2f} s -> {per_cpu:>9,.0f} {unit}/CPU-s "
            f"({per_cpu / reference:.2f} x {rows[0]['generator']})"
        )
        if row["steady"]:
            line += f"; while running {row['steady']:,.0f}/CPU-s"
            if steady_ref:
                line += f" ({row['steady'] / steady_ref:.2f} x)"
        print(line)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--duration", type=float, default=10.0)
    ap.add_argument("--server-cpu", type=int, default=0)
    ap.add_argument("--client-cpu", type=int, default=1)
    ap.add_argument("--streams", type=int, default=10, help="HTTP/2 streams on one connection")
    ap.add_argument("--only", choices=("ws", "h2"))
    ap.add_argument("--json", help="append the rows as one JSON line to this file")
    a = ap.parse_args()
    results: dict[str, list[dict[str, Any]]] = {}
    if a.only in (None, "ws"):
        results["websocket"] = websocket(a.duration, a.server_cpu, a.client_cpu)
        report("WebSocket echo (1 connection)", "round trips", results["websocket"])
    if a.only in (None, "h2"):
        results["http2"] = http2(a.duration, a.server_cpu, a.client_cpu, a.streams)
        report(f"HTTP/2 (1 connection, {a.streams} streams)", "requests", results["http2"])
    if a.json:
        with open(a.json, "a", encoding="utf-8") as fp:
            fp.write(json.dumps(results) + "\n")


if __name__ == "__main__":
    asyncio.set_event_loop_policy(None)
    main()
