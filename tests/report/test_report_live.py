"""The live view: a rich Live table on terminals, throttled plain lines elsewhere, or nothing."""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Callable

import pytest
from rich.console import Console

from surge.metrics import LiveStatus, LoadModel
from surge.report import LiveView
from surge.report.live import status_line

STATUS = LiveStatus(
    elapsed_s=12.4,
    active_users=25,
    requests=12_345,
    failures=12,
    rps=987.6,
    p50_ms=1.234,
    p95_ms=5.678,
    p99_ms=9.9,
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


_Factory = Callable[..., Console]


@pytest.fixture
def tty(make_console: _Factory) -> Console:
    return make_console(terminal=True)


@pytest.fixture
def pipe(make_console: _Factory) -> Console:
    return make_console(terminal=False)


def _output(console: Console) -> str:
    assert isinstance(console.file, io.StringIO)
    return console.file.getvalue()


def test_terminal_view_shows_the_numbers(tty: Console) -> None:
    console = tty
    with LiveView(console, refresh_per_second=20) as view:
        view.update(STATUS, label="checkout", duration_s=60.0)
    text = console.export_text()
    for expected in ("checkout", "0:12", "0:48 left", "25", "987.6", "12,345", "12 (0.10%)"):
        assert expected in text
    assert "1.23 ms" in text and "5.68 ms" in text and "9.90 ms" in text


def test_request_count_runs_show_the_goal_instead_of_remaining_time(tty: Console) -> None:
    console = tty
    with LiveView(console) as view:
        view.update(STATUS, label="smoke", duration_s=None, requests_per_user=100)
    assert "until 100 requests per user" in console.export_text()


def test_quiet_prints_nothing(tty: Console, pipe: Console) -> None:
    for console in (tty, pipe):
        with LiveView(console, quiet=True) as view:
            view.update(STATUS, label="checkout", duration_s=60.0)
        assert console.export_text() == ""
        assert _output(console) == ""


def test_non_terminal_prints_a_plain_line_at_most_every_5_s(make_console: _Factory) -> None:
    console = make_console(terminal=False, width=200)
    clock = FakeClock()
    with LiveView(console, clock=clock) as view:
        for _ in range(10):  # ten updates over 4.5 s: one line
            view.update(STATUS, label="checkout", duration_s=60.0)
            clock.now += 0.5
        clock.now += 0.5
        view.update(STATUS, label="checkout", duration_s=60.0)
    lines = console.export_text().splitlines()
    assert len(lines) == 2
    assert lines[0] == (
        "[checkout] 0:12 elapsed, 0:48 left · 25 users · 987.6 req/s · 12,345 requests · "
        "12 (0.10%) failed · p50 1.23 ms · p95 5.68 ms · p99 9.90 ms"
    )
    assert "\x1b" not in _output(console)


def test_summary_prints_cleanly_after_the_view(tty: Console) -> None:
    console = tty
    with LiveView(console) as view:
        view.update(STATUS, label="checkout", duration_s=60.0)
    console.print("summary follows")
    assert console.export_text().rstrip().endswith("summary follows")


def test_closed_model_target_shows_beside_the_users(tty: Console) -> None:
    ramping = dataclasses.replace(STATUS, target=50.0)
    line = status_line(ramping, label="ramp", duration_s=60.0)
    assert "25/50 users" in line
    console = tty
    with LiveView(console) as view:
        view.update(ramping, label="ramp", duration_s=60.0)
    assert "25/50" in console.export_text()


def test_open_model_target_rate_is_its_own_column(tty: Console) -> None:
    arriving = dataclasses.replace(STATUS, target=1_200.0)
    line = status_line(arriving, label="spike", duration_s=60.0, model=LoadModel.OPEN)
    assert "987.6 req/s (target 1,200.0/s)" in line
    assert "25 users" in line and "/1,200" not in line
    console = tty
    with LiveView(console) as view:
        view.update(arriving, label="spike", duration_s=60.0, model=LoadModel.OPEN)
    text = console.export_text()
    assert "Target" in text and "1,200.0/s" in text


def test_no_target_changes_nothing(pipe: Console) -> None:
    for model in LoadModel:
        line = status_line(STATUS, label="checkout", duration_s=60.0, model=model)
        assert "target" not in line and "25 users" in line
    console = pipe
    with LiveView(console) as view:
        view.update(STATUS, label="checkout", duration_s=60.0, model=LoadModel.OPEN)
    assert "Target" not in console.export_text()


def test_plain_line_wraps_between_figures_on_an_80_column_log(make_console: _Factory) -> None:
    console = make_console(terminal=False, width=80)
    with LiveView(console) as view:
        view.update(STATUS, label="checkout-with-a-long-scenario-name", duration_s=60.0)
    lines = console.export_text().splitlines()
    assert len(lines) > 1 and all(len(line) <= 80 for line in lines)
    assert all(line.startswith("  ") for line in lines[1:])  # continuations, indented
    figures = [part.strip() for line in lines for part in line.split(" · ")]
    assert figures == status_line(
        STATUS, label="checkout-with-a-long-scenario-name", duration_s=60.0
    ).split(" · ")  # every figure whole: no number torn from its unit


@pytest.mark.parametrize("model", list(LoadModel))
def test_terminal_table_fits_80_columns_with_every_column(
    make_console: _Factory, model: LoadModel
) -> None:
    console = make_console(terminal=True, width=80)
    status = dataclasses.replace(STATUS, target=1_200.0 if model is LoadModel.OPEN else 50.0)
    with LiveView(console) as view:
        view.update(status, label="checkout", duration_s=None, requests_per_user=100, model=model)
    text = console.export_text()
    assert all(len(line) <= 80 for line in text.splitlines())
    headers = ["Elapsed", "Remaining", "Users", "RPS", "Requests", "Failures", "p50", "p95", "p99"]
    headers += ["Target"] if model is LoadModel.OPEN else []
    for expected in (*headers, "12 (0.10%)", "1.23 ms", "5.68 ms", "9.90 ms", "987.6", "12,345"):
        assert expected in text
    assert "until 100" in text  # the goal, wrapped at its spaces
