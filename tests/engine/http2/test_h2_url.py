"""HTTP/2 URL mode against nginx (h2c prior knowledge and h2 over TLS by ALPN): counts against
nginx's access log, streams multiplexed on few connections, status codes, TLS verification."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import uvloop

from nginx_h2 import NginxH2
from surge.engine.closed import ClosedDriver
from surge.engine.http import ClientConfig
from surge.engine.http2.url import H2UrlWorkload
from surge.engine.open import OpenDriver
from surge.engine.workload import RunContext
from surge.metrics import EndpointStats, Recorder
from surge.metrics.values import Arrivals
from surge.scenario.spec import EndpointSpec


@pytest.fixture(scope="module")
def nginx_server() -> Iterator[NginxH2]:
    with NginxH2(max_streams=16) as server:
        yield server


@pytest.fixture
def nginx(nginx_server: NginxH2) -> NginxH2:
    nginx_server.clear()
    return nginx_server


def closed(
    url: str,
    users: int,
    per_user: int,
    config: ClientConfig | None = None,
    max_streams: int = 100,
) -> EndpointStats:
    recorder = Recorder()
    work = H2UrlWorkload(
        EndpointSpec(method="GET", url=url), config or ClientConfig(), max_streams=max_streams
    )

    async def main() -> None:
        driver = ClosedDriver(
            users=users, start_offsets_s=[0.0] * users, iterations_per_user=per_user
        )
        await driver.run(work, RunContext(recorder, graceful_stop_s=1.0))

    uvloop.run(main())
    return recorder.snapshot(0.0, 1.0, 0).endpoints[0]


def test_h2c_requests_are_counted_by_nginx_on_one_connection(nginx: NginxH2) -> None:
    stats = closed(f"http://127.0.0.1:{nginx.h2c}/", users=10, per_user=50)
    log = nginx.log()
    assert stats.requests == len(log) == 500
    assert {(proto, status) for _, proto, status, _, _ in log} == {("HTTP/2.0", 200)}
    assert dict(stats.status_codes) == {200: 500}
    assert dict(stats.protocols) == {"HTTP/2": 500}
    assert stats.counts["connections"] == 1  # ten streams multiplexed on one connection
    assert stats.latency.total == 500


def test_max_streams_opens_more_connections(nginx: NginxH2) -> None:
    stats = closed(f"http://127.0.0.1:{nginx.h2c}/", users=6, per_user=20, max_streams=2)
    assert stats.requests == len(nginx.log()) == 120
    assert stats.counts["connections"] == 3


def test_the_servers_stream_limit_applies(nginx: NginxH2) -> None:
    stats = closed(f"http://127.0.0.1:{nginx.h2c}/", users=40, per_user=5)
    # nginx allows 16 streams per connection here: a 17th would be refused (a reset stream)
    assert (stats.requests, stats.failures) == (200, 0) == (len(nginx.log()), 0)


def test_status_codes_and_bodies_use_the_http_taxonomy(nginx: NginxH2) -> None:
    missing = closed(f"http://127.0.0.1:{nginx.h2c}/status/404", users=2, per_user=3)
    assert (missing.requests, missing.failures, dict(missing.errors)) == (6, 6, {"http_status": 6})
    big = closed(f"http://127.0.0.1:{nginx.h2c}/big", users=3, per_user=4)
    assert big.failures == 0
    assert big.bytes_received >= 12 * 256 * 1024


def test_tls_by_alpn_is_verified_by_default(nginx: NginxH2) -> None:
    url = f"https://127.0.0.1:{nginx.tls}/"
    refused = closed(url, users=1, per_user=2)
    assert set(refused.errors) == {"tls"}
    assert not nginx.log()
    trusted = ClientConfig(ca_file=str(nginx.ca_pem_path))
    stats = closed(url, users=4, per_user=25, config=trusted)
    assert stats.requests == len(nginx.log()) == 100
    assert {row[1] for row in nginx.log()} == {"HTTP/2.0"}


def test_a_server_without_h2_is_a_protocol_error(nginx: NginxH2) -> None:
    trusted = ClientConfig(ca_file=str(nginx.ca_pem_path))
    stats = closed(f"https://127.0.0.1:{nginx.h1}/", users=1, per_user=2, config=trusted)
    assert set(stats.errors) == {"protocol"}
    assert "ALPN" in next(iter(stats.error_messages))


def test_open_model_arrivals_share_connections(nginx: NginxH2) -> None:
    recorder = Recorder()
    work = H2UrlWorkload(
        EndpointSpec(method="GET", url=f"http://127.0.0.1:{nginx.h2c}/"), ClientConfig()
    )
    rate, count = 400.0, 200

    async def main() -> None:
        def pace(elapsed_s: float, k: int) -> float | None:
            return k / rate - elapsed_s if k < count else None

        driver = OpenDriver(pace=pace, max_in_flight=100)
        await driver.run(work, RunContext(recorder, graceful_stop_s=2.0))

    uvloop.run(main())
    snap = recorder.snapshot(0.0, 1.0, 0)
    stats, arrivals = snap.endpoints[0], snap.arrivals
    assert isinstance(arrivals, Arrivals)
    assert arrivals.scheduled == arrivals.completed == stats.requests == len(nginx.log()) == count
    assert stats.service_time.total == count
    assert stats.counts["connections"] <= 100 // 16 + 1  # max-in-flight over nginx's 16 streams
