"""Per-User-class counts of scripted runs (users, iterations, requests), checked against what
the server counted: closed model, on two workers, and the open model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cli_helpers import read_json, run_surge

from servers import HttpTestServer

MIX = """\
import surge


class Heavy(surge.User):
    weight = 3

    @surge.task
    async def one(self) -> None:
        await self.http.get("/ok", name="/heavy")


class Light(surge.User):
    weight = 1

    @surge.task
    async def two(self) -> None:
        await self.http.get("/ok", name="/light-1")
        await self.http.get("/echo", name="/light-2")
"""


def _classes(doc: dict[str, Any]) -> dict[str, tuple[int, int, int]]:
    return {c["name"]: (c["users"], c["iterations"], c["requests"]) for c in doc["user_classes"]}


def _run(server: HttpTestServer, workdir: Path, *args: str) -> dict[str, Any]:
    (workdir / "mix.py").write_text(MIX)
    proc = run_surge(
        "run", "mix.py", "--host", server.url, "--out", "r.json", "-q", "--no-store", *args,
        cwd=workdir,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "User classes" in proc.stdout
    return read_json(workdir / "r.json")


def test_closed_model_counts_each_class(test_server: HttpTestServer, workdir: Path) -> None:
    doc = _run(test_server, workdir, "-u", "4", "-n", "5")
    assert _classes(doc) == {"Heavy": (3, 15, 15), "Light": (1, 5, 10)}
    assert test_server.requests_total == doc["summary"]["requests"] == 25


def test_two_workers_add_up(test_server: HttpTestServer, workdir: Path) -> None:
    doc = _run(test_server, workdir, "-u", "4", "-n", "5", "--workers", "2")
    classes = _classes(doc)
    assert set(classes) == {"Heavy", "Light"}
    assert sum(users for users, _, _ in classes.values()) == 4
    assert sum(iterations for _, iterations, _ in classes.values()) == 20
    assert sum(requests for _, _, requests in classes.values()) == test_server.requests_total
    assert [w["requests"] for w in doc["workers"]] and sum(
        w["requests"] for w in doc["workers"]
    ) == test_server.requests_total


def test_open_model_counts_iterations_per_arrival(
    test_server: HttpTestServer, workdir: Path
) -> None:
    doc = _run(test_server, workdir, "--rate", "20", "-d", "1s")
    classes = _classes(doc)
    load = doc["summary"]["load"]
    iterations = sum(i for _, i, _ in classes.values())
    assert iterations == load["completed"] + load["failed"] > 0
    assert sum(r for _, _, r in classes.values()) == test_server.requests_total
    heavy_users, heavy_iterations, heavy_requests = classes["Heavy"]
    assert heavy_users >= 1 and heavy_requests == heavy_iterations  # one request per iteration
    if "Light" in classes:
        assert classes["Light"][2] == 2 * classes["Light"][1]
