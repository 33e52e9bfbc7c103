"""The WebSocket, SSE and HTTP/2 pages' examples run through the real `surge` command against
servers on loopback, and their threshold blocks parse."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from cli_helpers import endpoint, read_json, run_surge

from nginx_h2 import NginxH2
from protocol_servers import SseTestServer, WsTestServer
from surge.thresholds.grammar import parse_threshold

DOCS = Path(__file__).resolve().parents[2] / "docs"


def blocks(page: str, lang: str) -> list[str]:
    """The fenced blocks of `page` labelled `lang` ("" for unlabelled ones)."""
    text = (DOCS / page).read_text(encoding="utf-8")
    found = re.findall(r"^```(\w*)\n(.*?)^```$", text, flags=re.S | re.M)
    return [body for label, body in found if label == lang]


@pytest.mark.parametrize("page", ["websocket.md", "sse.md", "http2.md"])
def test_threshold_blocks_parse(page: str) -> None:
    found = [line for block in blocks(page, "threshold") for line in block.splitlines() if line]
    assert found
    for text in found:
        parse_threshold(text)


def test_the_websocket_chat_script_runs(workdir: Path) -> None:
    (script,) = blocks("websocket.md", "python")
    (workdir / "chat.py").write_text(script)
    with WsTestServer() as server:
        proc = run_surge(
            "run", "chat.py", "--host", server.http_url, "-u", "3", "-n", "6", "--seed", "1",
            "--allow-saturated", "--out", "r.json", "-q", cwd=workdir,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stdout + proc.stderr
        chat = endpoint(read_json(workdir / "r.json"), "GET", "/ws/chat")
        assert (chat["requests"], chat["failures"], chat["status_codes"]) == (3, 0, {"101": 3})
        protocol = chat["protocol"]
        assert protocol["counts"]["msgs_sent"] == server.received["/chat"]
        assert protocol["close_codes"] == {"1000": 3}
        assert protocol["counts"]["sessions"] == server.sessions["/chat"] == 3
    says = protocol["timings_ms"]["reply"]["count"]
    pings = protocol["counts"].get("pings", 0)
    assert says + pings == 18  # 6 tasks per user: say (a round trip) or ping
    assert protocol["counts"]["msgs_sent"] == says
    assert protocol["counts"]["msgs_received"] >= says  # every say reaches every user
    (check,) = chat["checks"].values()
    assert (check["passes"], check["fails"]) == (says, 0)


def test_the_websocket_url_mode_command_runs(workdir: Path) -> None:
    (command,) = [b for b in blocks("websocket.md", "") if b.startswith("surge run ws://")]
    args = shlex.split(command.replace("\\\n", " "))[2:]
    with WsTestServer() as server:
        args[0] = args[0].replace("127.0.0.1:8000", f"127.0.0.1:{server.port}")
        args[args.index("-u") + 1], args[args.index("-d") + 1] = "2", "2s"
        proc = run_surge("run", *args, "--allow-saturated", "--out", "r.json", "-q", cwd=workdir)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        doc = read_json(workdir / "r.json")
        echo = endpoint(doc, "GET", "/echo")
        assert echo["protocol"]["counts"]["msgs_received"] == server.sent > 1000
        assert echo["protocol"]["counts"]["msgs_sent"] == server.received["/echo"]
    assert [t["passed"] for t in doc["thresholds"]] == [True, True]
    replies = echo["protocol"]["timings_ms"]["reply"]["count"]
    assert doc["summary"]["load"]["completed"] == replies


def test_the_sse_script_runs(workdir: Path) -> None:
    (script,) = blocks("sse.md", "python")
    (workdir / "watch.py").write_text(script)
    with SseTestServer() as server:
        proc = run_surge(
            "run", "watch.py", "--host", server.url, "-u", "1", "-d", "1.5s",
            "--graceful-stop", "0.2s", "--allow-saturated", "--out", "r.json", "-q", cwd=workdir,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stdout + proc.stderr
        events = endpoint(read_json(workdir / "r.json"), "GET", "/events")
        counts = events["protocol"]["counts"]
        assert counts["events"] == server.events_sent == 3  # the server's three, then none
        assert counts["reconnects"] >= 1
        assert server.last_event_ids[:2] == [None, "2"]
        assert events["requests"] == server.requests


def test_the_http2_script_runs(workdir: Path) -> None:
    (script,) = blocks("http2.md", "python")
    (workdir / "browser.py").write_text(script)
    with NginxH2() as nginx:
        proc = run_surge(
            "run", "browser.py", "--host", f"http://127.0.0.1:{nginx.h2c}", "-u", "2", "-n", "3",
            "--allow-saturated", "--out", "r.json", "-q", cwd=workdir,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stdout + proc.stderr
        doc = read_json(workdir / "r.json")
        log = nginx.log()
    static = endpoint(doc, "GET", "/static")
    assert static["requests"] == 2 * 3 * 6 and static["failures"] == 0
    assert static["protocol"]["protocols"] == {"HTTP/2": 36}
    assert len(log) == doc["summary"]["requests"] == 42
    assert {row[1] for row in log} == {"HTTP/2.0"}


def test_the_http2_command_runs_over_tls(workdir: Path) -> None:
    (command,) = [b for b in blocks("http2.md", "") if b.startswith("surge run https://")]
    args = shlex.split(command)[2:]
    with NginxH2() as nginx:
        args[0] = f"https://127.0.0.1:{nginx.tls}/"
        args[args.index("-d") + 1] = "1s"
        args[args.index("-u") + 1] = "4"
        env = {"SSL_CERT_FILE": str(nginx.ca_pem_path)}  # the test CA, verified as any other
        extra = ("--allow-saturated", "--out", "r.json", "-q")
        proc = run_surge("run", *args, *extra, cwd=workdir, env=env)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        doc = read_json(workdir / "r.json")
        log = nginx.log()
    root = endpoint(doc, "GET", "/")
    assert root["requests"] == len(log) > 0
    assert root["protocol"]["protocols"] == {"HTTP/2": root["requests"]}
    assert root["protocol"]["counts"]["connections"] == 1
    assert {row[1] for row in log} == {"HTTP/2.0"}
