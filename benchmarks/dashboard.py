#!/usr/bin/env python3
"""The live dashboard's cost to the load generator: requests per generator CPU-second of
`surge run` alone, with `--ui` (the server and the feed, no tab), and with `--ui` and a tab
reading the event stream the whole run (curl, standing in for the browser).

Runs ../shared/bench/efficiency.py (nginx on CPU 0, each command pinned to CPU 1, requests
counted by nginx, CPU by the kernel: the process tree, start-up and the dashboard's threads
included) and prints the ratios against the plain run measured in the same session. With
`--rounds N` the three commands run N times, interleaved (plain, --ui, --ui + tab, plain, …), and
each ratio is taken within its round: the table shows the median and the range over the rounds, so
a busy machine's drift hits both sides of a ratio alike. Needs nginx-light, curl and taskset
(Debian).

    python benchmarks/dashboard.py --duration 10 --users 50 --rounds 5
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

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
    ap.add_argument("--rounds", type=int, default=1)
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
        specs = [
            f"{name} #{round_}={command}"
            for round_ in range(1, args.rounds + 1)
            for name, command in commands.items()
        ]
        subprocess.run(
            [sys.executable, str(SHARED), "--duration", str(args.duration), "--json", str(out),
             *specs],
            check=True,
        )  # fmt: skip
        rows = [json.loads(line) for line in out.read_text().splitlines()]
    report(rows, list(commands))


def report(rows: list[dict[str, Any]], names: list[str]) -> None:
    """The median requests per CPU-second of each command and its ratio to the plain run of
    the same round (median, and the range over the rounds)."""
    per_round = [rows[i : i + len(names)] for i in range(0, len(rows), len(names))]
    print()
    print("| run | requests per CPU-second (median) | ratio to plain, median (range) |")
    print("|---|---:|---|")
    for index, name in enumerate(names):
        rates = [group[index]["req_per_cpu_s"] for group in per_round]
        ratios = [
            group[index]["req_per_cpu_s"] / group[0]["req_per_cpu_s"]
            for group in per_round
            if group[0]["req_per_cpu_s"]
        ]
        spread = f" ({min(ratios):.2f} to {max(ratios):.2f})" if len(ratios) > 1 else ""
        print(f"| {name} | {statistics.median(rates):,.0f} | "
              f"{statistics.median(ratios):.3f}x plain{spread} |")  # fmt: skip


if __name__ == "__main__":
    main()
