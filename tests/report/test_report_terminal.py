"""The end-of-run terminal summary: tables, threshold verdicts, checks, open-model figures and
the generator-saturated banner."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import pytest
from rich.console import Console

from surge.metrics import (
    Aggregator,
    ErrorKind,
    LoadModel,
    LoadSummary,
    Recorder,
    RunMeta,
    RunResult,
    ThresholdVerdict,
)
from surge.report import print_summary
from surge.report.humanize import (
    fmt_bytes,
    fmt_duration,
    fmt_ms,
    fmt_pass_rate,
    fmt_threshold_value,
)

Render = Callable[..., str]


@pytest.fixture
def render(make_console: Callable[..., Console]) -> Render:
    def run(result: RunResult, width: int = 120) -> str:
        console = make_console(width=width)
        print_summary(result, console)
        return console.export_text()

    return run


@pytest.mark.parametrize("kind", ["sample", "open"])
def test_summary_matches_golden(
    kind: str,
    build: dict[str, Callable[[], RunResult]],
    render: Render,
    assert_golden: Callable[[str, str], None],
) -> None:
    text = "".join(line.rstrip() + "\n" for line in render(build[kind]()).splitlines())
    assert_golden(f"{kind}_summary.txt", text)  # trailing blanks dropped: editors strip them


def _line_with(text: str, needle: str) -> str:
    return next(line for line in text.splitlines() if needle in line)


def test_threshold_verdict_table(sample: RunResult, render: Render) -> None:
    text = render(sample)
    assert "Thresholds" in text
    failed = _line_with(text, "error_rate<1%")
    assert "✗ FAIL" in failed and "2.326%" in failed and "< 1%" in failed
    assert "(abort on fail)" in failed
    passed = _line_with(text, "p95<200ms")
    assert "✓ PASS" in passed and "64.191 ms" in passed and "< 200 ms" in passed
    endpoint_row = _line_with(text, "p99<100ms")
    assert "POST /api/orders" in endpoint_row and "PASS" in endpoint_row
    assert "> 50 req/s" in _line_with(text, "rps>50")
    assert text.rstrip().endswith("Thresholds: FAIL — 1 of 4 failed")  # the verdict comes last


def test_all_thresholds_passing_and_nothing_measured(sample: RunResult, render: Render) -> None:
    passing = tuple(dataclasses.replace(v, passed=True) for v in sample.thresholds)
    assert "Thresholds: PASS — 4 of 4 passed" in render(
        dataclasses.replace(sample, thresholds=passing)
    )
    missing = ThresholdVerdict("GET /x: p95<1s", "GET /x", "p95", "<", 1000.0, "ms", None, False)
    row = _line_with(render(dataclasses.replace(sample, thresholds=(missing,))), "p95<1s")
    assert "FAIL" in row and "no data" in row and "< 1,000 ms" in row


def test_checks_table(sample: RunResult, render: Render) -> None:
    text = render(sample)
    assert "Checks" in text
    row = _line_with(text, "status is 201")
    assert row.split()[-3:] == ["60", "4", "93.75%"]
    assert "POST /api/orders" in row
    assert _line_with(text, "body has id").split()[-1] == "98.36%"
    assert _line_with(text, "status is 200").split()[-1] == "100.00%"


def test_no_checks_no_thresholds_no_sections(refused: RunResult, render: Render) -> None:
    text = render(refused)
    assert "Checks" not in text and "Thresholds" not in text
    assert "Generator" not in text and "Arrivals" not in text


def test_saturation_banner_is_prominent(open_run: RunResult, render: Render) -> None:
    text = render(open_run)
    assert "GENERATOR SATURATED" in text
    assert "NOT trustworthy" in text
    assert "generator CPU ≥ 90% for 2 s (peak 99%)" in text
    assert "65 arrivals dropped (max_in_flight: 65)" in text
    assert text.index("GENERATOR SATURATED") < text.index("Method")  # before any figure
    assert "Generator healthy" not in text


def test_healthy_generator_is_one_quiet_line(sample: RunResult, render: Render) -> None:
    text = render(sample)
    assert "GENERATOR SATURATED" not in text
    assert "Generator healthy: CPU peak 35.2% (mean 21.7%)" in text


def test_open_model_block(open_run: RunResult, render: Render) -> None:
    text = render(open_run)
    arrivals = _line_with(text, "Arrivals:")
    for part in (
        "300 scheduled",
        "223 completed",
        "3 failed",
        "70 dropped (max_in_flight 65, stopped 5)",
        "4 in flight at the end",
    ):
        assert part in arrivals
    assert "Rate: 76.7/s achieved of 100.0/s offered (77%)" in text
    assert "Warning: the offered load was not sustained" in text
    header = _line_with(text, "Service p50")
    assert "Lag p99" in header
    timings = text[text.index("Service p50") :].splitlines()
    deals = _line_with("\n".join(timings), "/api/deals")
    assert deals.split()[2:5] == ["12.5", "ms", "19.3"]  # service p50, p95 of GET /api/deals
    assert "intended send time" in text


def test_open_model_block_fits_a_narrow_console(open_run: RunResult, render: Render) -> None:
    text = render(open_run, width=80)
    assert all(len(line) <= 80 for line in text.splitlines())
    for header in ("Service p50", "Service p95", "Service p99", "Lag p50", "Lag p95", "Lag p99"):
        assert header in text  # every column, in a second part when the first is full


def test_closed_model_pacing_shows_offered_rate(sample: RunResult, render: Render) -> None:
    paced = LoadSummary(LoadModel.CLOSED, 100.0, 71.7, False)
    text = render(dataclasses.replace(sample, load=paced))
    assert "Rate: 71.7/s achieved of 100.0/s offered (72%)" in text
    assert "Warning: the offered load was not sustained (71.7/s of 100.0/s)" in text
    assert "Arrivals:" not in text  # no open-model accounting in the closed model
    assert "Rate:" not in render(sample)  # no rate asked for, nothing to compare


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


def test_summary_narrow_console_keeps_names_and_every_percentile(
    sample: RunResult, render: Render
) -> None:
    text = render(sample, width=80)
    assert all(len(line) <= 80 for line in text.splitlines())
    assert "/health" in text
    for header in ("p50", "p90", "p95", "p99", "p99.9", "Max", "Mean", "Requests", "Fails"):
        assert f" {header} " in text


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


def test_verdict_text_is_not_markup_and_secrets_are_hidden(
    sample: RunResult, render: Render
) -> None:
    verdict = ThresholdVerdict(
        "[red]GET /a?token=t0k: p95<1s", "GET /a?token=t0k", "p95", "<", 1000.0, "ms", 5.0, True
    )
    stats = sample.endpoints[0]
    checks = {"[bold]has ?api_key=k3y": stats.checks["status is 200"]}
    text = render(
        dataclasses.replace(
            sample,
            thresholds=(verdict,),
            endpoints=(dataclasses.replace(stats, checks=checks), *sample.endpoints[1:]),
        )
    )
    assert "[red]GET /a?token=***" in text and "[bold]has ?api_key=***" in text
    assert "t0k" not in text and "k3y" not in text
    meta = dataclasses.replace(sample.meta, aborted=True, abort_reason="threshold ?token=t0k")
    banner = render(dataclasses.replace(sample, meta=meta))
    assert "ABORTED (threshold ?token=***)" in banner and "t0k" not in banner


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (200.0, "ms", "200 ms"),
        (312.5, "ms", "312.5 ms"),
        (2.3255813, "%", "2.326%"),
        (1500.0, "rps", "1,500 req/s"),
        (5.0, "count", "5"),
        (0.1, "cpu", "0.1 cpu"),
    ],
)
def test_fmt_threshold_value(value: float, unit: str, text: str) -> None:
    assert fmt_threshold_value(value, unit) == text


def test_fmt_pass_rate_never_rounds_a_failure_up_to_100() -> None:
    assert fmt_pass_rate(1.0) == "100.00%"
    assert fmt_pass_rate(99_999 / 100_000) == "99.99%"
    assert fmt_pass_rate(60 / 64) == "93.75%"


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


def test_many_endpoints_show_the_busiest_and_a_row_for_the_rest(
    meta: RunMeta, render: Render
) -> None:
    """A run with hundreds of names prints the 50 busiest endpoints and one row for the rest
    (printing a thousand rows took seconds; the files keep every endpoint)."""
    recorder = Recorder()
    for k in range(120):
        endpoint = recorder.endpoint("GET", f"/page-{k:03d}")
        for _ in range(1 + k % 60):
            endpoint.ok(1500, 200, 10)
    aggregator = Aggregator()
    aggregator.add(recorder.snapshot(0.0, 1.0, 1))
    result = aggregator.result(meta, 1.0)
    text = render(result, width=160)
    shown = [line for line in text.splitlines() if "/page-" in line]
    assert len(shown) == 50
    assert all(int(line.split("/page-")[1][:3]) % 60 >= 59 - 24 for line in shown)  # busiest
    rest = _line_with(text, "70 more endpoints")
    hidden = sum(1 + k % 60 for k in range(120) if k % 60 < 35)
    assert f"{hidden:,}" in rest
