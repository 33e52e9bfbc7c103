"""`surge.run` and friends against the real loopback test server: targets of every kind, the
result's reading conveniences, bad input before traffic, and the event-loop twins."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

import surge
from servers import HttpTestServer
from surge.config import ConfigError
from surge.scenario import EndpointSpec
from surge.store import Store


class Shopper(surge.User):
    wait_time = surge.constant(0)

    @surge.task(3)
    async def browse(self) -> None:
        await self.http.get("/ok", name="/ok")

    @surge.task
    async def order(self) -> None:
        await self.http.post("/echo", json={"item": 1}, name="/echo")


def test_a_url_run_returns_its_result_with_the_cli_figures(test_server: HttpTestServer) -> None:
    result = surge.run(f"{test_server.url}/ok", users=2, requests_per_user=5)
    assert result.requests == 10 == test_server.requests_total
    assert result.failures == 0 and result.passed and result.exit_code == 0
    assert result.meta.mode == "url" and result.meta.name == "GET /ok"
    ok = result.endpoint("GET /ok")
    assert result.endpoint("/ok") == ok == result.per_endpoint["GET /ok"]
    assert ok.requests == 10 and ok.rps > 0 and ok.error_rate == 0.0
    assert 0 < ok.p50_ms <= ok.p95_ms <= ok.p99_ms <= ok.p999_ms <= ok.max_ms
    assert result.p95_ms == result.figures.p95_ms == ok.p95_ms
    assert result.stddev_ms >= 0 and result.mean_ms > 0
    with pytest.raises(KeyError, match="GET /ok"):
        result.endpoint("/nope")


def test_every_run_is_stored_like_the_cli_does(test_server: HttpTestServer) -> None:
    surge.run(f"{test_server.url}/ok", users=1, requests_per_user=2, name="api-health")
    with Store.open() as store:
        (summary,) = store.summaries("api-health")
    assert summary.requests == 2


def test_user_classes_are_a_target(test_server: HttpTestServer) -> None:
    result = surge.run(Shopper, host=test_server.url, users=4, requests_per_user=4, seed=1)
    assert result.meta.mode == "script" and result.meta.name == "Shopper"
    assert result.requests == 16 == test_server.requests_total
    assert result.endpoint("GET /ok").requests + result.endpoint("POST /echo").requests == 16


def test_endpoint_specs_are_a_target(test_server: HttpTestServer) -> None:
    spec = EndpointSpec("POST", f"{test_server.url}/echo", body=b"hi", name="echo")
    result = surge.run(spec, users=1, requests_per_user=3, headers={"X-Team": "a"})
    assert result.endpoint("POST echo").requests == 3
    assert test_server.requests_by_path == {"/echo": 3}


def test_thresholds_decide_passed_and_the_exit_code(test_server: HttpTestServer) -> None:
    result = surge.run(
        f"{test_server.url}/delay?ms=5",
        users=1,
        requests_per_user=3,
        thresholds=["p95<1ms", surge.Threshold(max_error_rate=0.5)],
    )
    assert [t.passed for t in result.thresholds] == [False, True]
    assert not result.passed and result.exit_code == 1


def test_a_run_without_success_is_exit_code_three(test_server: HttpTestServer) -> None:
    result = surge.run(f"{test_server.url}/status?code=500", users=1, requests_per_user=2)
    assert result.failures == 2 and result.exit_code == 3 and not result.passed


def test_unknown_options_name_the_valid_ones(test_server: HttpTestServer) -> None:
    with pytest.raises(ConfigError, match=r"unknown option 'userz' \(did you mean 'users'\?\)"):
        surge.run(f"{test_server.url}/ok", userz=3)
    with pytest.raises(ConfigError, match=r"valid options: .*requests_per_user"):
        surge.run(f"{test_server.url}/ok", request_per_users=3)
    with pytest.raises(ConfigError, match=r"invalid value for 'users': 0 is not in the range"):
        surge.run(f"{test_server.url}/ok", users=0)
    with pytest.raises(ConfigError, match="not a duration"):
        surge.run(f"{test_server.url}/ok", duration="soon")
    with pytest.raises(ConfigError, match="no such file"):
        surge.run("missing.py")
    assert test_server.requests_total == 0


def test_a_toml_file_of_several_scenarios_needs_run_many(
    test_server: HttpTestServer, tmp_path: Path
) -> None:
    path = tmp_path / "s.toml"
    url = test_server.url
    path.write_text(f'[scenarios.a]\nurl = "{url}/ok"\n[scenarios.b]\nurl = "{url}/echo"\n')
    with pytest.raises(ConfigError, match=r"use surge\.run_many"):
        surge.run(path, requests_per_user=1, users=1)
    runs = surge.run_many(path, requests_per_user=2, users=1)
    assert [r.meta.name for r in runs.results] == ["a", "b"]
    assert runs.exit_code == 0 and runs.passed and len(runs.stored_ids) == 2


def test_run_async_inside_an_event_loop(test_server: HttpTestServer) -> None:
    async def main() -> tuple[surge.RunResult, surge.RunResult]:
        first = await surge.run_async(f"{test_server.url}/ok", users=1, requests_per_user=2)
        # the blocking call works too in a running loop (a notebook): it runs on its own thread
        second = surge.run(f"{test_server.url}/ok", users=1, requests_per_user=3)
        return first, second

    first, second = asyncio.run(main())
    assert (first.requests, second.requests) == (2, 3)


def test_the_seed_flow_baseline_then_a_regression(test_server: HttpTestServer) -> None:
    def runs(delay_ms: int) -> tuple[surge.RunResult, ...]:
        url = f"{test_server.url}/delay?ms={delay_ms}"
        return surge.run_many(url, users=2, requests_per_user=10, repeat=5, name="deals").results

    first = runs(5)
    baseline = surge.establish_baseline("deals", first, version="1.0.0")
    with surge.open_store() as store:
        assert [r.id for r in baseline.runs] == [store.find(r) for r in first]  # not copies
    comparison = surge.compare_to_baseline("deals", runs(40), tolerance=15)
    assert comparison.verdict is surge.Verdict.REGRESSED and not comparison.passed
    assert comparison.baseline_version == "1.0.0"
    assert comparison.changes["GET /delay"]["p50"] > 100  # ~5 ms → ~40 ms
    surge.establish_baseline("deals", first[0], version="1.1.0")
    with surge.open_store() as store:
        assert [b.version for b in store.baseline_history("deals")] == ["1.0.0"]
    unstored = surge.run(f"{test_server.url}/delay?ms=5", users=1, duration="2s", no_store=True)
    again = surge.compare_to_baseline("deals", unstored, tolerance="50%")
    assert again.candidate_runs == ()  # compared in hand, not stored


def test_to_json_is_the_out_document_byte_for_byte(
    test_server: HttpTestServer, tmp_path: Path
) -> None:
    out = tmp_path / "r.json"
    result = surge.run(f"{test_server.url}/ok", users=1, requests_per_user=2, out=str(out))
    assert surge.to_json(result) == out.read_text(encoding="utf-8")
    assert result.to_json() == out.read_text(encoding="utf-8")  # the method: the same bytes
    runs = surge.run_many(f"{test_server.url}/ok", users=1, requests_per_user=1, repeat=2)
    scenarios = json.loads(surge.to_json(runs.results))["scenarios"]
    assert [r["summary"]["requests"] for r in scenarios] == [1, 1]
