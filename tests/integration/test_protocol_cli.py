"""`surge run` with WebSocket and HTTP/2 targets: counts merged exactly across worker processes
(against the server's own), clear input errors (exit 2), and the figures in every output."""

from __future__ import annotations

from pathlib import Path

from cli_helpers import endpoint, read_json, run_surge

from nginx_h2 import NginxH2
from protocol_servers import WsTestServer


def test_websocket_round_trips_merge_exactly_across_workers(workdir: Path) -> None:
    with WsTestServer() as server:
        proc = run_surge(
            "run", f"{server.url}/echo", "--message", "hello", "-u", "4", "-n", "300",
            "--workers", "2", "--allow-saturated", "--out", "r.json", "--csv", "r",
            "--html", "r.html", cwd=workdir,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stdout + proc.stderr
        doc = read_json(workdir / "r.json")
        echo = endpoint(doc, "GET", "/echo")
        counts = echo["protocol"]["counts"]
        assert counts["msgs_sent"] == server.received["/echo"] == 1200
        assert counts["msgs_received"] == server.sent == 1200
        assert counts["msg_bytes_sent"] == server.bytes_received == 1200 * 5
        assert echo["protocol"]["timings_ms"]["reply"]["count"] == 1200
        assert (
            echo["protocol"]["close_codes"]
            == {"1000": 4}
            == {str(k): v for k, v in server.close_codes.items()}
        )
        assert (echo["requests"], echo["status_codes"]) == (4, {"101": 4})
    assert doc["summary"]["load"]["completed"] == 1200
    assert len(doc["workers"]) == 2
    assert "Sessions and streams" in proc.stdout
    protocol_csv = (workdir / "r_protocol.csv").read_text()
    assert "GET,/echo,count,msgs_received,1200" in protocol_csv
    assert "msgs_received" in (workdir / "r.html").read_text()


def test_http2_requests_merge_exactly_across_workers(workdir: Path) -> None:
    with NginxH2() as nginx:
        proc = run_surge(
            "run", f"http://127.0.0.1:{nginx.h2c}/", "--http2", "-u", "6", "-n", "50",
            "--workers", "2", "--max-streams", "3", "--allow-saturated", "--out", "r.json",
            "-q", cwd=workdir,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stdout + proc.stderr
        log = nginx.log()
    root = endpoint(read_json(workdir / "r.json"), "GET", "/")
    assert root["requests"] == len(log) == 300
    assert {row[1] for row in log} == {"HTTP/2.0"}
    assert root["protocol"]["protocols"] == {"HTTP/2": 300}
    assert root["protocol"]["counts"]["connections"] == 2  # 3 users on 3 streams per worker


def test_input_errors_say_what_applies_where(workdir: Path) -> None:
    body = run_surge("run", "ws://127.0.0.1:9/echo", "--body", "x", "--dry-run", cwd=workdir)
    assert body.returncode == 2
    assert "--body does not apply to a WebSocket URL" in body.stderr
    assert "Traceback" not in body.stderr
    message = run_surge("run", "http://127.0.0.1:9/", "--message", "x", "--dry-run", cwd=workdir)
    assert message.returncode == 2
    assert "--message applies to WebSocket URLs" in message.stderr
    scheme = run_surge("run", "wss:///echo", "--dry-run", cwd=workdir)
    assert scheme.returncode == 2 and "no host" in scheme.stderr
