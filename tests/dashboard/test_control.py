"""Steering a real run through the dashboard's control requests (in process, over HTTP on
loopback): an open-model run's rate changes what the server receives, the change is marked in
the event stream, Stop ends the run; and the dashboard never holds up the end of a process."""

from __future__ import annotations

import http.client
import json
import threading
import time
from urllib.parse import urlsplit

from servers import HttpTestServer
from surge.config import RunConfig
from surge.dashboard import Mode, UiSettings
from surge.dashboard.events import EventKind
from surge.dashboard.live import LiveDashboard
from surge.dashboard.state import PastRun
from surge.runner import RunControl, plan_jobs, run_all


def _post(dashboard: LiveDashboard, path: str, body: dict[str, object]) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", urlsplit(dashboard.url).port, timeout=10)
    headers = {"Content-Type": "application/json", "X-Surge-CSRF": dashboard.context.access.csrf}
    connection.request("POST", path, body=json.dumps(body).encode(), headers=headers)
    status = connection.getresponse().status
    connection.close()
    return status


def _rate(server: HttpTestServer, window_s: float) -> float:
    before, started = server.requests_total, time.monotonic()
    time.sleep(window_s)
    return (server.requests_total - before) / (time.monotonic() - started)


def test_the_page_changes_an_open_model_rate_and_stops_the_run(
    test_server: HttpTestServer,
) -> None:
    url = f"{test_server.url}/ok"
    config = RunConfig(rate=20, duration=60.0, no_store=True, allow_saturated=True)
    jobs, control = plan_jobs(url, config), RunControl()
    rates: list[float] = []
    statuses: list[int] = []

    def steer(dashboard: LiveDashboard) -> None:
        time.sleep(1.2)
        rates.append(_rate(test_server, 1.5))
        statuses.append(_post(dashboard, "/api/users", {"users": 5}))  # open model: no users
        statuses.append(_post(dashboard, "/api/rate", {"rate": 80}))
        time.sleep(0.5)
        rates.append(_rate(test_server, 1.5))
        statuses.append(_post(dashboard, "/api/stop", {}))

    with LiveDashboard(UiSettings(port=0).checked(), Mode.RUN) as dashboard:
        dashboard.begin(jobs, control)
        steering = threading.Thread(target=steer, args=(dashboard,))
        steering.start()
        runs = run_all(url, config, [dashboard.feed], control=control, jobs=jobs)
        steering.join(10)
        dashboard.finish(runs)
        events = [(e.kind, json.loads(e.data)) for e in dashboard.log.after(0)]
    assert statuses == [409, 200, 200]
    assert 12 <= rates[0] <= 28 and rates[1] > 2.5 * rates[0], rates
    (start,) = [data for kind, data in events if kind is EventKind.START]
    assert start["steer"] == {"users": False, "rate": True}
    marks = [data for kind, data in events if kind is EventKind.CONTROL]
    assert [(m["what"], m["value"]) for m in marks] == [("rate", 80.0), ("stop", None)]
    targets = [data["target"] for kind, data in events if kind is EventKind.TICK]
    assert targets[0] == 20.0 and 80.0 in targets
    result = runs.results[0]
    assert result.meta.aborted and result.meta.abort_reason == "stopped from the dashboard"


def test_an_open_tab_delays_the_exit_a_little_and_a_closed_one_not_at_all() -> None:
    with LiveDashboard(UiSettings(port=0).checked(), Mode.RUN) as dashboard:
        past = PastRun(run=1, name="x", passed=True, exit_code=0, requests=1, rps=1.0,
                       p95_ms=1.0, aborted=False)  # fmt: skip
        dashboard.state.finished(past, {})
        started = time.monotonic()
        dashboard.linger(timeout_s=5.0)
        assert time.monotonic() - started < 1.0  # nobody watching: no wait
        connection = http.client.HTTPConnection(
            "127.0.0.1", urlsplit(dashboard.url).port, timeout=10
        )
        connection.request("GET", "/events")
        response = connection.getresponse()
        response.read1(100)
        started = time.monotonic()
        dashboard.linger(timeout_s=0.6)  # a tab that never fetches: waited for, but not long
        assert 0.5 <= time.monotonic() - started < 3.0
        connection.close()
    assert dashboard.log.closed
