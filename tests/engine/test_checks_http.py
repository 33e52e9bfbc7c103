"""Checks, expectations and open-model timing against the engine tests' real loopback server."""

from __future__ import annotations

import asyncio
import datetime
import gzip
import time
from collections.abc import Callable, Coroutine
from typing import Any

import pytest
import uvloop

from engine import loads
from engine.conftest import TestServer
from engine.loads import run
from servers import closed_port
from surge.engine.expect import ResponseJudge
from surge.engine.http import Session
from surge.engine.urlconn import (
    BodySlotConnection,
    BodyUserConnection,
    SlotConnection,
    UserConnection,
)
from surge.metrics.errors import ErrorKind
from surge.metrics.recorder import EndpointRecorder, Recorder
from surge.metrics.values import CheckCount, EndpointStats
from surge.scenario import (
    EndpointSpec,
    body_contains,
    endpoint_from_options,
    header,
    json_path,
    latency_under,
    status,
)

Runner = Callable[[Coroutine[Any, Any, None]], None]
MS = 1000  # µs


def _stats(recorder: Recorder) -> dict[tuple[str, str], EndpointStats]:
    return {ep.key: ep for ep in recorder.snapshot(0.0, 1.0, 0).endpoints}


# -- scripted: checks= and fail_on_check ------------------------------------------------------


def test_passing_checks_are_counted_and_the_request_succeeds(fresh: TestServer) -> None:
    async def main() -> Recorder:
        recorder = Recorder()
        async with Session(fresh.url(""), recorder) as http:
            checks = [status(200), json_path("ok", equals=True), header("X-Id", equals="42")]
            for _ in range(3):
                r = await http.get("/json", checks=checks, fail_on_check=True)
                assert r.ok and r.error is None
        return recorder

    stats = _stats(run(main()))[("GET", "/json")]
    assert (stats.requests, stats.failures) == (3, 0)
    assert stats.checks == {
        "header X-Id == '42'": CheckCount(3, 0),
        "json ok == true": CheckCount(3, 0),
        "status is 200": CheckCount(3, 0),
    }


def test_a_failing_check_alone_only_counts(fresh: TestServer) -> None:
    async def main() -> Recorder:
        recorder = Recorder()
        async with Session(fresh.url(""), recorder) as http:
            r = await http.get("/json", checks=[json_path("ok", equals=False), status(200)])
            assert r.ok and r.error is None
        return recorder

    stats = _stats(run(main()))[("GET", "/json")]
    assert (stats.requests, stats.failures, stats.latency.total) == (1, 0, 1)
    assert stats.checks == {"json ok == false": CheckCount(0, 1), "status is 200": CheckCount(1, 0)}


def test_fail_on_check_turns_a_success_into_a_check_failure(fresh: TestServer) -> None:
    async def main() -> Recorder:
        recorder = Recorder()
        async with Session(fresh.url(""), recorder) as http:
            failing = [json_path("ok", equals=False), body_contains("nope"), status(200)]
            r = await http.get("/json", name="doc", checks=failing, fail_on_check=True)
            assert not r.ok and r.error == "check" and r.status == 200
            assert r.error_message == "check failed: json ok == false, body contains 'nope'"
            assert r.json()["ok"] is True  # the response is still there to read
        return recorder

    stats = _stats(run(main()))[("GET", "doc")]
    assert (stats.requests, stats.failures) == (1, 1)
    assert stats.latency.total == 0 and stats.failure_latency.total == 1
    assert stats.errors == {"check": 1}
    assert stats.error_messages == {
        "check: check failed: json ok == false, body contains 'nope'": 1
    }
    assert stats.status_codes == {200: 1}


def test_fail_on_check_keeps_the_original_failure_kind(fresh: TestServer) -> None:
    async def main() -> Recorder:
        recorder = Recorder()
        async with Session(fresh.url(""), recorder) as http:
            r = await http.get("/status/503", checks=[status(200)], fail_on_check=True)
            assert r.error == "http_status"
            refused = Session(f"http://127.0.0.1:{closed_port()}", recorder)
            gone = await refused.get("/", checks=[status(200), body_contains("x")])
            assert gone.error == "refused"
            await refused.close()
        return recorder

    stats = _stats(run(main()))
    assert stats[("GET", "/status/{id}")].errors == {"http_status": 1}  # named by template
    assert stats[("GET", "/status/{id}")].checks == {"status is 200": CheckCount(0, 1)}
    assert stats[("GET", "/")].checks == {
        "body contains 'x'": CheckCount(0, 1),
        "status is 200": CheckCount(0, 1),
    }


def test_response_check_records_under_the_request_endpoint(fresh: TestServer) -> None:
    async def main() -> Recorder:
        recorder = Recorder()
        async with Session(fresh.url(""), recorder) as http:
            r = await http.get("/json-gzip", name="packed")
            assert r.check(status(200), json_path("items.1.id", equals=4)) is True
            assert r.check(body_contains("surge"), latency_under(60_000)) is True
            assert r.check(status(201), json_path("items.2")) is False
            bad = await http.post("/not-json")
            assert bad.check(json_path("a"), json_path("$")) is False  # never raises
        return recorder

    stats = _stats(run(main()))
    packed = stats[("GET", "packed")]
    assert (packed.requests, packed.failures) == (1, 0)  # check() never changes the outcome
    assert packed.checks == {
        "body contains 'surge'": CheckCount(1, 0),
        "json items.1.id == 4": CheckCount(1, 0),
        "json items.2 exists": CheckCount(0, 1),
        "latency < 60000ms": CheckCount(1, 0),
        "status is 200": CheckCount(1, 0),
        "status is 201": CheckCount(0, 1),
    }
    assert stats[("POST", "/not-json")].checks == {
        "json $ exists": CheckCount(0, 1),
        "json a exists": CheckCount(0, 1),
    }


# -- URL mode: expectations -------------------------------------------------------------------


@pytest.fixture(params=["asyncio", "uvloop"])
def run_on(request: pytest.FixtureRequest) -> Runner:
    def runner(coro: Coroutine[Any, Any, None]) -> None:
        if request.param == "uvloop":
            with asyncio.Runner(loop_factory=uvloop.new_event_loop) as r:
                r.run(coro)
        else:
            asyncio.run(coro)

    return runner


def _url_run(spec: EndpointSpec, recorder: Recorder, users: int = 2, n: int = 3) -> Any:
    return loads.closed(loads.url(spec), recorder, users=users, requests_per_user=n)


def test_expected_status_makes_a_404_a_success(fresh: TestServer, run_on: Runner) -> None:
    recorder = Recorder()
    spec = endpoint_from_options(fresh.url("/json/404"), expect_status=[404])
    run_on(_url_run(spec, recorder))
    stats = _stats(recorder)[("GET", "/json/404")]
    assert (stats.requests, stats.failures, stats.latency.total) == (6, 0, 6)
    assert stats.status_codes == {404: 6}
    assert stats.checks == {"status is 404": CheckCount(6, 0)}


def test_an_unexpected_status_is_a_check_failure(fresh: TestServer, run_on: Runner) -> None:
    recorder = Recorder()
    spec = endpoint_from_options(fresh.url("/status/503"), expect_status=[200, 204])
    run_on(_url_run(spec, recorder))
    stats = _stats(recorder)[("GET", "/status/503")]
    assert (stats.requests, stats.failures) == (6, 6)
    assert stats.errors == {"check": 6}
    assert stats.error_messages == {"check: expected status 200 or 204, got 503": 6}
    assert stats.checks == {"status is 200 or 204": CheckCount(0, 6)}


def test_body_and_json_expectations(fresh: TestServer, run_on: Runner) -> None:
    recorder = Recorder()
    good = endpoint_from_options(
        fresh.url("/json"), expect_body="surge", expect_json=["items.0.id=3", "name=surge"]
    )
    bad = endpoint_from_options(
        fresh.url("/json"), name="bad", expect_body="nope", expect_json=["ok=false"]
    )
    run_on(_url_run(good, recorder))
    run_on(_url_run(bad, recorder))
    stats = _stats(recorder)
    ok = stats[("GET", "/json")]
    assert (ok.requests, ok.failures) == (6, 0)
    assert ok.checks == {
        "body contains 'surge'": CheckCount(6, 0),
        'json name == "surge"': CheckCount(6, 0),
        "json items.0.id == 3": CheckCount(6, 0),
    }
    failed = stats[("GET", "bad")]
    assert (failed.requests, failed.failures, failed.latency.total) == (6, 6, 0)
    assert failed.errors == {"check": 6}
    assert failed.error_messages == {
        "check: check failed: body contains 'nope', json ok == false": 6
    }
    assert failed.checks == {
        "body contains 'nope'": CheckCount(0, 6),
        "json ok == false": CheckCount(0, 6),
    }


def test_gzip_bodies_and_bodies_that_are_not_json(fresh: TestServer, run_on: Runner) -> None:
    recorder = Recorder()
    packed = endpoint_from_options(fresh.url("/json-gzip"), expect_json=["items.1.id=4"])
    broken = endpoint_from_options(fresh.url("/not-json"), expect_json=["a=1"])
    run_on(_url_run(packed, recorder, users=1))
    run_on(_url_run(broken, recorder, users=1))
    stats = _stats(recorder)
    assert stats[("GET", "/json-gzip")].checks == {"json items.1.id == 4": CheckCount(3, 0)}
    assert stats[("GET", "/json-gzip")].failures == 0
    assert stats[("GET", "/not-json")].errors == {"check": 3}


def test_expectations_with_keep_alive_close_and_head(fresh: TestServer, run_on: Runner) -> None:
    recorder = Recorder()
    closing = endpoint_from_options(fresh.url("/bye"), expect_body="bye")
    head = endpoint_from_options(fresh.url("/json/404"), method="HEAD", expect_status=[404])
    run_on(_url_run(closing, recorder))
    run_on(_url_run(head, recorder))
    stats = _stats(recorder)
    assert stats[("GET", "/bye")].checks == {"body contains 'bye'": CheckCount(6, 0)}
    assert stats[("GET", "/bye")].failures == 0
    assert stats[("HEAD", "/json/404")].checks == {"status is 404": CheckCount(6, 0)}
    assert stats[("HEAD", "/json/404")].failures == 0


def test_without_expected_status_4xx_stays_http_status(fresh: TestServer) -> None:
    recorder = Recorder()
    spec = endpoint_from_options(fresh.url("/json/500"), expect_json=["ok=true"])
    asyncio.run(_url_run(spec, recorder, users=1, n=2))
    stats = _stats(recorder)[("GET", "/json/500")]
    assert stats.errors == {"http_status": 2}
    assert stats.checks == {"json ok == true": CheckCount(2, 0)}


def test_transport_errors_are_not_judged(run_on: Runner) -> None:
    recorder = Recorder()
    url = f"http://127.0.0.1:{closed_port()}/"
    run_on(_url_run(endpoint_from_options(url, expect_status=[200]), recorder, users=1, n=2))
    stats = _stats(recorder)[("GET", "/")]
    assert stats.errors == {"refused": 2} and stats.checks == {}


def test_plain_runs_keep_the_plain_classes(fresh: TestServer) -> None:
    def classes_of(spec: EndpointSpec) -> tuple[bool, type, type]:
        work = loads.url(spec)
        return work.judge is not None, work.user_conn, work.slot_conn

    plain = classes_of(EndpointSpec("GET", fresh.url("/fixed")))
    assert plain == (False, UserConnection, SlotConnection)
    status_only = classes_of(endpoint_from_options(fresh.url("/x"), expect_status=[200]))
    assert status_only == (True, UserConnection, SlotConnection)
    body = classes_of(endpoint_from_options(fresh.url("/x"), expect_body="x"))
    assert body == (True, BodyUserConnection, BodySlotConnection)
    # httptools calls only the callbacks a protocol defines: plain connections define none
    # for headers and bodies
    assert not hasattr(UserConnection, "on_body") and not hasattr(UserConnection, "on_header")
    assert hasattr(BodyUserConnection, "on_body") and hasattr(BodySlotConnection, "on_header")


# -- the judge on its own ---------------------------------------------------------------------


def test_judge_without_expectations_is_the_usual_rule() -> None:
    endpoint = EndpointRecorder("GET", "/")
    judge = ResponseJudge(None)
    assert not judge.needs_body
    assert judge.judge(204, b"", None, endpoint) is None
    assert judge.judge(404, b"", None, endpoint) == (ErrorKind.HTTP_STATUS, "HTTP 404")
    assert endpoint.checks == {}


def test_judge_decodes_gzip_and_fails_corrupt_bodies() -> None:
    endpoint = EndpointRecorder("GET", "/")
    spec = endpoint_from_options("http://a.test/", expect_body="hello")
    assert spec.expect is not None
    judge = ResponseJudge(spec.expect)
    assert judge.needs_body
    assert judge.judge(200, gzip.compress(b"hello"), "gzip", endpoint) is None
    assert judge.judge(200, b"not gzip", "gzip", endpoint) == (
        ErrorKind.CHECK,
        "check failed: body contains 'hello'",
    )
    assert judge.judge(200, b"hello", "br", endpoint) is not None  # unknown coding: fails
    assert endpoint.checks == {"body contains 'hello'": [1, 2]}


# -- open-model timing --------------------------------------------------------------------------


def test_open_model_times_the_first_request_from_the_intended_time(fresh: TestServer) -> None:
    delay_ms, behind_ms = 40, 50

    async def main() -> Recorder:
        recorder = Recorder()
        async with Session(fresh.url(""), recorder, open_model=True) as http:
            assert (await http.get("/fixed")).ok  # warm the connection up: no connect time
            recorder.snapshot(0.0, 1.0, 0)  # and forget it
            http.begin_iteration(time.perf_counter_ns() - behind_ms * 1_000_000)
            first = await http.get(f"/delay?ms={delay_ms}", name="first")
            second = await http.get(f"/delay?ms={delay_ms}", name="second")
            assert first.ok and second.ok
            assert first.elapsed.total_seconds() * 1000 >= delay_ms  # elapsed: service time
        return recorder

    stats = _stats(run(main()))
    first, second = stats[("GET", "first")], stats[("GET", "second")]
    slack_us = MS  # the server's timer may fire a little early: never assert more than that
    assert first.latency.min_us >= (behind_ms + delay_ms) * MS - slack_us
    assert first.service_time.total == 1 and first.schedule_lag.total == 1
    service_us, lag_us = first.service_time.max_us, first.schedule_lag.max_us
    assert service_us >= delay_ms * MS - slack_us
    assert lag_us >= behind_ms * MS
    assert abs(first.latency.max_us - (service_us + lag_us)) <= 2  # latency = lag + service
    assert second.schedule_lag.total == 1 and second.schedule_lag.max_us == 0
    assert second.latency.max_us == second.service_time.max_us  # intended = actual send


def test_open_model_failures_and_a_future_intended_time(fresh: TestServer) -> None:
    async def main() -> Recorder:
        recorder = Recorder()
        async with Session(fresh.url(""), recorder, open_model=True) as http:
            http.begin_iteration(time.perf_counter_ns() - 50 * 1_000_000)
            assert (await http.get("/status/500")).error == "http_status"
            http.begin_iteration(time.perf_counter_ns() + 10**12)  # later than the send: no lag
            assert (await http.get("/fixed")).ok
        return recorder

    stats = _stats(run(main()))
    failed = stats[("GET", "/status/{id}")]
    assert failed.failure_latency.min_us >= 50 * MS
    assert failed.schedule_lag.min_us >= 50 * MS and failed.service_time.total == 1
    fixed = stats[("GET", "/fixed")]
    assert fixed.schedule_lag.max_us == 0
    assert fixed.latency.max_us == fixed.service_time.max_us


def test_closed_model_records_no_timing(fresh: TestServer) -> None:
    elapsed_us: list[int] = []

    async def main() -> Recorder:
        recorder = Recorder()
        async with Session(fresh.url(""), recorder) as http:
            http.begin_iteration(time.perf_counter_ns() - 50 * 1_000_000)  # ignored when closed
            r = await http.get("/fixed")
            assert r.ok
            elapsed_us.append(r.elapsed // datetime.timedelta(microseconds=1))
        return recorder

    stats = _stats(run(main()))[("GET", "/fixed")]
    assert stats.service_time.total == 0 and stats.schedule_lag.total == 0
    assert stats.latency.max_us == elapsed_us[0]  # from the actual send, not the intended time
