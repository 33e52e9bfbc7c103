"""Every driver x workload pair against the shared loopback server, asserted identically.

The engine has one HTTP/1.1 core under every workload, so what a response counts as (HEAD, 204,
304, a close-delimited body, chunked with trailers, interim 1xx responses, garbage after a whole
response, a reset, a read timeout) must not depend on which driver started the iteration or which
workload sent the request. Each case is run by each pair on asyncio and on uvloop; a new driver or
workload joins the matrix by adding itself to DRIVERS or WORKLOADS.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

import pytest
import uvloop

from engine import loads
from servers import HttpTestServer
from surge.engine.http import ClientConfig
from surge.engine.workload import RunContext, Workload
from surge.metrics.recorder import Recorder
from surge.metrics.values import EndpointStats
from surge.scenario import User, task
from surge.scenario.spec import EndpointSpec

USERS, PER_USER = 2, 3
N = USERS * PER_USER  # requests per case, whatever the pair


@dataclass(frozen=True)
class Case:
    method: str
    path: str
    status: int = 200  # the status every response has (0: none arrives)
    errors: dict[str, int] = field(default_factory=dict)  # the error classes, when failing
    new_connection_each: bool = False  # the server sees one connection per request
    read_timeout_s: float | None = None
    total_timeout_s: float | None = None


CASES = {
    "head": Case("HEAD", "/fixed"),
    "204": Case("GET", "/status/204", status=204),
    "304": Case("GET", "/status/304", status=304),
    "close-delimited": Case("GET", "/close-delimited", new_connection_each=True),
    "chunked-trailers": Case("GET", "/chunked-trailers"),
    "100-continue": Case("GET", "/continue"),
    "103-early-hints": Case("GET", "/early-hints"),
    "pipelined-garbage": Case("GET", "/pipelined-garbage", new_connection_each=True),
    "reset": Case("GET", "/reset", status=0, errors={"reset": N}),
    "read-timeout": Case("GET", "/stall-body", status=0, errors={"timeout": N}, read_timeout_s=0.2),
    "total-timeout": Case("GET", "/hang", status=0, errors={"timeout": N}, total_timeout_s=0.2),
}


def _url(case: Case, base: str, config: ClientConfig) -> Workload:
    return loads.url(EndpointSpec(case.method, base + case.path), config)


def _scripted(case: Case, base: str, config: ClientConfig) -> Workload:
    class One(User):
        @task
        async def once(self) -> None:
            await self.http.request(case.method, case.path)

    return loads.scripted([One], base, config)


def _closed(work: Workload, recorder: Recorder) -> Coroutine[Any, Any, RunContext]:
    return loads.closed(work, recorder, users=USERS, requests_per_user=PER_USER)


def _open(work: Workload, recorder: Recorder) -> Coroutine[Any, Any, RunContext]:
    return loads.open_model(work, recorder, pace=loads.constant_rate(100, N / 100))


WORKLOADS: dict[str, Callable[[Case, str, ClientConfig], Workload]] = {
    "url": _url,
    "scripted": _scripted,
}
DRIVERS: dict[str, Callable[[Workload, Recorder], Coroutine[Any, Any, RunContext]]] = {
    "closed": _closed,
    "open": _open,
}


def _run(loop_name: str, coro: Coroutine[Any, Any, RunContext]) -> RunContext:
    if loop_name == "uvloop":
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            return runner.run(coro)
    return asyncio.run(coro)


@pytest.mark.parametrize("loop_name", ["asyncio", "uvloop"])
@pytest.mark.parametrize("workload", list(WORKLOADS))
@pytest.mark.parametrize("driver", list(DRIVERS))
@pytest.mark.parametrize("name", list(CASES))
def test_every_pair_counts_every_case_the_same(
    test_server: HttpTestServer, name: str, driver: str, workload: str, loop_name: str
) -> None:
    case = CASES[name]
    config = ClientConfig(
        read_timeout_s=case.read_timeout_s or 30.0, total_timeout_s=case.total_timeout_s or 30.0
    )
    recorder = Recorder()
    work = WORKLOADS[workload](case, test_server.url, config)
    _run(loop_name, DRIVERS[driver](work, recorder))

    snap = recorder.snapshot(0.0, 1.0, 0)
    (stats,) = [ep for ep in snap.endpoints if ep.method == case.method]
    assert not [ep.name for ep in snap.endpoints if ep.method == "SCRIPT"]  # no script errors
    failures = sum(case.errors.values())
    assert (stats.requests, stats.failures, stats.incomplete) == (N, failures, 0), stats
    assert stats.errors == case.errors
    assert stats.status_codes == ({case.status: N} if case.status else {})
    assert test_server.requests_by_path.get(case.path, 0) == N
    if case.new_connection_each:
        assert test_server.connections_total == N
    _assert_timing(case, stats, driver)
    arrivals = snap.arrivals  # open model: arrivals; closed scripted: iterations; closed URL: none
    if driver == "open" or workload == "scripted":
        assert arrivals.scheduled == N
        assert arrivals.completed + arrivals.failed == N
        assert arrivals.dropped_total == 0 and arrivals.in_flight_at_end == 0
    if driver == "open" and workload == "url":
        assert arrivals.failed == failures  # a request is the iteration


def _assert_timing(case: Case, stats: EndpointStats, driver: str) -> None:
    if case.total_timeout_s is not None:  # recorded at the timeout, not when a timer noticed
        limit_us = int(case.total_timeout_s * 1e6)
        # the open model's latency runs from the intended time: its service time is exact
        timed = stats.service_time if driver == "open" else stats.failure_latency
        assert (timed.min_us, timed.max_us) == (limit_us, limit_us), timed.summary_ms()
    elif case.read_timeout_s is not None:  # no byte for the read timeout after the last one
        limit_us = case.read_timeout_s * 1e6
        assert limit_us <= stats.failure_latency.min_us
        assert stats.failure_latency.max_us <= limit_us + 500_000
        assert stats.latency.total == 0
    elif not case.errors:
        assert stats.latency.total == N and stats.failure_latency.total == 0
