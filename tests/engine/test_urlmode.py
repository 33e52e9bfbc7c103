"""URL mode: exact request counts, stop and abandon accounting, errors, timeouts."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from typing import Any

import pytest
import uvloop

from engine import loads
from engine.conftest import TestServer
from engine.loads import totals
from servers import closed_port
from surge.engine.http import ClientConfig
from surge.metrics.recorder import Recorder
from surge.scenario.spec import EndpointSpec, Expectations

Runner = Callable[[Coroutine[Any, Any, None]], None]


@pytest.fixture(params=["asyncio", "uvloop"])
def run_on(request: pytest.FixtureRequest) -> Runner:
    """Run a coroutine on the default loop and on uvloop (the production loop)."""

    def runner(coro: Coroutine[Any, Any, None]) -> None:
        if request.param == "uvloop":
            with asyncio.Runner(loop_factory=uvloop.new_event_loop) as r:
                r.run(coro)
        else:
            asyncio.run(coro)

    return runner


async def _drive(
    url: str,
    recorder: Recorder,
    *,
    users: int = 1,
    method: str = "GET",
    requests_per_user: int | None = None,
    duration_s: float | None = None,
    think_time_s: float = 0.0,
    offsets: list[float] | None = None,
    config: ClientConfig | None = None,
    stop: asyncio.Event | None = None,
    graceful_stop_s: float = 5.0,
    active: list[int] | None = None,
    expect: Expectations | None = None,
) -> None:
    await loads.closed(
        loads.url(EndpointSpec(method, url, expect=expect), config, think_time_s),
        recorder,
        users=users,
        offsets=offsets,
        duration_s=duration_s,
        requests_per_user=requests_per_user,
        stop=stop,
        graceful_stop_s=graceful_stop_s,
        on_active_change=active.append if active is not None else None,
    )


def test_requests_per_user_sends_exactly_users_times_n(fresh: TestServer, run_on: Runner) -> None:
    recorder = Recorder()
    active: list[int] = []
    run_on(_drive(fresh.url("/fixed"), recorder, users=8, requests_per_user=250, active=active))
    assert fresh.requests["/fixed"] == 2000
    assert fresh.connections == 8  # keep-alive: one connection per user
    assert totals(recorder) == {"ok": 2000, "fail": 0, "incomplete": 0}
    assert max(active) == 8 and active[-1] == 0


def test_ramp_up_offsets_and_think_time(fresh: TestServer) -> None:
    recorder = Recorder()
    active: list[int] = []
    t = time.perf_counter()
    coro = _drive(
        fresh.url("/fixed"),
        recorder,
        users=2,
        requests_per_user=3,
        think_time_s=0.05,
        offsets=[0.0, 0.3],
        active=active,
    )
    asyncio.run(coro)
    assert time.perf_counter() - t >= 0.3 + 2 * 0.05
    assert fresh.requests["/fixed"] == 6
    assert active[:2] == [1, 2] or active[:3] == [1, 0, 1]
    assert totals(recorder)["ok"] == 6


def test_head_requests_complete_on_headers(fresh: TestServer, run_on: Runner) -> None:
    recorder = Recorder()
    run_on(_drive(fresh.url("/fixed"), recorder, method="HEAD", users=2, requests_per_user=10))
    assert fresh.requests["/fixed"] == 20 and fresh.connections == 2
    assert totals(recorder) == {"ok": 20, "fail": 0, "incomplete": 0}


def test_duration_stops_issuing(fresh: TestServer, run_on: Runner) -> None:
    recorder = Recorder()
    t = time.perf_counter()
    run_on(_drive(fresh.url("/fixed"), recorder, users=3, duration_s=0.3))
    assert 0.29 <= time.perf_counter() - t < 3
    counts = totals(recorder)
    assert counts["ok"] > 0 and counts["fail"] == 0 and counts["incomplete"] == 0
    assert fresh.requests["/fixed"] == counts["ok"]


def test_stop_event_stops_the_run(fresh: TestServer) -> None:
    async def main() -> None:
        stop = asyncio.Event()
        asyncio.get_running_loop().call_later(0.2, stop.set)
        await _drive(fresh.url("/fixed"), recorder, users=2, stop=stop)

    recorder = Recorder()
    asyncio.run(main())
    assert totals(recorder)["ok"] == fresh.requests["/fixed"] > 0


def test_in_flight_requests_get_the_grace_period(fresh: TestServer, run_on: Runner) -> None:
    recorder = Recorder()
    run_on(_drive(fresh.url("/delay?ms=300"), recorder, users=4, duration_s=0.1))
    assert totals(recorder) == {"ok": 4, "fail": 0, "incomplete": 0}


def test_requests_still_in_flight_after_grace_are_incomplete(
    fresh: TestServer, run_on: Runner
) -> None:
    recorder = Recorder()
    t = time.perf_counter()
    run_on(_drive(fresh.url("/hang"), recorder, users=3, duration_s=0.1, graceful_stop_s=0.2))
    assert time.perf_counter() - t < 3
    assert fresh.requests["/hang"] == 3
    assert totals(recorder) == {"ok": 0, "fail": 0, "incomplete": 3}


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("/status/500", "http_status"),
        ("/garbage", "protocol"),
        ("/reset-mid", "reset"),
    ],
)
def test_errors_are_recorded_and_the_user_continues(
    fresh: TestServer, run_on: Runner, path: str, kind: str
) -> None:
    recorder = Recorder()
    run_on(_drive(fresh.url(path), recorder, users=2, requests_per_user=3))
    assert fresh.requests[path] == 6
    assert totals(recorder) == {"ok": 0, "fail": 6, "incomplete": 0, kind: 6}


def test_connection_close_reconnects_without_errors(fresh: TestServer, run_on: Runner) -> None:
    recorder = Recorder()
    run_on(_drive(fresh.url("/close"), recorder, users=2, requests_per_user=5))
    assert fresh.requests["/close"] == 10 and fresh.connections == 10
    assert totals(recorder) == {"ok": 10, "fail": 0, "incomplete": 0}


def test_idle_connection_closed_by_server_is_replaced(fresh: TestServer) -> None:
    recorder = Recorder()
    asyncio.run(_drive(fresh.url("/drop-idle"), recorder, requests_per_user=3, think_time_s=0.1))
    assert totals(recorder) == {"ok": 3, "fail": 0, "incomplete": 0}
    assert fresh.connections == 3


def test_reused_connection_closed_by_server_is_retried_once(
    fresh: TestServer, run_on: Runner
) -> None:
    recorder = Recorder()
    run_on(_drive(fresh.url("/one-per-connection"), recorder, requests_per_user=3))
    assert totals(recorder) == {"ok": 3, "fail": 0, "incomplete": 0}
    assert fresh.requests["/one-per-connection"] == 5 and fresh.connections == 3


def test_refused_and_dns_errors_back_off_and_count(run_on: Runner) -> None:
    recorder = Recorder()
    port = closed_port()
    run_on(_drive(f"http://127.0.0.1:{port}/", recorder, users=2, requests_per_user=3))
    run_on(_drive("http://nonexistent.invalid/", recorder, requests_per_user=2))
    assert totals(recorder) == {"ok": 0, "fail": 8, "incomplete": 0, "refused": 6, "dns": 2}


def test_read_timeout_fires_at_its_value(fresh: TestServer, run_on: Runner) -> None:
    recorder = Recorder()
    config = ClientConfig(read_timeout_s=0.3)
    t = time.perf_counter()
    run_on(_drive(fresh.url("/stall-body"), recorder, users=2, requests_per_user=1, config=config))
    assert 0.29 <= time.perf_counter() - t < 2
    (stats,) = recorder.snapshot(0, 1, 0).endpoints
    assert stats.errors == {"timeout": 2}
    assert 250_000 <= stats.failure_latency.max_us < 1_500_000


def test_tls_verified_by_default_and_insecure_flag(
    fresh: TestServer, run_on: Runner, ca_file: str
) -> None:
    strict = Recorder()
    run_on(_drive(fresh.tls_url("/fixed"), strict, requests_per_user=2))
    assert totals(strict) == {"ok": 0, "fail": 2, "incomplete": 0, "tls": 2}
    insecure = Recorder()
    config = ClientConfig(insecure=True)
    run_on(_drive(fresh.tls_url("/fixed"), insecure, users=2, requests_per_user=5, config=config))
    assert totals(insecure) == {"ok": 10, "fail": 0, "incomplete": 0}
    trusted = Recorder()
    config = ClientConfig(ca_file=ca_file)
    run_on(_drive(fresh.tls_url("/chunked-abc"), trusted, requests_per_user=5, config=config))
    assert totals(trusted) == {"ok": 5, "fail": 0, "incomplete": 0}


def test_invalid_url_is_rejected_before_traffic() -> None:
    with pytest.raises(ValueError, match="scheme"):
        asyncio.run(_drive("ftp://example.com/", Recorder(), requests_per_user=1))


def test_judged_users_keep_the_accounting(fresh: TestServer, run_on: Runner) -> None:
    """Expectations change what counts as success, never how requests are accounted."""
    recorder = Recorder()
    expect = Expectations(status=(200,), body="ok")
    run_on(_drive(fresh.url("/delay?ms=300"), recorder, users=3, duration_s=0.1, expect=expect))
    run_on(
        _drive(
            fresh.url("/hang"),
            recorder,
            users=2,
            duration_s=0.1,
            graceful_stop_s=0.2,
            expect=expect,
        )
    )
    config = ClientConfig(read_timeout_s=0.3)
    run_on(
        _drive(
            fresh.url("/stall-body"), recorder, requests_per_user=1, config=config, expect=expect
        )
    )
    run_on(_drive(fresh.url("/reset-mid"), recorder, requests_per_user=2, expect=expect))
    assert totals(recorder) == {"ok": 3, "fail": 3, "incomplete": 2, "timeout": 1, "reset": 2}
