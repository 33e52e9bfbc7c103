"""Server-Sent Events against a real loopback event-stream server: events counted against the
server's, Last-Event-ID reconnects, first-event and gap timings, failures; and the parser."""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
import uvloop

from protocol_servers import SseTestServer
from surge.engine.http import ClientConfig
from surge.engine.sse import EventParser
from surge.engine.user_session import UserSession as Session
from surge.metrics import EndpointStats, Recorder


@pytest.fixture
def server() -> Iterator[SseTestServer]:
    with SseTestServer() as srv:
        yield srv


def run(
    base_url: str, script: Callable[[Session], Awaitable[Any]], read_timeout_s: float = 5.0
) -> tuple[Any, dict[str, EndpointStats]]:
    recorder = Recorder()
    config = ClientConfig(read_timeout_s=read_timeout_s, total_timeout_s=5)

    async def main() -> Any:
        async with Session(base_url, recorder, config) as session:
            return await script(session)

    out = uvloop.run(main())
    snap = recorder.snapshot(0.0, 1.0, 1)
    return out, {f"{e.method} {e.name}": e for e in snap.endpoints}


def test_events_and_reconnects_with_last_event_id(server: SseTestServer) -> None:
    async def script(http: Session) -> list[tuple[str, str, str | None]]:
        got = []
        async for event in http.sse("/events?n=6&retry_ms=10", max_reconnects=2):
            got.append((event.event, event.data, event.id))
            if len(got) == 3:
                # the server ends each stream after its events; this one ends after event 5
                pass
        return got

    # n=6: the first stream sends 0..5 and closes; each reconnect resumes after id 5: nothing
    got, stats = run(server.url, script)
    assert got == [("tick", f"event {k}\nline 2", str(k)) for k in range(6)]
    events = stats["GET /events"]
    assert events.counts["events"] == server.events_sent == 6
    assert events.counts["reconnects"] == 2
    assert server.last_event_ids == [None, "5", "5"]
    assert events.requests == server.requests == 3
    assert events.failures == 0
    assert events.timings["first_event"].total == 1
    assert events.timings["event_gap"].total == 5
    assert dict(events.protocols) == {"SSE": 3}


def test_max_events_ends_the_stream_and_gaps_are_the_server_gaps(server: SseTestServer) -> None:
    gap_ms = 20.0

    async def script(http: Session) -> int:
        n = 0
        async for _event in http.sse(f"/events?n=50&gap_ms={gap_ms:g}&end=hold", max_events=6):
            n += 1
        return n

    n, stats = run(server.url, script)
    assert n == 6
    gaps = stats["GET /events"].timings["event_gap"]
    assert gaps.total == 5
    sent = server.sent_at_ns[:6]  # the gaps the server really left (its sleeps may run late)
    real_ms = statistics.median(b - a for a, b in itertools.pairwise(sent)) / 1e6
    assert real_ms >= gap_ms - 1.0
    assert abs(gaps.value_at_percentile_us(50) / 1000 - real_ms) <= real_ms * 0.02 + 1.0
    assert "reconnects" not in stats["GET /events"].counts


def test_an_error_status_ends_the_stream_without_reconnecting(server: SseTestServer) -> None:
    async def script(http: Session) -> int:
        return len([e async for e in http.sse("/status?code=503")])

    n, stats = run(server.url, script)
    assert n == 0
    failed = stats["GET /status"]
    assert (failed.requests, failed.failures, dict(failed.status_codes)) == (1, 1, {503: 1})
    assert server.requests == 1


def test_a_silent_stream_times_out_and_reconnects(server: SseTestServer) -> None:
    async def script(http: Session) -> int:
        n = 0
        async for _event in http.sse("/events?n=1&end=hold", max_reconnects=1, retry_s=0.01):
            n += 1
        return n

    n, stats = run(server.url, script, read_timeout_s=0.2)
    assert n == 1  # the reconnect resumes after id 0: nothing more, then silence again
    events = stats["GET /events"]
    assert dict(events.errors) == {"timeout": 2}
    assert events.counts["session_errors"] == 2
    assert events.counts["reconnects"] == 1
    assert events.failures == 0


def test_a_refused_stream_is_a_failed_request() -> None:
    async def script(http: Session) -> int:
        return len([e async for e in http.sse("/events", max_reconnects=1, retry_s=0.01)])

    n, stats = run("http://127.0.0.1:9", script)
    assert n == 0
    assert dict(stats["GET /events"].errors) == {"refused": 2}


def test_the_parser_follows_the_event_stream_format() -> None:
    parser = EventParser()
    stream = b"\xef\xbb\xbfdata: a\r\ndata:b\r\n\r\n: note\nevent: x\nid: 7\nretry: 250\ndata\n\n"
    events = [e for i in range(len(stream)) for e in parser.feed(stream[i : i + 1])]
    assert [(e.event, e.data, e.id) for e in events] == [("message", "a\nb", None), ("x", "", "7")]
    assert parser.retry_ms == 250
    assert parser.feed(b"id: bad\0id\ndata: z\n\n")[0].id == "7"
    assert parser.feed(b"event: only\n\n") == []
