"""The dashboard's web server on loopback, spoken to over HTTP: the page and its headers, the
token (401) and the CSRF and origin checks (403) of control requests, the Host check on
loopback, downloads, and the event stream resuming from Last-Event-ID."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from surge.dashboard import Mode, UiSettings
from surge.dashboard.events import EventKind
from surge.dashboard.live import LiveDashboard

TOKEN = "a-long-enough-dashboard-token"


@pytest.fixture
def dashboard() -> Iterator[LiveDashboard]:
    with LiveDashboard(UiSettings(port=0, token=TOKEN).checked(), Mode.RUN) as served:
        yield served


def _request(
    dashboard: LiveDashboard,
    method: str,
    path: str,
    body: object = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    port = urlsplit(dashboard.url).port
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    data = None if body is None else json.dumps(body).encode()
    sent = {"Content-Type": "application/json"} if data is not None else {}
    connection.request(method, path, body=data, headers={**sent, **(headers or {})})
    response = connection.getresponse()
    payload = response.read()
    connection.close()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, payload


def _authorized(dashboard: LiveDashboard, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKEN}", **extra}


def _csrf(dashboard: LiveDashboard) -> str:
    return dashboard.context.access.csrf


def test_the_page_needs_the_token_and_the_token_sets_a_strict_cookie(
    dashboard: LiveDashboard,
) -> None:
    assert _request(dashboard, "GET", "/")[0] == 401
    assert _request(dashboard, "GET", "/?token=wrong")[0] == 401
    status, headers, _ = _request(dashboard, "GET", f"/?token={TOKEN}")
    assert status == 303 and headers["location"] == "/"
    cookie = headers["set-cookie"]
    assert TOKEN in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    name = cookie.split("=", 1)[0]
    status, headers, page = _request(dashboard, "GET", "/", headers={"Cookie": f"{name}={TOKEN}"})
    assert status == 200
    assert "default-src 'none'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"
    text = page.decode()
    assert TOKEN not in text  # the page never holds the token
    assert _csrf(dashboard) in text
    assert "http://" not in text.replace('"http://www.w3.org', "")  # no external reference


def test_control_requests_need_the_token_then_the_csrf_token(dashboard: LiveDashboard) -> None:
    csrf = {"X-Surge-CSRF": _csrf(dashboard)}
    assert _request(dashboard, "POST", "/api/stop", {}, csrf)[0] == 401
    assert _request(dashboard, "POST", "/api/users", {"users": 3}, csrf)[0] == 401
    assert _request(dashboard, "POST", "/api/stop", {}, _authorized(dashboard))[0] == 403
    foreign = _authorized(dashboard, Origin="http://evil.example", **csrf)
    assert _request(dashboard, "POST", "/api/stop", {}, foreign)[0] == 403
    status, _, body = _request(dashboard, "POST", "/api/stop", {}, _authorized(dashboard, **csrf))
    assert status == 409 and b"no run is in progress" in body  # allowed, but nothing to stop
    assert _request(dashboard, "GET", "/api/stop", None, _authorized(dashboard))[0] == 405
    form_post = _authorized(dashboard, **csrf, **{"Content-Type": "text/plain"})
    assert _request(dashboard, "POST", "/api/stop", "x", form_post)[0] == 400


def test_loopback_answers_only_to_loopback_names() -> None:
    with LiveDashboard(UiSettings(port=0).checked(), Mode.RUN) as served:
        assert _request(served, "GET", "/")[0] == 200
        rebound = _request(served, "GET", "/", headers={"Host": "attacker.example"})
        assert rebound[0] == 403
        assert _request(served, "GET", "/assets/dashboard.js")[1]["content-type"].startswith(
            "text/javascript"
        )
        assert _request(served, "GET", "/assets/secrets.txt")[0] == 404
        assert _request(served, "GET", "/download/1/json")[0] == 404


def _stream(dashboard: LiveDashboard, last_event_id: str | None, marker: str) -> list[str]:
    """The event ids a tab is sent, up to a notice `marker` appended once it is connected."""
    port = urlsplit(dashboard.url).port
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = _authorized(dashboard)
    if last_event_id is not None:
        headers["Last-Event-ID"] = last_event_id
    connection.request("GET", "/events", headers=headers)
    response = connection.getresponse()
    assert response.getheader("content-type", "").startswith("text/event-stream")
    dashboard.log.append(EventKind.NOTICE, {"text": marker})
    text = ""
    while marker not in text:
        text += response.read1(65536).decode()
    connection.close()
    return [line[4:] for line in text.splitlines() if line.startswith("id: ")]


def test_the_stream_replays_the_run_and_resumes_from_last_event_id(
    dashboard: LiveDashboard,
) -> None:
    log = dashboard.log
    log.append(EventKind.START, {"run": 1})
    for second in (1, 2, 3):
        log.append(EventKind.TICK, {"t": second})
    everything = _stream(dashboard, None, "first")
    assert len(everything) == 6  # session, start, three ticks, the notice
    resumed = _stream(dashboard, everything[-3], "second")
    assert resumed == [*everything[-2:], f"{log.boot}.{log.last_seq}"]  # tick 3 and on
