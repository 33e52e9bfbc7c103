"""`surge demo`: the bundled sample API plus the bundled scenario, nothing else to install."""

from __future__ import annotations

import signal
import threading
from pathlib import Path

from rich.console import Console

from surge.cli.messages import print_error
from surge.cli.run_command import finish, run_observed
from surge.config import ConfigError, RunConfig
from surge.demo.server import DemoServer
from surge.exit_codes import ExitCode
from surge.runner import plan_jobs

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
        explicit = {"users": users, "duration": duration, "host": server.url, "name": "demo"}
        try:
            config = RunConfig.layered(explicit, {"out": out, "quiet": quiet, "ramp_up": 2.0})
            jobs = plan_jobs(str(SCENARIO), config)
            console.print(f"Scenario: {SCENARIO} (copy it to start your own)")
            runs = run_observed(str(SCENARIO), config, console, jobs)
        except ConfigError as exc:
            print_error(str(exc))
            return int(ExitCode.USAGE)
        return finish(runs, config, console)
