"""A compressed soak test: the generator's memory stays flat while `surge run` holds a rate.

The 30-minute version is `benchmarks/soak.py` (docs/benchmarks.md). This one compresses it by
width instead of length: 200 named endpoints make every second of per-endpoint history ten times
heavier than the benchmark's 20. It runs the closed model (a fixed crew of paced users), so the
generator's own working set (users, connections, buffers) is the same from the first second to
the last and what is measured is the history: kept whole in memory, the 16 seconds measured here
would add over 5 MiB; spilled, the RSS moves by about 1 MiB.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import time
from pathlib import Path

import psutil
from cli_helpers import SURGE, read_json

from servers import HttpTestServer

ENDPOINTS = 200
USERS = 20
PER_USER_RATE = 20
DURATION_S = 30
WARMUP_S = 10  # from the process's start: imports, the scenario, the first connections
MIB = 1024 * 1024


def scenario(endpoints: int) -> str:
    """USERS users, each starting a task every 1/PER_USER_RATE s: one GET of a named endpoint."""
    lines = ["import surge", "", "", "class Soak(surge.User):"]
    lines += [f"    wait_time = surge.constant_pacing({1 / PER_USER_RATE})", ""]
    for k in range(endpoints):
        lines += [
            "    @surge.task",
            f"    async def e{k:03d}(self) -> None:",
            f'        await self.http.get("/ok?e={k}", name="/e{k:03d}")',
            "",
        ]
    return "\n".join(lines)


def rss_every(proc: subprocess.Popen[str], every_s: float) -> list[tuple[float, int]]:
    """(seconds since the start, RSS) every `every_s` until the process exits."""
    watched = psutil.Process(proc.pid)
    t0 = time.monotonic()
    samples: list[tuple[float, int]] = []
    while proc.poll() is None:
        try:
            samples.append((time.monotonic() - t0, watched.memory_info().rss))
        except psutil.Error:
            break
        time.sleep(every_s)
    return samples


def test_generator_memory_is_flat_after_warm_up(workdir: Path) -> None:
    (workdir / "soak.py").write_text(scenario(ENDPOINTS))
    env = {k: v for k, v in os.environ.items() if not k.startswith("SURGE_")}
    with HttpTestServer() as server:
        cmd = [*SURGE, "run", "soak.py", "--host", server.url, "-u", str(USERS)]
        cmd += ["-d", f"{DURATION_S}s", "--no-store", "-q", "--out", "r.json"]
        proc = subprocess.Popen(
            cmd, cwd=workdir, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        samples = rss_every(proc, 0.5)
        out, err = proc.communicate(timeout=60)
        connections = server.connections_total
    doc = read_json(workdir / "r.json")
    assert len(doc["endpoints"]) == ENDPOINTS, err + out
    # a busy machine may not hold the pacing: the history costs the same per endpoint-second
    assert doc["summary"]["requests"] > USERS * PER_USER_RATE * DURATION_S * 0.3, "rate not held"
    assert connections == USERS  # the same users and connections all along: nothing else grows
    assert len(doc["timeline"]) >= DURATION_S
    live = [rss for t_s, rss in samples if WARMUP_S <= t_s <= DURATION_S - 1]
    assert len(live) >= 24
    # RSS moves by a few MiB either way (connections opened in a burst, the allocator's
    # arenas): the medians of the first and last three seconds, 16 seconds apart
    first, last = statistics.median(live[:6]), statistics.median(live[-6:])
    # kept whole, the seconds of 200 endpoints add over 5 MiB here; spilled, about 1 MiB
    assert last - first < 2.5 * MIB, (
        f"RSS grew {(last - first) / MIB:.1f} MiB after the warm-up "
        f"({first / MIB:.1f} -> {last / MIB:.1f} MiB): {[r // 1024 for _, r in samples]}"
    )
