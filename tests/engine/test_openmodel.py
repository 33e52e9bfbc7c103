"""Open-model URL load against the real loopback test server: schedule, honest latency, accounting.

The stall test is the one that matters: a server that holds every response during a window of
each period. A closed-loop generator stops sending while the server stalls and so misses almost
all of the stall; the open model keeps arriving on schedule and every arrival inside a stall
waits for its end, which gives analytic percentiles we check the recorded ones against.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import uvloop

from engine import loads
from servers import HttpTestServer
from surge.engine.http import ClientConfig
from surge.metrics.histogram import Histogram
from surge.metrics.recorder import Recorder
from surge.metrics.values import Arrivals, EndpointStats
from surge.scenario.spec import EndpointSpec


def constant_rate(rate: float, duration_s: float) -> Callable[[float, int], float | None]:
    """A pace function: arrival k is due at k / rate, for the arrivals inside the duration."""
    count = round(rate * duration_s)
    return lambda elapsed_s, k: k / rate - elapsed_s if k < count else None


def _run(
    url: str,
    pace: Callable[[float, int], float | None],
    *,
    max_in_flight: int = 1000,
    graceful_stop_s: float = 5.0,
    config: ClientConfig | None = None,
    stop_after_s: float | None = None,
) -> tuple[EndpointStats, Arrivals]:
    recorder = Recorder()

    async def main() -> None:
        stop = asyncio.Event()
        if stop_after_s is not None:
            asyncio.get_running_loop().call_later(stop_after_s, stop.set)
        await loads.open_model(
            loads.url(EndpointSpec("GET", url), config),
            recorder,
            pace=pace,
            max_in_flight=max_in_flight,
            stop=stop,
            graceful_stop_s=graceful_stop_s,
        )

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(main())
    snap = recorder.snapshot(0.0, 1.0, 0)
    (stats,) = snap.endpoints
    return stats, snap.arrivals


def _identity_holds(arrivals: Arrivals) -> bool:
    return arrivals.scheduled == (
        arrivals.completed + arrivals.failed + arrivals.dropped_total + arrivals.in_flight_at_end
    )


def test_constant_rate_sends_exactly_the_schedule(test_server: HttpTestServer) -> None:
    stats, arrivals = _run(test_server.url + "/ok", constant_rate(200, 1.0))
    assert arrivals.scheduled == 200
    assert arrivals.completed == 200 and arrivals.dropped_total == 0
    assert stats.requests == 200 and stats.failures == 0
    assert test_server.requests_total == 200
    # every request carries its service time and schedule lag; latency >= service time
    assert stats.service_time.total == stats.schedule_lag.total == 200
    assert stats.latency.max_us >= stats.service_time.max_us
    assert arrivals.lag.total == 200
    assert _identity_holds(arrivals)


def _analytic_percentile_s(q: float, period_s: float, stall_s: float) -> float:
    """Latency at quantile q when uniform arrivals meet a stall of stall_s every period_s:
    an arrival u seconds into a stall waits stall_s - u, so P(latency > L) = (stall_s - L) /
    period_s for 0 < L < stall_s, i.e. L_q = stall_s - (1 - q) * period_s."""
    return max(stall_s - (1 - q) * period_s, 0.0)


def test_stalled_server_latency_matches_the_analytic_percentiles(
    test_server: HttpTestServer,
) -> None:
    period_s, stall_s, rate, periods = 2.0, 0.5, 200.0, 3
    test_server.stall(period_s, stall_s)
    stats, arrivals = _run(test_server.url + "/ok", constant_rate(rate, period_s * periods))
    expected_count = round(rate * period_s * periods)
    assert abs(stats.requests - expected_count) <= expected_count * 0.01
    assert stats.failures == 0 and arrivals.dropped_total == 0
    for q in (0.90, 0.95, 0.99):
        expected_s = _analytic_percentile_s(q, period_s, stall_s)
        observed_s = stats.latency.value_at_percentile_us(q * 100) / 1e6
        assert abs(observed_s - expected_s) <= 0.05 * expected_s, (q, observed_s, expected_s)
    # the generator kept its schedule: the stall shows up in latency, not in schedule lag
    assert stats.schedule_lag.value_at_percentile_us(99) < 50_000
    assert _identity_holds(arrivals)


def test_fixed_delay_percentiles_sit_just_above_the_delay(test_server: HttpTestServer) -> None:
    test_server.delay_ms = 20
    stats, _ = _run(test_server.url + "/ok", constant_rate(100, 1.0))
    assert stats.requests == 100
    summary = stats.latency.summary_ms()
    # The server's 20 ms comes from an event-loop timer of millisecond resolution, which may
    # fire up to a millisecond early: hence 19 ms as the floor.
    for key in ("p50", "p90", "p99"):
        assert 19.0 <= summary[key] <= 20.0 + 15.0, (key, summary[key])
    assert stats.latency.min_us >= 19_000


def test_in_flight_cap_drops_and_accounts_for_every_arrival(test_server: HttpTestServer) -> None:
    test_server.delay_ms = 200
    stats, arrivals = _run(test_server.url + "/ok", constant_rate(100, 1.0), max_in_flight=5)
    assert arrivals.scheduled == 100
    assert arrivals.dropped.get("max_in_flight", 0) > 50
    assert _identity_holds(arrivals)
    assert arrivals.completed + arrivals.failed == stats.requests
    assert test_server.requests_total == stats.requests + arrivals.in_flight_at_end


def test_requests_still_in_flight_after_the_grace_are_incomplete(
    test_server: HttpTestServer,
) -> None:
    test_server.delay_ms = 2000
    stats, arrivals = _run(test_server.url + "/ok", constant_rate(50, 0.2), graceful_stop_s=0.2)
    assert arrivals.scheduled == 10
    assert arrivals.in_flight_at_end == 10 == stats.incomplete
    assert stats.requests == 0
    assert _identity_holds(arrivals)


def test_refused_connections_are_failures_not_drops(test_server: HttpTestServer) -> None:
    from servers import closed_port

    url = f"http://127.0.0.1:{closed_port()}/ok"
    stats, arrivals = _run(url, constant_rate(100, 0.5))
    assert arrivals.scheduled == 50 == arrivals.failed
    assert stats.failures == 50 and stats.errors == {"refused": 50}
    assert stats.latency == Histogram.empty()
    assert _identity_holds(arrivals)


def test_stop_ends_the_schedule_early(test_server: HttpTestServer) -> None:
    stats, arrivals = _run(test_server.url + "/ok", constant_rate(100, 30.0), stop_after_s=0.5)
    assert 30 <= arrivals.scheduled <= 80
    assert stats.requests == arrivals.completed
    assert _identity_holds(arrivals)


def test_expectations_judge_gzip_bodies_in_the_open_model(test_server: HttpTestServer) -> None:
    from servers import GZIP_BODY
    from surge.scenario import expectations_from_options

    word = GZIP_BODY.decode()[:12]
    for needle, fails in ((word, 0), ("not in the body", 20)):
        expect = expectations_from_options((200,), needle, ())
        recorder = Recorder()

        async def main(expect: object = expect, recorder: Recorder = recorder) -> None:
            await loads.open_model(
                loads.url(EndpointSpec("GET", test_server.url + "/gzip", expect=expect)),  # type: ignore[arg-type]
                recorder,
                pace=constant_rate(100, 0.2),
                max_in_flight=100,
            )

        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            runner.run(main())
        (stats,) = recorder.snapshot(0.0, 1.0, 0).endpoints
        assert stats.requests == 20 and stats.failures == fails
        body_checks = [c for name, c in stats.checks.items() if "body" in name]
        assert body_checks and body_checks[0].fails == fails
