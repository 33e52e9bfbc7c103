"""A compressed soak test: the generator's memory stays flat while `surge run` holds a rate.

The full version is `benchmarks/soak.py` (docs/benchmarks.md): 30 minutes at 1,500 arrivals/s
over 20 endpoints, RSS growth after a 1-minute warm-up at most 5 %; the slow test at the end runs
it when asked (`SURGE_SOAK_DURATION=30m python -m pytest tests/integration/test_soak.py`).
The CI version compresses it by width instead of length: 200 named endpoints make every second
of per-endpoint history ten times heavier than the benchmark's 20. It runs the closed model (a
fixed crew of paced users), so the generator's own working set (users, connections, buffers) is
the same from the first second to the last and what is measured is the history: kept whole in
memory, the 16 seconds measured here would add over 5 MiB; spilled, the RSS moves by about 1 MiB.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
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


SOAK_DURATION = os.environ.get("SURGE_SOAK_DURATION", "")  # "30m": the benchmark's length


@pytest.mark.slow
@pytest.mark.skipif(not SOAK_DURATION, reason="30 minutes: set SURGE_SOAK_DURATION=30m to run it")
@pytest.mark.timeout(4 * 3600)
def test_the_full_soak_stays_within_5_percent(tmp_path: Path) -> None:
    """The benchmark's run as a test: 1,500 arrivals/s over 20 endpoints for 30 minutes, RSS
    (sampled every 10 s) at most 5 % above the sample at the end of the 1-minute warm-up."""
    script = Path(__file__).resolve().parents[2] / "benchmarks" / "soak.py"
    proc = subprocess.run(
        [sys.executable, str(script), "--duration", SOAK_DURATION, "--out-dir", str(tmp_path)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    report = proc.stdout + proc.stderr
    assert (tmp_path / "soak_rss.json").exists(), report
    growth = read_json(tmp_path / "soak_rss.json")["growth"]
    doc = read_json(tmp_path / "result.json")
    assert len(doc["endpoints"]) == 20, report
    assert len(doc["timeline"]) >= 60, "the timeline the HTML charts draw"
    assert growth["growth_pct"] <= 5.0, report
    assert proc.returncode == 0, report
