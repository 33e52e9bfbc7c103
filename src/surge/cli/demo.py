"""`surge demo`: the bundled sample API plus the bundled scenario, nothing else to install."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Any

from rich.console import Console

from surge.cli.exit_codes import ExitCode
from surge.cli.jobs import InputError, build_jobs
from surge.cli.options import RUN_OPTIONS
from surge.cli.outputs import run_jobs
from surge.demo.server import DemoServer

SCENARIO = Path(__file__).resolve().parent.parent / "demo" / "scenario.py"


def _serve(server: DemoServer, console: Console) -> int:
    console.print(f"Demo API running at [bold]{server.url}[/] (Ctrl-C stops it). Try:")
    console.print(f"  surge run {server.url}/api/health -u 20 -d 10s")
    console.print(f"  surge run {SCENARIO} --host {server.url}")
    stopped = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopped.set())
    while not stopped.wait(0.5):
        if not server.running:
            console.print("[bold red]the demo API stopped unexpectedly[/]")
            return int(ExitCode.NO_SUCCESS)
    return int(ExitCode.OK)


def run_demo(*, serve: bool, port: int, users: int, duration: str, out: str, quiet: bool) -> int:
    console = Console(highlight=False)
    console.print("Starting the demo API (Starlette + SQLite) on 127.0.0.1 …")
    with DemoServer(port=port) as server:
        if serve:
            return _serve(server, console)
        options: dict[str, Any] = {spec.name: spec.default for spec in RUN_OPTIONS}
        options.update(
            users=users,
            duration=duration,
            out=out,
            quiet=quiet,
            host=server.url,
            name="demo",
            ramp_up=2.0,
        )
        try:
            jobs = build_jobs(str(SCENARIO), options, {"users", "duration", "host", "name"})
        except InputError as exc:
            console.print(f"[bold red]surge: error:[/] {exc}")
            return int(ExitCode.USAGE)
        console.print(f"Scenario: {SCENARIO} (copy it to start your own)")
        return run_jobs(jobs, options, console)
