"""Compare judges what happens inside WebSocket sessions and event streams: runs against the
loopback test servers with a known server delay, stored, compared like HTTP runs."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

import surge
from protocol_servers import SseTestServer, WsTestServer
from surge.cli.compare_commands import print_comparison
from surge.compare import Finding, RunSample, Verdict, compare_runs, comparison_document
from surge.report.html.compare_report import findings_table

ECHO = ("GET", "/echo")


def _echo_runs(
    server: WsTestServer, delay_ms: int, repeat: int, duration: str = "2s"
) -> tuple[surge.RunResult, ...]:
    """`repeat` runs (of 2 s: 3 one-second intervals each) of 2 users echoing, `delay_ms` late."""
    url = f"{server.url}/echo?delay_ms={delay_ms}"
    runs = surge.run_many(
        url, message="tick", users=2, duration=duration, repeat=repeat, name="chat", quiet=True
    )
    return runs.results


def _found(comparison: surge.Comparison, metric: str) -> Finding:
    found = comparison.findings
    [finding] = [f for f in found if (f.method, f.name) == ECHO and f.metric == metric]
    return finding


def test_a_slower_reply_regresses_and_the_same_delay_is_unchanged() -> None:
    with WsTestServer() as server:
        baseline = _echo_runs(server, 2, repeat=2)  # 6 intervals a side: enough to bootstrap
        surge.establish_baseline("chat", baseline)
        slower = _echo_runs(server, 25, repeat=2)
        same = _echo_runs(server, 2, repeat=1, duration="1s")
    regressed = surge.compare_to_baseline("chat", slower)
    assert regressed.verdict is Verdict.REGRESSED
    for metric in ("reply_p50", "reply_p95"):
        finding = _found(regressed, metric)
        assert finding.verdict is Verdict.REGRESSED, finding
        assert finding.unit == "ms" and finding.baseline is not None
        assert finding.candidate is not None and finding.candidate >= 25.0 > finding.baseline
    p99 = _found(regressed, "reply_p99")  # 6 one-second p99s on a loaded machine: noisy
    assert p99.verdict in (Verdict.REGRESSED, Verdict.INCONCLUSIVE), p99
    assert p99.candidate is not None and p99.baseline is not None and p99.candidate >= 25.0
    assert p99.change_pct is not None and p99.change_pct > 0
    received = _found(regressed, "msgs_received_rate")
    assert received.unit == "msg/s" and received.verdict is Verdict.REGRESSED  # fewer round trips
    assert _found(regressed, "msgs_sent_rate").change_pct < -50  # type: ignore[operator]
    assert _found(regressed, "connect_p95").baseline is not None
    unchanged = surge.compare_to_baseline("chat", same)
    assert _found(unchanged, "reply_p50").verdict is Verdict.UNCHANGED
    assert _found(unchanged, "reply_p95").verdict is not Verdict.REGRESSED
    metrics = {f["metric"] for f in comparison_document(regressed)["findings"]}
    assert {"reply_p95", "msgs_received_rate", "p95", "rps"} <= metrics
    assert "first_event_p95" not in metrics  # only what the endpoint recorded
    console = Console(width=200, record=True)
    print_comparison(regressed, console)
    terminal = console.export_text()
    assert "reply_p95" in terminal and " msg/s" in terminal
    html = findings_table(regressed)
    assert "reply_p99" in html and "msgs_sent_rate" in html and " msg/s" in html


def test_event_stream_gaps_and_first_events_are_compared(tmp_path: Path) -> None:
    def stream(gap_ms: int) -> surge.RunResult:
        script = tmp_path / f"sse_{gap_ms}.py"
        script.write_text(
            "from surge import User, task\n\n"
            "class Reader(User):\n"
            "    @task\n"
            "    async def read(self):\n"
            f"        path = '/events?n=4&gap_ms={gap_ms}'\n"
            "        async for event in self.http.sse(path, name='/events', max_reconnects=0):\n"
            "            pass\n"
        )
        return surge.run(script, host=server.url, users=1, duration="1s", quiet=True)

    with SseTestServer() as server:
        fast, slow = stream(2), stream(50)
    comparison = compare_runs([RunSample(fast)], [RunSample(slow)])
    found = {(f.name, f.metric): f for f in comparison.findings}
    gap = found[("/events", "event_gap_p95")]
    assert gap.baseline is not None and gap.candidate is not None
    assert gap.candidate >= 40.0 and gap.baseline < gap.candidate  # the server's 50 ms gaps
    assert gap.change_pct is not None and gap.change_pct > 50
    first = found[("/events", "first_event_p95")]
    assert first.unit == "ms" and first.baseline is not None
    assert not [m for (_, m) in found if m.startswith("reply_")]  # no WebSocket figures
