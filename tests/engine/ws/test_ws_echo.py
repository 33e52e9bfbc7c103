"""WebSocket URL mode (echo load) under both drivers, against a real picows server."""

from __future__ import annotations

import statistics
from collections.abc import Iterator

import pytest
import uvloop

from protocol_servers import WsTestServer
from surge.engine.closed import ClosedDriver
from surge.engine.http import ClientConfig
from surge.engine.open import OpenDriver
from surge.engine.workload import RunContext
from surge.engine.ws.echo import WsEchoWorkload
from surge.metrics import EndpointStats, Recorder
from surge.metrics.values import Arrivals


@pytest.fixture(scope="module")
def ws_server() -> Iterator[WsTestServer]:
    with WsTestServer() as server:
        yield server


@pytest.fixture
def server(ws_server: WsTestServer) -> WsTestServer:
    ws_server.reset()
    return ws_server


def closed_run(
    work: WsEchoWorkload, users: int, per_user: int | None, duration_s: float | None = None
) -> tuple[EndpointStats, Arrivals]:
    recorder = Recorder()

    async def main() -> None:
        driver = ClosedDriver(
            users=users,
            start_offsets_s=[0.0] * users,
            iterations_per_user=per_user,
            duration_s=duration_s,
        )
        await driver.run(work, RunContext(recorder, graceful_stop_s=1.0))

    uvloop.run(main())
    snap = recorder.snapshot(0.0, 1.0, 0)
    return snap.endpoints[0], snap.arrivals


def test_closed_users_make_exactly_their_round_trips(server: WsTestServer) -> None:
    work = WsEchoWorkload(f"{server.url}/echo", "hello", ClientConfig(total_timeout_s=5))
    echo, arrivals = closed_run(work, users=4, per_user=250)
    assert echo.key == ("GET", "/echo")
    assert (echo.requests, echo.failures) == (4, 0)  # one opening per user
    assert echo.counts["msgs_sent"] == server.received["/echo"] == 1000
    assert echo.counts["msgs_received"] == server.sent == 1000
    assert echo.counts["msg_bytes_sent"] == server.bytes_received == 5000
    assert echo.timings["reply"].total == 1000
    assert (arrivals.scheduled, arrivals.completed) == (1000, 1000)
    assert dict(echo.close_codes) == {1000: 4}
    assert server.sessions["/echo"] == 4
    assert dict(server.close_codes) == {1000: 4}


def test_reply_latency_in_url_mode_is_the_server_delay(server: WsTestServer) -> None:
    """Each reply's round trip is the time the server held the message (15 ms by its timer,
    measured by the server itself) plus loopback: within 1 ms + 2 % (medians: one message the
    busy machine delayed does not decide it)."""
    work = WsEchoWorkload(f"{server.url}/echo?delay_ms=15", b"\x00\x01", ClientConfig())
    echo, _ = closed_run(work, users=2, per_user=15)
    reply = echo.timings["reply"]
    held_ms = statistics.median(server.holds_us) / 1000
    assert len(server.holds_us) == reply.total == 30
    assert held_ms >= 14.0
    assert held_ms <= reply.value_at_percentile_us(50) / 1000 <= held_ms * 1.02 + 1.0
    assert echo.counts["msg_bytes_received"] == 2 * 15 * 2


def test_a_duration_run_ends_with_clean_closes(server: WsTestServer) -> None:
    work = WsEchoWorkload(f"{server.url}/echo?delay_ms=1", "x", ClientConfig())
    echo, arrivals = closed_run(work, users=3, per_user=None, duration_s=0.5)
    assert arrivals.scheduled == arrivals.completed + arrivals.in_flight_at_end
    assert arrivals.completed == echo.timings["reply"].total > 10
    assert echo.counts["msgs_sent"] == server.received["/echo"]
    assert dict(echo.close_codes) == {1000: 3}
    assert not echo.errors


def test_a_reply_that_never_comes_is_a_timeout(server: WsTestServer) -> None:
    config = ClientConfig(read_timeout_s=0.2, total_timeout_s=5)
    work = WsEchoWorkload(f"{server.url}/echo?delay_ms=5000", "x", config)
    echo, arrivals = closed_run(work, users=1, per_user=2)
    assert dict(echo.errors) == {"timeout": 2}
    assert echo.requests == 2  # reopened after the first timeout
    assert arrivals.failed == 2
    assert "reply" not in echo.timings


def test_the_open_model_times_round_trips_from_their_arrival(server: WsTestServer) -> None:
    work = WsEchoWorkload(f"{server.url}/echo?delay_ms=2", "x", ClientConfig())
    recorder = Recorder()
    rate, count = 200.0, 100

    async def main() -> None:
        def pace(elapsed_s: float, k: int) -> float | None:
            return k / rate - elapsed_s if k < count else None

        # no cap in reach: a loop stalled by a busy machine must not drop arrivals here
        driver = OpenDriver(pace=pace, max_in_flight=count)
        await driver.run(work, RunContext(recorder, graceful_stop_s=5.0))

    uvloop.run(main())
    snap = recorder.snapshot(0.0, 1.0, 0)
    echo, arrivals = snap.endpoints[0], snap.arrivals
    assert arrivals.scheduled == count
    assert arrivals.dropped_total == arrivals.failed == 0
    assert arrivals.completed == echo.timings["reply"].total == count
    assert echo.counts["msgs_sent"] == server.received["/echo"] == count
    assert echo.timings["reply"].min_us >= 2000 - 1000
    assert echo.requests == server.sessions["/echo"]


def test_refused_openings_are_failures_and_the_user_retries() -> None:
    work = WsEchoWorkload("ws://127.0.0.1:9/echo", "x", ClientConfig())
    echo, _ = closed_run(work, users=1, per_user=None, duration_s=0.3)
    assert echo.failures == echo.requests > 1
    assert set(echo.errors) == {"refused"}
