"""The achieved rate is over the load phase: a hung tail is not a rate the run fell short of."""

from __future__ import annotations

from pathlib import Path

from cli_helpers import read_json, run_surge

from servers import HttpTestServer

# Arrivals 40 and later (the second half of a 2 s run at 40/s) wait 5 s for their response:
# every arrival starts on time, the last second's requests are still in flight when the
# graceful stop (1 s) ends.
HUNG_TAIL = """\
import itertools

import surge

_arrivals = itertools.count()


class Tail(surge.User):
    @surge.task
    async def get(self) -> None:
        hung = next(_arrivals) >= 40
        await self.http.get("/delay?ms=5000" if hung else "/ok", name="/tail")
"""


def test_a_hung_tail_is_not_reported_as_load_not_sustained(
    test_server: HttpTestServer, workdir: Path
) -> None:
    (workdir / "tail.py").write_text(HUNG_TAIL)
    proc = run_surge(
        "run", "tail.py", "--host", test_server.url, "--rate", "40", "-d", "2s",
        "--graceful-stop", "1s", "--out", "r.json", "--no-store", cwd=workdir,
    )  # fmt: skip
    doc = read_json(workdir / "r.json")
    load = doc["summary"]["load"]
    assert load["scheduled"] == 80 and load["dropped_total"] == 0, load
    assert load["in_flight_at_end"] == 40 and load["completed"] == 40, load
    assert 1.9 <= load["load_phase_s"] <= 2.5, load
    assert 0.9 <= load["graceful_stop_s"] <= 1.6, load
    assert doc["summary"]["duration_s"] >= 2.9  # whole-run figures include the graceful stop
    assert load["sustained"] is True
    assert 32.0 <= load["achieved_rps"] <= 42.0, load  # 80 started over ~2 s, not over ~3 s
    assert "not sustained" not in proc.stdout, proc.stdout
    assert "load phase" in proc.stdout and "graceful stop" in proc.stdout, proc.stdout


def test_arrivals_that_fall_behind_are_still_not_sustained(
    test_server: HttpTestServer, workdir: Path
) -> None:
    """Every request hangs and at most 5 may be in flight: most arrivals are dropped."""
    proc = run_surge(
        "run", f"{test_server.url}/delay?ms=3000", "--rate", "40", "-d", "2s",
        "--max-in-flight", "5", "--graceful-stop", "0.5s", "--out", "r.json", "--no-store",
        cwd=workdir,
    )  # fmt: skip
    load = read_json(workdir / "r.json")["summary"]["load"]
    assert load["dropped"]["max_in_flight"] >= 70, load
    assert load["sustained"] is False
    assert "not sustained" in proc.stdout
