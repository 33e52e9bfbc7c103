"""WebSocket, SSE and HTTP/2 figures in every report: terminal, JSON, CSV and HTML."""

from __future__ import annotations

import csv
import io
import json

import pytest
from rich.console import Console

from surge.metrics import Aggregator, ErrorKind, Recorder, RunMeta, RunResult, Wire
from surge.report.csv_report import PROTOCOL_HEADER, write_protocol_csv
from surge.report.html.run_report import render_html
from surge.report.json_report import result_to_dict
from surge.report.terminal import print_summary


@pytest.fixture
def ws_result() -> RunResult:
    recorder = Recorder()
    chat = recorder.endpoint("GET", "/ws/chat")
    chat.ok(1500, 101, 0)
    proto = chat.protocol()
    proto.carried(Wire.WEBSOCKET)
    proto.sessions += 1
    for us in (900, 1100, 4000):
        proto.msgs_sent += 1
        proto.msgs_received += 1
        proto.reply.record(us)
    proto.closed(1000)
    chat.error(ErrorKind.TIMEOUT, "no reply within 1 s")
    plain = recorder.endpoint("GET", "/api")
    plain.ok(2000, 200, 10)
    aggregator = Aggregator()
    aggregator.add(recorder.snapshot(0.0, 2.0, 1))
    meta = RunMeta("ws", "0", "a", "b", "ws://127.0.0.1/", "url")
    return aggregator.result(meta, 2.0)


def test_terminal_shows_the_session_figures_and_the_error_inside(ws_result: RunResult) -> None:
    console = Console(file=io.StringIO(), width=140, color_system=None)
    print_summary(ws_result, console)
    text = console.file.getvalue()  # type: ignore[attr-defined]
    assert "Sessions and streams" in text
    assert "WebSocket" in text and "1000: 1" in text
    assert "reply" in text and "4.0" in text  # the reply max, 4 ms
    assert "no reply within 1 s" in text  # errors inside sessions are listed with the others


def test_json_carries_the_protocol_object_only_where_recorded(ws_result: RunResult) -> None:
    doc = json.loads(json.dumps(result_to_dict(ws_result)))
    api, chat = doc["endpoints"]
    assert "protocol" not in api
    protocol = chat["protocol"]
    assert protocol["protocols"] == {"WebSocket": 1}
    assert protocol["counts"]["msgs_received"] == 3
    assert protocol["counts"]["session_errors"] == 1
    assert protocol["close_codes"] == {"1000": 1}
    assert protocol["timings_ms"]["reply"]["max"] == pytest.approx(4.0, abs=0.01)
    assert protocol["timings_hdr"]["reply"]
    assert doc["summary"]["protocol"]["counts"]["msgs_sent"] == 3
    assert chat["failures"] == 0 and chat["errors"] == {"timeout": 1}


def test_csv_has_one_row_per_figure(ws_result: RunResult) -> None:
    fp = io.StringIO()
    write_protocol_csv(ws_result, fp)
    rows = list(csv.reader(io.StringIO(fp.getvalue())))
    assert rows[0] == list(PROTOCOL_HEADER)
    by_metric = {(r[2], r[3]): r for r in rows[1:]}
    assert by_metric[("count", "msgs_sent")][4] == "3"
    assert by_metric[("close_code", "1000")][4] == "1"
    assert by_metric[("protocol", "WebSocket")][4] == "1"
    reply = by_metric[("timing", "reply")]
    assert reply[4] == "3" and float(reply[8]) == pytest.approx(4.0, abs=0.01)
    assert all(r[1] == "/ws/chat" for r in rows[1:])


def test_html_has_the_section_only_when_there_is_something(ws_result: RunResult) -> None:
    page = render_html([ws_result])
    assert 'id="s1-protocol"' in page and "msgs_received" in page
    plain = RunResult(
        meta=ws_result.meta,
        duration_s=ws_result.duration_s,
        endpoints=ws_result.endpoints[:1],
        total=ws_result.endpoints[0],
        timeline=ws_result.timeline,
    )
    assert 's1-protocol"' not in render_html([plain])
