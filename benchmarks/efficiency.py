#!/usr/bin/env python3
"""Generator efficiency: surge (URL and scripted mode, and locustfiles run on surge) beside wrk
and Locust (FastHttpUser and HttpUser).

Runs ../shared/bench/efficiency.py (nginx on CPU 0, each generator pinned to CPU 1, requests
counted by nginx, CPU by the kernel) and prints requests per generator CPU-second and the ratios
the targets are stated in. Needs nginx-light, wrk and taskset (Debian), and Locust in its own
virtualenv (created under .bench/ on first use).

    python benchmarks/efficiency.py --duration 10 --users 50
    python benchmarks/efficiency.py --only surge-locust-fast locust surge-locust-http locust-http

The locustfile rows run the very same file under `surge run` and under `locust`.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "bench" / "efficiency.py"
LOCUST_VENV = ROOT / ".bench" / "locust-venv"

SCRIPTED = """\
import surge


class One(surge.User):
    @surge.task
    async def get(self) -> None:
        await self.http.get("/")
"""

LOCUSTFILE = """\
from locust import FastHttpUser, task


class One(FastHttpUser):
    @task
    def get(self):
        self.client.get("/")
"""


LOCUSTFILE_HTTP = LOCUSTFILE.replace("FastHttpUser", "HttpUser")


def locust_binary() -> Path:
    binary = LOCUST_VENV / "bin" / "locust"
    if not binary.exists():
        subprocess.run([sys.executable, "-m", "venv", str(LOCUST_VENV)], check=True)
        subprocess.run([str(LOCUST_VENV / "bin" / "pip"), "install", "-q", "locust"], check=True)
    return binary


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument(
        "--only",
        nargs="*",
        help="subset of: wrk surge-url surge-script locust surge-locust-fast locust-http "
        "surge-locust-http",
    )
    args = ap.parse_args()
    surge = shutil.which("surge") or sys.exit("surge is not installed (pip install -e .)")
    work = Path(tempfile.mkdtemp(prefix="surge-bench-"))
    (work / "one.py").write_text(SCRIPTED)
    (work / "lf.py").write_text(LOCUSTFILE)
    (work / "lf_http.py").write_text(LOCUSTFILE_HTTP)
    u = args.users
    wants_locust = not args.only or any(name.startswith("locust") for name in args.only)
    locust = locust_binary() if wants_locust else "locust"
    commands = {
        "wrk": f"wrk -t1 -c{u} -d{{duration}}s {{url}}",
        "surge-url": f"{surge} run {{url}} -u {u} -d {{duration}}s -q",
        "surge-script": f"{surge} run {work}/one.py --host {{host}} -u {u} -d {{duration}}s -q",
        "locust": (
            f"{locust} -f {work}/lf.py --headless -u {u} -r {u} -t {{duration}}s -H {{host}} "
            "--only-summary"
        ),
        "surge-locust-fast": (
            f"{surge} run {work}/lf.py --host {{host}} -u {u} -t {{duration}}s -q --no-store"
        ),
        "locust-http": (
            f"{locust} -f {work}/lf_http.py --headless -u {u} -r {u} -t {{duration}}s "
            "-H {host} --only-summary"
        ),
        "surge-locust-http": (
            f"{surge} run {work}/lf_http.py --host {{host}} -u {u} -t {{duration}}s -q --no-store"
        ),
    }
    chosen = args.only or list(commands)
    out = work / "rows.jsonl"
    cmd = [sys.executable, str(SHARED), "--duration", str(args.duration), "--json", str(out)]
    cmd += [f"{name}={commands[name]}" for name in chosen]
    subprocess.run(cmd, check=True)
    rows = {r["name"]: r for r in map(json.loads, out.read_text().splitlines())}
    print()
    for name, row in rows.items():
        print(f"{name:>14}: {row['req_per_cpu_s']:>10,.0f} requests per generator CPU-second")
    for ours, theirs, label in (
        ("surge-url", "wrk", "surge URL mode / wrk"),
        ("surge-script", "locust", "surge scripted / Locust FastHttpUser"),
        ("surge-locust-fast", "locust", "locustfile (FastHttpUser) on surge / on Locust"),
        ("surge-locust-http", "locust-http", "locustfile (HttpUser) on surge / on Locust"),
    ):
        if ours in rows and theirs in rows:
            ratio = rows[ours]["req_per_cpu_s"] / rows[theirs]["req_per_cpu_s"]
            print(f"{label}: {ratio:.2f}x")


if __name__ == "__main__":
    main()
