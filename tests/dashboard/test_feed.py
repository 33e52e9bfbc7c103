"""The dashboard as an observer of a real run on loopback: every second becomes a tick, the
tables follow, the end brings the downloads, and no secret of the run reaches any event."""

from __future__ import annotations

import json
from typing import Any

import surge
from protocol_servers import SseTestServer, WsTestServer
from servers import HttpTestServer
from surge.checks import status
from surge.config import RunConfig
from surge.dashboard.downloads import Format
from surge.dashboard.events import EventKind, EventLog
from surge.dashboard.feed import DashboardFeed
from surge.dashboard.state import DashboardState, Mode
from surge.runner import RunControl, plan_jobs, run_all

SECRETS = ("hunter2-password", "query-secret-4711", "bearer-secret-0815", "cookie-secret-42")


class Careless(surge.User):
    """A script that names an endpoint and a check after a secret it was given."""

    wait_time = surge.constant(0.01)

    @surge.task
    async def call(self) -> None:
        named = f"/me {SECRETS[1]}"
        response = await self.http.get(f"/delay?ms=5&token={SECRETS[1]}", name=named)
        response.check(status(200, name=f"token {SECRETS[1]} accepted"))


def _events(log: EventLog, kind: EventKind) -> list[dict[str, object]]:
    return [json.loads(e.data) for e in log.after(0) if e.kind is kind]


def test_a_run_becomes_events_with_nothing_secret_in_them(test_server: HttpTestServer) -> None:
    target = [Careless]
    config = RunConfig(
        host=f"http://alice:{SECRETS[0]}@127.0.0.1:{test_server.port}",
        users=2,
        duration=2.2,
        header=(f"Authorization: Bearer {SECRETS[2]}", f"Cookie: sid={SECRETS[3]}"),
        auth_token=SECRETS[1],
        threshold=("p95<1s",),
        no_store=True,
    )
    jobs = plan_jobs(target, config)
    log, state = EventLog(), DashboardState(Mode.RUN)
    feed = DashboardFeed(log, state)
    control = RunControl()
    state.begin(jobs, control)
    try:
        runs = run_all(target, config, [feed], control=control, jobs=jobs)
        assert feed.drain()
    finally:
        feed.close()
    assert feed.errors == []
    (start,) = _events(log, EventKind.START)
    assert start["model"] == "closed" and start["steer"] == {"users": True, "rate": False}
    ticks = _events(log, EventKind.TICK)
    assert [round(float(str(t["t"]))) for t in ticks][:2] == [1, 2]
    assert sum(float(str(t["rps"])) > 0 for t in ticks) >= 2
    (tables,) = _events(log, EventKind.TABLES)
    assert tables["thresholds"][0]["passed"] is True  # type: ignore[index]
    (careless,) = tables["classes"]  # type: ignore[misc]
    assert careless["name"] == "Careless" and careless["weight"] == 1 and careless["users"] == 2
    assert 0 < careless["requests"] <= runs.results[0].requests
    (end,) = _events(log, EventKind.END)
    (final,) = end["tables"]["classes"]  # type: ignore[index]
    assert final["requests"] == runs.results[0].requests == runs.results[0].user_classes[0].requests
    assert end["run"] == 1 and end["passed"] is True
    assert [d["label"] for d in end["downloads"]] == [f.label for f in Format]  # type: ignore[union-attr]
    document = state.document(1, Format.JSON)
    assert document is not None
    assert json.loads(document.body)["summary"]["requests"] == runs.results[0].requests
    everything = "".join(e.data for e in log.after(0))
    everything += "".join(d.body.decode() for f in Format if (d := state.document(1, f)))
    for secret in SECRETS:
        assert secret not in everything, secret
    assert "***" in everything  # masked, not dropped


def test_websocket_and_event_stream_endpoints_carry_their_protocol_figures() -> None:
    class Reader(surge.User):
        @surge.task
        async def read(self) -> None:
            path = "/events?n=3&gap_ms=5"
            async for _ in self.http.sse(path, name="/events", max_reconnects=1, retry_s=0.01):
                pass

    def tables_of(target: object, config: RunConfig) -> tuple[dict[str, Any], dict[str, Any]]:
        jobs = plan_jobs(target, config)  # type: ignore[arg-type]
        log, state = EventLog(), DashboardState(Mode.RUN)
        feed = DashboardFeed(log, state)
        state.begin(jobs, RunControl())
        try:
            run_all(target, config, [feed], jobs=jobs)  # type: ignore[arg-type]
            assert feed.drain()
        finally:
            feed.close()
        (tables,) = _events(log, EventKind.TABLES)
        (end,) = _events(log, EventKind.END)
        return tables, end["tables"]  # type: ignore[return-value]

    with WsTestServer() as ws:
        url = f"{ws.url}/echo?delay_ms=3"
        config = RunConfig(message="hi", users=2, duration=1.2, no_store=True)
        live, final = tables_of(url, config)
        sent = ws.sent
    (echo,) = live["endpoints"]
    assert echo["protocol"]["sessions"] == 2 and echo["protocol"]["msgs_received_per_s"] > 0
    assert 3.0 <= echo["protocol"]["reply_p95"] < 1000
    (done,) = final["endpoints"]
    assert done["protocol"]["close_codes"] == {"1000": 2}
    received = done["protocol"]["msgs_received_per_s"] * final["t"]
    assert abs(received - sent) <= 1  # the mean rate over the run: every echo the server sent
    with SseTestServer() as sse:
        config = RunConfig(host=sse.url, users=1, duration=1.2, no_store=True)
        _, final = tables_of([Reader], config)
    (events,) = final["endpoints"]
    stream = events["protocol"]
    assert stream["events_per_s"] > 0 and stream["reconnects"] >= 1
    assert stream["first_event_p95"] is not None and stream["reply_p95"] is None
