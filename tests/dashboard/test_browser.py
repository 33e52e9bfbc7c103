"""The dashboard's real page in headless Chromium, against real runs on loopback (the `surge`
command in a subprocess, the shared test server as the target).

`surge run --ui`: the charts take every second, a refresh replays the run, the token guards
the page and the controls, setting users mid-run changes the load the server sees, Stop ends
the run with its result stored, the downloads work after the process has ended, and the page
has content, no console error and no request outside the dashboard.

`surge ui`: a run is set up from the form (a bad value is refused with its message; user
classes picked), watched to its end, and run again.
"""

from __future__ import annotations

import json
import signal
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from browser import Served, Tab, content, launch_chromium
from servers import HttpTestServer
from surge.dashboard import Mode, UiSettings
from surge.dashboard.events import EventKind
from surge.dashboard.live import LiveDashboard
from surge.store import Store

TOKEN = "browser-test-token-0123456789"
BACKGROUND = b"\xf3\xf4\xf6"  # the page's grey


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launch_chromium()


def _ticks(tab: Tab) -> int:
    return int(tab.number("Number(document.body.dataset.ticks || 0)"))


def _server_rate(tab: Tab, server: HttpTestServer, window_s: float) -> float:
    before, started = server.requests_total, time.monotonic()
    tab.pause(window_s)
    return (server.requests_total - before) / (time.monotonic() - started)


def _post(url: str, path: str, headers: dict[str, str]) -> int:
    request = urllib.request.Request(
        url.rstrip("/") + path,
        data=b'{"users": 50}',
        headers={"Content-Type": "application/json", **headers},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def _charts_update_every_second(tab: Tab) -> None:
    page = tab.page
    path = "document.querySelector('figure[data-chart=throughput] path.line').getAttribute('d')"
    for _ in range(2):
        ticks, drawn = _ticks(tab), page.evaluate(path)
        tab.wait_for(lambda ticks=ticks: _ticks(tab) > ticks, "the next second", timeout_s=4.0)
        tab.wait_for(lambda drawn=drawn: page.evaluate(path) != drawn, "the chart to redraw", 2.0)
    points = page.eval_on_selector_all(
        "figure.chart", "els => els.map(e => Number(e.dataset.points))"
    )
    assert len(points) == 4 and all(p == _ticks(tab) for p in points)


def _refresh_replays_the_run(tab: Tab) -> None:
    seen = _ticks(tab)
    tab.page.reload()
    tab.wait_for(lambda: _ticks(tab) >= seen, "the replay", timeout_s=5.0)
    points = tab.page.eval_on_selector("figure[data-chart=latency]", "e => e.dataset.points")
    assert int(points) >= seen
    assert tab.page.locator("#c-requests").text_content() != "0"


def _setting_users_changes_the_load(tab: Tab, server: HttpTestServer) -> None:
    page = tab.page
    before = _server_rate(tab, server, 1.5)
    page.fill("#users-input", "4")
    page.click("#users-apply")
    tab.wait_for(lambda: "users set to 4" in (page.text_content("#control-message") or ""), "set")
    tab.pause(0.5)
    after = _server_rate(tab, server, 1.5)
    assert after > 2.2 * before, (before, after)
    assert server.connections_open >= 4
    tab.wait_for(lambda: page.locator("figure[data-chart=load] line.mark").count() == 1, "the mark")
    assert page.locator("text.mark").first.text_content() == "users → 4"
    tab.wait_for(lambda: page.text_content("#c-target") == "target 4", "the target to follow")


def _screenshot_has_content(tab: Tab) -> None:
    tab.page.mouse.move(0, 0)
    colours, inked = content(tab.page.screenshot(full_page=True), BACKGROUND)
    assert colours > 60 and inked > 0.3, (colours, inked)
    chart = tab.page.locator("figure[data-chart=throughput]").screenshot()
    colours, inked = content(chart)
    assert colours > 30 and inked > 0.03, (colours, inked)


def _downloads(tab: Tab, folder: Path) -> dict[str, str]:
    page = tab.page
    links = page.locator("#downloads a")
    tab.wait_for(lambda: page.locator("#downloads a[data-kept='1']").count() == 4, "the downloads")
    got: dict[str, str] = {}
    for index in range(links.count()):
        link = links.nth(index)
        with page.expect_download() as info:
            link.click()
        download = info.value
        target = folder / download.suggested_filename
        download.save_as(target)
        got[str(link.get_attribute("data-format"))] = target.read_text(encoding="utf-8")
    return got


def test_watch_steer_stop_and_download(
    browser: Any, test_server: HttpTestServer, tmp_path: Path
) -> None:
    store = f"sqlite:///{tmp_path / 'runs.db'}"
    served = Served(
        ["run", f"{test_server.url}/delay?ms=40", "-u", "1", "-d", "60s", "--ui", "--ui-port", "0",
         "--ui-token", TOKEN, "--store", store, "--name", "dash-run", "-q",
         "--threshold", "p95<5s", "--allow-saturated"],
        cwd=tmp_path,
    )  # fmt: skip
    tab = Tab(browser, served.url)
    try:
        page = tab.page
        page.goto(f"{served.url}?token={TOKEN}")
        tab.wait_for(lambda: _ticks(tab) >= 1, "the first second")
        _charts_update_every_second(tab)
        _refresh_replays_the_run(tab)
        assert _post(served.url, "/api/users", {}) == 401  # no token
        assert _post(served.url, "/api/users", {"Authorization": f"Bearer {TOKEN}"}) == 403
        _setting_users_changes_the_load(tab, test_server)
        _screenshot_has_content(tab)
        page.click("#stop")
        assert served.wait(30, tab) == 0, served.output()
        downloads = _downloads(tab, tmp_path)  # the process has ended: the page kept them
        assert tab.errors == [] and tab.external == []
    finally:
        tab.close()
        served.stop()
    document = json.loads(downloads["json"])
    assert document["meta"]["aborted"] and document["meta"]["abort_reason"] == (
        "stopped from the dashboard"
    )
    assert document["summary"]["requests"] > 0
    assert downloads["stats.csv"].startswith("Method,Name,Requests,Failures")
    assert downloads["history.csv"].count("\n") >= 4
    assert downloads["html"].startswith("<!DOCTYPE html>") and "surge report" in downloads["html"]
    with Store.open(store) as opened:
        (stored,) = opened.runs("dash-run")
    assert stored.result.meta.aborted and stored.result.requests == document["summary"]["requests"]


SCENARIO = """
import surge


class Reader(surge.User):
    weight = 3
    wait_time = surge.constant(0.05)

    @surge.task
    async def read(self) -> None:
        await self.http.get("/ok")


class Writer(surge.User):
    wait_time = surge.constant(0.05)

    @surge.task
    async def write(self) -> None:
        await self.http.post("/echo", json={"n": 1})
"""


def _start(tab: Tab, users: str, duration: str) -> None:
    page = tab.page
    page.fill("#f-users", users)
    page.fill("#f-duration", duration)
    page.click("#start")


def test_surge_ui_runs_from_the_form_and_again(
    browser: Any, test_server: HttpTestServer, tmp_path: Path
) -> None:
    (tmp_path / "shop.py").write_text(SCENARIO, encoding="utf-8")
    store = f"sqlite:///{tmp_path / 'runs.db'}"
    served = Served(
        ["ui", "shop.py", "--host", test_server.url, "--ui-port", "0", "--store", store,
         "--name", "ui-run", "-q"],
        cwd=tmp_path,
    )  # fmt: skip
    tab = Tab(browser, served.url)
    try:
        page = tab.page
        page.goto(served.url)
        tab.wait_for(lambda: page.evaluate("document.body.dataset.phase") == "idle", "the session")
        assert page.locator("#form-panel").is_visible()
        assert page.get_attribute("#f-users", "placeholder") == "10"
        assert page.locator("#class-rows .row").count() == 2
        _start(tab, "0", "2s")
        tab.wait_for(lambda: "--users" in (page.text_content("#form-error") or ""), "the refusal")
        assert test_server.requests_total == 0
        assert [e for e in tab.errors if "status of 400" not in e] == []  # the refusal's 400
        tab.errors.clear()

        page.uncheck("#class-Writer")
        _start(tab, "2", "2s")
        tab.wait_for(lambda: page.evaluate("document.body.dataset.run") == "1", "the run")
        tab.wait_for(lambda: page.evaluate("document.body.dataset.phase") == "finished", "its end")
        assert set(test_server.requests_by_path) == {"/ok"}
        assert page.locator("#runs tbody tr").count() == 1
        reader = page.locator("#classes tbody tr").all_text_contents()
        assert len(reader) == 1 and reader[0].startswith("Reader3100 %2")  # 2 users started

        page.check("#class-Writer")
        _start(tab, "3", "2s")
        tab.wait_for(lambda: page.evaluate("document.body.dataset.run") == "2", "the second run")
        tab.wait_for(lambda: page.evaluate("document.body.dataset.phase") == "finished", "its end")
        assert test_server.requests_by_path.get("/echo", 0) > 0
        assert page.locator("#runs tbody tr").count() == 2
        assert page.locator("#end-panel").is_visible()
        assert tab.errors == [] and tab.external == []
        served.process.send_signal(signal.SIGINT)
        assert served.wait(20, tab) == 0, served.output()
    finally:
        tab.close()
        served.stop()
    with Store.open(store) as opened:
        runs = opened.runs("ui-run")
    assert len(runs) == 2 and all(not r.result.meta.aborted for r in runs)


def _hour_of_ticks(dashboard: Any) -> None:
    """An hour-long run with a hundred endpoints, written straight into the event log."""
    log = dashboard.log
    log.append(EventKind.START, {
        "run": 1, "name": "soak", "mode": "url", "target": "http://127.0.0.1:9/", "model": "closed",
        "plan": "50 users, for 1h", "duration_s": 3600.0, "index": 0, "jobs": 1, "round": 1,
        "repeat": 1, "steer": {"users": True, "rate": False}, "classes": [], "thresholds": [],
    })  # fmt: skip
    for second in range(1, 3601):
        wave = second % 60
        log.append(EventKind.TICK, {
            "t": float(second), "rps": 900.0 + wave, "fps": wave % 7, "p50": 3.0,
            "p95": 9.0 + wave / 10, "p99": 20.0 + wave, "users": 50, "target": 50.0,
            "requests": 900 * second, "failures": second, "cpu": 40.0, "loop": 1.5,
            "workers": [[0, 40.0, 1.5, 900.0, 50]], "partial": False,
        })  # fmt: skip
    endpoints = [
        {"method": "GET", "name": f"/api/items/{i}", "requests": 32_400 - i, "failures": i,
         "rps": 9.0, "now": 9.0, "mean": 3.1, "p50": 3.0, "p95": 9.0, "p99": 20.0, "max": 80.0}
        for i in range(40)
    ]  # fmt: skip
    endpoints[1]["protocol"] = {
        "sessions": 50, "msgs_received_per_s": 880.0, "msgs_sent_per_s": 870.0, "reply_p95": 4.2,
        "close_codes": {"1000": 48, "1006": 2}, "events_per_s": None, "reconnects": 0,
        "first_event_p95": None, "session_errors": 2,
    }  # fmt: skip
    endpoints[2]["protocol"] = {
        "sessions": 12, "msgs_received_per_s": None, "msgs_sent_per_s": None, "reply_p95": None,
        "close_codes": {}, "events_per_s": 31.5, "reconnects": 7, "first_event_p95": 12.5,
        "session_errors": 0,
    }  # fmt: skip
    other = {**endpoints[0], "name": "60 other endpoints", "count": 60}
    log.append(EventKind.TABLES, {
        "t": 3600.0, "total": {**endpoints[0], "name": "Total"}, "endpoints": endpoints,
        "other": other, "errors": [], "messages": [], "checks": [], "thresholds": [],
        "classes": [],
    })  # fmt: skip


def test_an_hour_with_a_hundred_endpoints_stays_light(browser: Any) -> None:
    with LiveDashboard(UiSettings(port=0).checked(), Mode.RUN) as dashboard:
        _hour_of_ticks(dashboard)
        tab = Tab(browser, dashboard.url)
        try:
            page = tab.page
            started = time.monotonic()
            page.goto(dashboard.url)
            tab.wait_for(lambda: _ticks(tab) == 3600, "the hour's replay", timeout_s=60)
            replay_s = time.monotonic() - started
            tab.pause(0.3)
            points = page.eval_on_selector_all(
                "figure.chart", "els => els.map(e => Number(e.dataset.points))"
            )
            assert len(points) == 4 and all(300 <= p <= 600 for p in points), points
            assert page.locator("#endpoints tbody tr").count() == 41  # 40 and "other"
            streams = page.locator("#protocol tbody tr")
            assert streams.count() == 2 and page.locator("#protocol-panel").is_visible()
            assert "1000: 48, 1006: 2" in streams.nth(0).inner_text()
            assert "/api/items/2" in streams.nth(1).inner_text()
            nodes = page.evaluate("document.getElementsByTagName('*').length")
            cdp = tab.context.new_cdp_session(page)
            cdp.send("Performance.enable")
            metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
            assert tab.errors == [] and tab.external == []
        finally:
            tab.close()
    assert nodes < 3000, nodes
    assert metrics["JSHeapUsedSize"] < 40e6, metrics["JSHeapUsedSize"]
    assert replay_s < 30, replay_s
