#!/usr/bin/env python3
"""The live dashboard's cost to the load generator: requests per generator CPU-second of
`surge run` alone, with `--ui` (the server and the feed, no tab), and with `--ui` and a tab
reading the event stream the whole run (curl, standing in for the browser).

Runs ../shared/bench/efficiency.py (nginx on CPU 0, each command pinned to CPU 1, requests
counted by nginx, CPU by the kernel: the process tree, start-up and the dashboard's threads
included) and prints the ratios against the plain run measured in the same session. Needs
nginx-light, curl and taskset (Debian).

    python benchmarks/dashboard.py --duration 10 --users 50
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "bench" / "efficiency.py"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--users", type=int, default=50)
    args = ap.parse_args()
    for tool in ("nginx", "curl", "taskset"):
        if not shutil.which(tool):
            sys.exit(f"dashboard benchmark: {tool} not found")
    surge = f"{sys.executable} -m surge run {{url}} -u {args.users} -d {{duration}}s -q --no-store"
    surge += " --allow-saturated"
    ui, tab = free_port(), free_port()
    reader = f"sleep 2; curl -sN http://127.0.0.1:{tab}/events > /dev/null"
    commands = {
        "surge": surge,
        "surge --ui": f"{surge} --ui --ui-port {ui}",
        "--ui + tab": f"sh -c '{surge} --ui --ui-port {tab} & {reader}; wait'",
    }
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "rows.jsonl"
        specs = [f"{name}={command}" for name, command in commands.items()]
        subprocess.run(
            [sys.executable, str(SHARED), "--duration", str(args.duration), "--json", str(out),
             *specs],
            check=True,
        )  # fmt: skip
        rows = [json.loads(line) for line in out.read_text().splitlines()]
    reference = rows[0]["req_per_cpu_s"]
    print()
    print("| run | requests per CPU-second | ratio |")
    print("|---|---:|---|")
    for row in rows:
        ratio = row["req_per_cpu_s"] / reference if reference else 0.0
        print(f"| {row['name']} | {row['req_per_cpu_s']:,.0f} | {ratio:.3f} × plain |")


if __name__ == "__main__":
    main()
