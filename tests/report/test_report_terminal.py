"""The end-of-run terminal summary."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest
from rich.console import Console

from surge.metrics import Aggregator, ErrorKind, Recorder, RunMeta, RunResult
from surge.report import print_summary
from surge.report.terminal import fmt_bytes, fmt_duration, fmt_ms

Render = Callable[..., str]


@pytest.fixture
def render(make_console: Callable[..., Console]) -> Render:
    def run(result: RunResult, width: int = 120) -> str:
        console = make_console(width=width)
        print_summary(result, console)
        return console.export_text()

    return run


def test_summary_matches_golden(
    sample: RunResult, render: Render, assert_golden: Callable[[str, str], None]
) -> None:
    text = "".join(line.rstrip() + "\n" for line in render(sample).splitlines())
    assert_golden("sample_summary.txt", text)  # trailing blanks dropped: editors strip them


def test_summary_shows_endpoints_total_errors_and_status_codes(
    sample: RunResult, render: Render
) -> None:
    text = render(sample)
    assert "checkout" in text and "http://127.0.0.1:8080" in text and "closed" in text
    for name in ("/api/items", "/api/orders", "/health", "Total"):
        assert name in text
    assert "5 (7.69%)" in text  # /api/orders fails
    assert "read timeout" in text and "timeout" in text
    assert "503: 3" in text
    assert "30,000 ms" not in text  # the timeout is not a latency
    assert "ABORTED" not in text and "insecure" not in text


def test_summary_narrow_console_keeps_names_and_key_percentiles(
    sample: RunResult, render: Render
) -> None:
    text = render(sample, width=80)
    assert all(len(line) <= 80 for line in text.splitlines())
    assert "/health" in text and "p99" in text and "p99.9" not in text


def test_zero_requests_render(empty: RunResult, render: Render) -> None:
    text = render(empty)
    assert "Total" in text
    assert "No requests completed." in text
    assert "Errors" not in text


def test_everything_refused_renders(refused: RunResult, render: Render) -> None:
    text = render(refused)
    assert "25 (100.0%)" in text
    assert "connection refused" in text and "refused" in text
    assert "No request succeeded" in text
    assert "—" in text  # no latency numbers


def test_aborted_banner_and_insecure_note(sample: RunResult, render: Render) -> None:
    meta = dataclasses.replace(sample.meta, aborted=True, abort_reason="SIGINT", insecure=True)
    text = render(dataclasses.replace(sample, meta=meta))
    assert "ABORTED (SIGINT)" in text
    assert "--insecure" in text
    assert text.index("ABORTED") < text.index("Method")


def test_user_text_is_not_markup_and_secrets_are_hidden(sample: RunResult, render: Render) -> None:
    meta = dataclasses.replace(
        sample.meta, name="[bold]x[/bold]", target="http://u:pw@h/?token=t0k"
    )
    text = render(dataclasses.replace(sample, meta=meta))
    assert "[bold]x[/bold]" in text
    assert "pw@" not in text and "t0k" not in text


def test_errors_table_shows_top_messages_only(meta: RunMeta, render: Render) -> None:
    rec = Recorder()
    ep = rec.endpoint("GET", "/x")
    for i in range(15):
        for _ in range(i + 1):
            ep.fail(1_000, ErrorKind.HTTP_STATUS, 500, 0, f"error number {i:02d}")
    agg = Aggregator()
    agg.add(rec.snapshot(0.0, 1.0, active_users=1))
    text = render(agg.result(meta, 1.0))
    assert "error number 14" in text and "error number 05" in text
    assert "error number 04" not in text
    assert "… 5 more messages" in text
    hidden_row = next(line for line in text.splitlines() if "more messages" in line)
    assert hidden_row.split()[-1] == "15"  # 1+2+3+4+5 failures behind the hidden messages


@pytest.mark.parametrize(
    ("value_ms", "text"),
    [
        (0.0, "0.000 ms"),
        (0.4125, "0.412 ms"),
        (1.5, "1.50 ms"),
        (12.34, "12.3 ms"),
        (1234.0, "1,234 ms"),
    ],
)
def test_fmt_ms(value_ms: float, text: str) -> None:
    assert fmt_ms(value_ms) == text


def test_fmt_duration_and_bytes() -> None:
    assert [fmt_duration(s) for s in (0.0, 9.876, 42.0, 123.0, 3723.0)] == [
        "0.00 s", "9.88 s", "42.0 s", "2m 03s", "1h 02m 03s",
    ]  # fmt: skip
    assert [fmt_bytes(n) for n in (0, 1023, 262_048, 5 * 2**20, 3 * 2**30)] == [
        "0 B", "1,023 B", "255.9 KiB", "5.0 MiB", "3.0 GiB",
    ]  # fmt: skip
