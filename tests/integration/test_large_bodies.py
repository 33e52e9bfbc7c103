"""A 1 GiB response in scripted mode leaves the generator's memory alone: unread, it is counted
and discarded as it arrives; streamed, it passes through a bounded window."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import psutil
import pytest
from cli_helpers import SURGE, read_json

from servers import HttpTestServer

GIB = 1 << 30
MIB = 1 << 20

UNREAD = """\
import surge


class Big(surge.User):
    @surge.task
    async def big(self) -> None:
        r = await self.http.get("/big?n=1073741824", name="/big")
        assert r.ok and r.status == 200
"""

STREAMED = """\
import surge


class Big(surge.User):
    @surge.task
    async def big(self) -> None:
        r = await self.http.get("/big?n=1073741824", name="/big", stream=True)
        size = 0
        async for chunk in r.stream():
            size += len(chunk)
        assert size == 1073741824, size
"""


def _rss_while_running(proc: subprocess.Popen[str], server: HttpTestServer) -> tuple[int, int]:
    """(RSS when the body starts to flow, highest RSS after that) of `proc`, sampled every
    20 ms until it exits."""
    watched = psutil.Process(proc.pid)
    start = peak = 0
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline:
        try:
            rss = watched.memory_info().rss
        except psutil.Error:
            break
        if server.requests_by_path.get("/big"):
            start = start or rss
            peak = max(peak, rss)
        time.sleep(0.02)
    return start, peak


@pytest.mark.parametrize("script", [UNREAD, STREAMED], ids=["unread", "streamed"])
def test_a_1_gib_body_does_not_grow_the_generator(
    test_server: HttpTestServer, workdir: Path, script: str
) -> None:
    (workdir / "big.py").write_text(script)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SURGE_")}
    proc = subprocess.Popen(
        [*SURGE, "run", "big.py", "--host", test_server.url, "-u", "1", "-n", "1",
         "--timeout", "120s", "--out", "r.json", "--no-store", "-q", "--allow-saturated"],
        cwd=workdir, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    start, peak = _rss_while_running(proc, test_server)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 0, stdout + stderr
    doc = read_json(workdir / "r.json")
    (big,) = [e for e in doc["endpoints"] if e["name"] == "/big"]
    assert big["requests"] == 1 and big["failures"] == 0, big
    assert big["bytes_received"] >= GIB
    assert not [e for e in doc["endpoints"] if e["method"] == "SCRIPT"], "the task failed"
    assert start > 0, "the body never started to flow"
    assert peak - start < 64 * MIB, f"RSS grew {(peak - start) / MIB:.1f} MiB for a 1 GiB body"
