"""Scripted users over HTTP/2 (`http2 = True` on the class, or the workload's --http2) against
nginx: each user's concurrent requests share its one connection; headers, bodies, statuses."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
import uvloop

from nginx_h2 import NginxH2
from surge.engine.closed import ClosedDriver
from surge.engine.http import ClientConfig
from surge.engine.scripted import ScriptWorkload
from surge.engine.workload import RunContext
from surge.metrics import EndpointStats, Recorder
from surge.scenario.user import User, task

SEEN: list[tuple[int, str, int]] = []


class Browser(User):
    http2 = True

    @task
    async def page(self) -> None:
        first = await self.http.get("/")
        SEEN.append((first.status, first.text, len(first.headers)))
        many = await asyncio.gather(*(self.http.get("/big") for _ in range(4)))
        SEEN.extend((r.status, r.text[:1], len(r.content)) for r in many)
        await self.http.get("/status/404")


class Plain(User):
    @task
    async def page(self) -> None:
        await self.http.get("/")


@pytest.fixture(scope="module")
def nginx() -> Iterator[NginxH2]:
    with NginxH2() as server:
        yield server


def run(
    cls: type[User], base_url: str, users: int, per_user: int, **kwargs: object
) -> dict[str, EndpointStats]:
    recorder = Recorder()
    work = ScriptWorkload(
        [cls],
        base_url=base_url,
        config=ClientConfig(ca_file=str(kwargs.pop("ca_file", "")) or None),
        class_of=lambda i: 0,
        **kwargs,  # type: ignore[arg-type]
    )

    async def main() -> None:
        driver = ClosedDriver(
            users=users, start_offsets_s=[0.0] * users, iterations_per_user=per_user
        )
        await driver.run(work, RunContext(recorder))

    uvloop.run(main())
    snap = recorder.snapshot(0.0, 1.0, 0)
    return {f"{e.method} {e.name}": e for e in snap.endpoints}


def test_a_users_requests_are_streams_on_its_own_connection(nginx: NginxH2) -> None:
    nginx.clear()
    SEEN.clear()
    stats = run(Browser, f"http://127.0.0.1:{nginx.h2c}", users=3, per_user=2)
    log = nginx.log()
    assert len(log) == 3 * 2 * 6
    assert {row[1] for row in log} == {"HTTP/2.0"}
    assert stats["GET /"].requests == 6 and stats["GET /"].failures == 0
    assert stats["GET /big"].requests == 24
    assert stats["GET /status/{id}"].errors == {"http_status": 24 // 4}  # named by template
    firsts = [entry for entry in SEEN if entry[1] == "ok"]
    assert len(firsts) == 6 and all(n > 0 for _, _, n in firsts)  # headers from the h2 head
    assert [entry for entry in SEEN if entry[1] != "ok"] == [(200, "x", 256 * 1024)] * 24
    connections = sum(e.counts.get("connections", 0) for e in stats.values())
    assert connections == 3  # one per user
    assert stats["GET /big"].protocols == {"HTTP/2": 24}


def test_the_workload_switch_sends_every_class_over_tls_h2(nginx: NginxH2) -> None:
    nginx.clear()
    stats = run(
        Plain,
        f"https://127.0.0.1:{nginx.tls}",
        users=2,
        per_user=5,
        http2=True,
        ca_file=nginx.ca_pem_path,
    )
    assert stats["GET /"].requests == len(nginx.log()) == 10
    assert {row[1] for row in nginx.log()} == {"HTTP/2.0"}
    assert stats["GET /"].protocols == {"HTTP/2": 10}


STREAMED: list[tuple[int, int, int]] = []


class Streamer(User):
    http2 = True

    @task
    async def download(self) -> None:
        resp = await self.http.get("/big", stream=True)
        chunks = [len(chunk) async for chunk in resp.stream()]
        STREAMED.append((resp.status, sum(chunks), len(resp.headers)))


def test_a_streamed_body_over_http2_is_read_whole_and_recorded_once(nginx: NginxH2) -> None:
    nginx.clear()
    STREAMED.clear()
    stats = run(Streamer, f"http://127.0.0.1:{nginx.h2c}", users=1, per_user=3)
    assert [(status, size) for status, size, _ in STREAMED] == [(200, 256 * 1024)] * 3
    assert all(n_headers > 0 for _, _, n_headers in STREAMED)
    big = stats["GET /big"]
    assert (big.requests, big.failures, big.protocols) == (3, 0, {"HTTP/2": 3})
    assert big.bytes_received > 3 * 256 * 1024
    assert len(nginx.log()) == 3
