"""`surge run URL` end to end against the real loopback test server."""

from __future__ import annotations

from pathlib import Path

from cli_helpers import endpoint, read_json, run_surge

from servers import HttpTestServer

JSON_SUMMARY_KEYS = {
    "requests",
    "failures",
    "error_rate",
    "rps",
    "duration_s",
    "bytes_received",
    "incomplete",
    "status_codes",
    "errors",
    "latency_ms",
}


def test_requests_per_user_is_exact_and_json_contract_holds(
    test_server: HttpTestServer, workdir: Path
) -> None:
    out = workdir / "r.json"
    proc = run_surge(
        "run",
        f"{test_server.url}/ok?x=1",
        "-u",
        "5",
        "-n",
        "20",
        "--out",
        str(out),
        "-q",
        cwd=workdir,
    )
    assert proc.returncode == 0, proc.stderr + proc.stdout
    assert test_server.requests_total == 100
    doc = read_json(out)
    assert set(doc) >= {"meta", "summary", "endpoints", "timeline"}
    assert set(doc["summary"]) >= JSON_SUMMARY_KEYS
    assert doc["summary"]["requests"] == 100
    assert doc["summary"]["failures"] == 0
    ep = endpoint(doc, "GET", "/ok")  # the default name strips the query string
    assert ep["status_codes"] == {"200": 100}
    assert ep["latency_ms"]["p50"] > 0
    assert doc["meta"]["aborted"] is False
    assert doc["timeline"], "a per-second timeline"
    assert "GET" in proc.stdout and "/ok" in proc.stdout and "Total" in proc.stdout


def test_duration_and_fixed_delay_percentiles(test_server: HttpTestServer, workdir: Path) -> None:
    out = workdir / "r.json"
    proc = run_surge(
        "run",
        f"{test_server.url}/delay?ms=20",
        "-u",
        "4",
        "-d",
        "2s",
        "--out",
        str(out),
        "-q",
        cwd=workdir,
    )
    assert proc.returncode == 0, proc.stderr
    doc = read_json(out)
    lat = doc["summary"]["latency_ms"]
    # the server sleeps 20 ms on an event-loop timer, which may fire up to 1 ms early
    assert 19.0 <= lat["min"] <= lat["p50"] <= lat["p99"] <= lat["max"] < 500.0
    # closed loop, 4 users, ~20 ms each: about 200 requests per second of run
    assert 100 <= doc["summary"]["requests"] <= 4 * 2.5 / 0.020
    assert doc["summary"]["requests"] + doc["summary"]["incomplete"] == test_server.requests_total
    assert 1.9 <= doc["summary"]["duration_s"] <= 4.0


def test_post_json_headers_and_auth_token_are_sent_but_never_written(
    test_server: HttpTestServer, workdir: Path
) -> None:
    out = workdir / "r.json"
    csv_prefix = workdir / "stats"
    proc = run_surge(
        "run",
        f"{test_server.url}/me",
        "-X",
        "POST",
        "--json",
        '{"a": 1}',
        "-H",
        "X-Trace: abc",
        "--auth-token",
        "tok-SECRET123",
        "-u",
        "1",
        "-n",
        "3",
        "--out",
        str(out),
        "--csv",
        str(csv_prefix),
        cwd=workdir,
    )
    assert proc.returncode == 0, proc.stderr + proc.stdout
    doc = read_json(out)
    assert endpoint(doc, "POST", "/me")["status_codes"] == {"200": 3}
    written = out.read_text() + proc.stdout + proc.stderr
    written += (workdir / "stats_stats.csv").read_text() + (
        workdir / "stats_history.csv"
    ).read_text()
    assert "SECRET123" not in written
    assert doc["meta"]["options"]["auth_token"] == "***"


def test_http_errors_are_failures_by_class(test_server: HttpTestServer, workdir: Path) -> None:
    out = workdir / "r.json"
    proc = run_surge(
        "run",
        f"{test_server.url}/status?code=503",
        "-u",
        "2",
        "-n",
        "5",
        "--out",
        str(out),
        "-q",
        cwd=workdir,
    )
    assert proc.returncode == 3  # nothing succeeded
    doc = read_json(out)
    assert doc["summary"]["failures"] == 10
    assert doc["summary"]["errors"] == {"http_status": 10}
    assert doc["summary"]["status_codes"] == {"503": 10}
    assert doc["summary"]["latency_ms"]["max"] == 0  # failures never enter the success histogram


def test_think_time_paces_users(test_server: HttpTestServer, workdir: Path) -> None:
    out = workdir / "r.json"
    proc = run_surge(
        "run",
        f"{test_server.url}/ok",
        "-u",
        "2",
        "-d",
        "2s",
        "--think-time",
        "0.25",
        "--out",
        str(out),
        "-q",
        cwd=workdir,
    )
    assert proc.returncode == 0, proc.stderr
    # each user: one request then 250 ms pause → at most 2 * (2 / 0.25 + 1) requests
    assert 8 <= read_json(out)["summary"]["requests"] <= 18
