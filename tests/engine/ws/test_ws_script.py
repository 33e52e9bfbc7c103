"""Scripted WebSocket users against a real picows server on loopback: counts against the
server's own, reply latency against a known server delay, close codes, errors, TLS."""

from __future__ import annotations

import asyncio
import statistics
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
import uvloop

from protocol_servers import WsTestServer
from surge.engine.http import ClientConfig
from surge.engine.user_session import UserSession as Session
from surge.metrics import EndpointStats, Recorder


@pytest.fixture(scope="module")
def ws_server() -> Iterator[WsTestServer]:
    with WsTestServer() as server:
        yield server


@pytest.fixture
def server(ws_server: WsTestServer) -> WsTestServer:
    ws_server.reset()
    return ws_server


def run(
    base_url: str,
    script: Callable[[Session], Awaitable[Any]],
    config: ClientConfig | None = None,
) -> tuple[Any, dict[str, EndpointStats]]:
    recorder = Recorder()

    async def main() -> Any:
        async with Session(base_url, recorder, config or ClientConfig(total_timeout_s=5)) as s:
            return await script(s)

    out = uvloop.run(main())
    snap = recorder.snapshot(0.0, 1.0, 1)
    return out, {f"{e.method} {e.name}": e for e in snap.endpoints}


def test_echo_round_trips_count_what_the_server_counted(server: WsTestServer) -> None:
    async def script(http: Session) -> list[str]:
        ws = await http.ws.connect("/echo")
        replies = [(await ws.request(f"hello {k}")).text for k in range(50)]
        assert await ws.close() == 1000
        return replies

    replies, stats = run(server.http_url, script)
    assert replies == [f"hello {k}" for k in range(50)]
    echo = stats["GET /echo"]
    assert (echo.requests, echo.failures, dict(echo.status_codes)) == (1, 0, {101: 1})
    assert echo.counts["msgs_sent"] == server.received["/echo"] == 50
    assert echo.counts["msgs_received"] == server.sent == 50
    assert echo.counts["msg_bytes_sent"] == server.bytes_received
    assert echo.timings["reply"].total == 50
    assert echo.counts["sessions"] == server.sessions["/echo"] == 1
    assert dict(echo.close_codes) == {1000: 1}
    assert dict(server.close_codes) == {1000: 1}
    assert {"connect", "upgrade", "session"} <= set(echo.timings)
    assert "tls" not in echo.timings
    assert dict(echo.protocols) == {"WebSocket": 1}


def test_reply_latency_is_the_server_delay(server: WsTestServer) -> None:
    delay_ms = 20.0

    async def script(http: Session) -> list[float]:
        ws = await http.ws.connect(f"/echo?delay_ms={delay_ms:g}")
        out = [(await ws.request(b"x")).elapsed_s for _ in range(20)]
        await ws.close()
        return out

    elapsed, stats = run(server.http_url, script)
    reply = stats["GET /echo"].timings["reply"]
    held_ms = statistics.median(server.holds_us) / 1000  # as the server measured it
    assert held_ms >= delay_ms - 1.0
    assert held_ms <= reply.value_at_percentile_us(50) / 1000 <= held_ms * 1.02 + 1.0
    assert sum(elapsed) / len(elapsed) * 1000 == pytest.approx(reply.mean_us / 1000, abs=0.01)


def test_request_waits_for_the_reply_its_matcher_picks(server: WsTestServer) -> None:
    async def script(http: Session) -> tuple[str, str]:
        listener = await http.ws.connect("/chat", name="chat-listener")
        talker = await http.ws.connect("/chat")
        await talker.send("noise")
        reply = await talker.request("ping-7", match=lambda m: m.text == "ping-7")
        heard = [(await listener.recv(timeout_s=2)).text for _ in range(2)]
        await listener.close()
        await talker.close()
        return reply.text, ",".join(heard)

    (reply, heard), stats = run(server.http_url, script)
    assert reply == "ping-7"
    assert heard == "noise,ping-7"
    assert stats["GET /chat"].timings["reply"].total == 1
    assert stats["GET chat-listener"].counts["msgs_received"] == 2


def test_a_refused_upgrade_is_an_http_status_failure(server: WsTestServer) -> None:
    async def script(http: Session) -> tuple[bool, str | None]:
        ws = await http.ws.connect("/forbidden")
        message = await ws.recv()
        return ws.open, message.error

    (is_open, error), stats = run(server.http_url, script)
    assert (is_open, error) == (False, "reset")
    failed = stats["GET /forbidden"]
    assert (failed.requests, failed.failures) == (1, 1)
    assert dict(failed.errors) == {"http_status": 1}
    assert dict(failed.status_codes) == {403: 1}


def test_close_codes_and_abnormal_closes_are_counted(server: WsTestServer) -> None:
    async def script(http: Session) -> tuple[int | None, int | None]:
        closing = await http.ws.connect("/close?code=1011")
        await closing.send("bye")
        got = await closing.recv(timeout_s=2)
        assert got.error == "reset"
        dropping = await http.ws.connect("/drop")
        await dropping.send("bye")
        await dropping.recv(timeout_s=2)
        return closing.close_code, dropping.close_code

    codes, stats = run(server.http_url, script)
    assert codes == (1011, 1006)
    assert dict(stats["GET /close"].close_codes) == {1011: 1}
    assert dict(stats["GET /close"].errors) == {"other": 1}
    assert dict(stats["GET /drop"].close_codes) == {1006: 1}
    assert dict(stats["GET /drop"].errors) == {"reset": 1}
    assert stats["GET /drop"].counts["session_errors"] == 1
    assert stats["GET /drop"].failures == 0  # the opening succeeded


def test_a_receive_that_times_out_is_a_timeout_error(server: WsTestServer) -> None:
    async def script(http: Session) -> str | None:
        ws = await http.ws.connect("/echo")
        message = await ws.recv(timeout_s=0.05)
        rtt = await ws.ping(timeout_s=2)
        assert rtt is not None and rtt > 0
        await ws.close()
        return message.error

    error, stats = run(server.http_url, script)
    assert error == "timeout"
    echo = stats["GET /echo"]
    assert dict(echo.errors) == {"timeout": 1}
    assert echo.counts["pings"] == 1
    assert echo.timings["ping_rtt"].total == 1


def test_pushed_messages_wait_in_the_queue(server: WsTestServer) -> None:
    async def script(http: Session) -> list[str]:
        ws = await http.ws.connect("/push?n=5")
        got = [(await ws.recv(timeout_s=2)).text for _ in range(5)]
        await ws.close()
        return got

    got, stats = run(server.http_url, script)
    assert got == [f"push {k}" for k in range(5)]
    assert stats["GET /push"].counts["msgs_received"] == 5


def test_tls_is_verified_by_default() -> None:
    with WsTestServer(tls=True) as server:

        async def script(http: Session) -> bool:
            ws = await http.ws.connect("/echo")
            ok = ws.open and (await ws.request("x")).text == "x"
            await ws.close()
            return ok

        _, refused = run(server.http_url, script)
        assert dict(refused["GET /echo"].errors) == {"tls": 1}
        trusted = ClientConfig(total_timeout_s=5, ca_file=str(server.ca_pem_path))
        ok, stats = run(server.http_url, script, trusted)
        assert ok
        assert stats["GET /echo"].timings["tls"].total == 1
        assert server.sessions["/echo"] == 1


def test_a_refused_connection_is_refused() -> None:
    async def script(http: Session) -> bool:
        ws = await http.ws.connect("ws://127.0.0.1:9/echo")
        return ws.open

    opened, stats = run("http://127.0.0.1:9", script)
    assert not opened
    assert dict(stats["GET /echo"].errors) == {"refused": 1}


def test_sockets_left_open_close_with_the_user(server: WsTestServer) -> None:
    async def script(http: Session) -> None:
        ws = await http.ws.connect("/echo")
        await ws.request("x")

    _, stats = run(server.http_url, script)
    assert dict(stats["GET /echo"].close_codes) == {1000: 1}
    assert not stats["GET /echo"].errors
    asyncio.get_event_loop_policy()
