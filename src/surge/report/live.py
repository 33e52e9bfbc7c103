"""The live terminal view shown while a run is in progress.

On a terminal it is a `rich.live.Live` one-row table refreshed about four times a second and
removed when the run ends (the final summary replaces it). On anything else (CI logs, pipes) it
prints one plain line at most every `plain_interval_s` seconds, wrapped between its figures
when the console is narrower than the line. `quiet=True` shows nothing.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from types import TracebackType

from rich import box
from rich.console import Console
from rich.live import Live
from rich.text import Text

from surge.metrics import LiveStatus, LoadModel
from surge.report.fit_table import Column, FitTable
from surge.report.humanize import fmt_count, fmt_ms, fmt_percent, fmt_rate
from surge.report.wrap import Parts

PLAIN_INTERVAL_S = 5.0
REFRESH_PER_SECOND = 4.0


def fmt_clock(seconds: float) -> str:
    """`0:07`, `12:34`, `1:02:03`."""
    whole = max(int(seconds), 0)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _remaining(status: LiveStatus, duration_s: float | None, requests_per_user: int | None) -> str:
    if duration_s is not None:
        return f"{fmt_clock(math.ceil(duration_s - status.elapsed_s))} left"
    if requests_per_user is not None:
        return f"until {requests_per_user:,} requests per user"
    return "until done"


def _failures(status: LiveStatus) -> str:
    if not status.requests:
        return "0"
    return f"{status.failures:,} ({fmt_percent(status.failures / status.requests)})"


def _users(status: LiveStatus, model: LoadModel) -> str:
    """Active users, with the schedule's target beside them in the closed model (`8/10`)."""
    if model is LoadModel.CLOSED and status.target is not None:
        return f"{status.active_users:,}/{status.target:,.0f}"
    return f"{status.active_users:,}"


def _target_rate(status: LiveStatus, model: LoadModel) -> str | None:
    """The arrival rate the schedule asks for now (open model), e.g. `100.0/s`."""
    if model is LoadModel.OPEN and status.target is not None:
        return f"{fmt_rate(status.target)}/s"
    return None


def status_parts(
    status: LiveStatus,
    *,
    label: str,
    duration_s: float | None,
    requests_per_user: int | None = None,
    model: LoadModel = LoadModel.CLOSED,
) -> list[str]:
    """The figures of the plain status line, in order (joined by ` · `).

    `status.target` is users in the closed model and arrivals per second in the open one.
    """
    target = _target_rate(status, model)
    rate = f"{fmt_rate(status.rps)} req/s" + (f" (target {target})" if target else "")
    return [
        f"[{label}] {fmt_clock(status.elapsed_s)} elapsed, "
        f"{_remaining(status, duration_s, requests_per_user)}",
        f"{_users(status, model)} users",
        rate,
        f"{fmt_count(status.requests)} requests",
        f"{_failures(status)} failed",
        f"p50 {fmt_ms(status.p50_ms)}",
        f"p95 {fmt_ms(status.p95_ms)}",
        f"p99 {fmt_ms(status.p99_ms)}",
    ]


def status_line(
    status: LiveStatus,
    *,
    label: str,
    duration_s: float | None,
    requests_per_user: int | None = None,
    model: LoadModel = LoadModel.CLOSED,
) -> str:
    """The plain one-line form of a status (used when the console is not a terminal)."""
    parts = status_parts(
        status,
        label=label,
        duration_s=duration_s,
        requests_per_user=requests_per_user,
        model=model,
    )
    return " · ".join(parts)


def status_table(
    status: LiveStatus,
    *,
    label: str,
    duration_s: float | None,
    requests_per_user: int | None = None,
    model: LoadModel = LoadModel.CLOSED,
) -> FitTable:
    """The one-row table the live display shows (with a Target column when the open model's
    schedule names a rate); on a narrow terminal it continues in a second part."""
    target = _target_rate(status, model)
    headers = ("Users", *(("Target",) if target else ()), "RPS", "Requests", "Failures")
    columns = [
        Column("Elapsed", justify="left"),
        Column("Remaining", justify="left", wrap=True, min_width=10),
        *(Column(header) for header in (*headers, "p50", "p95", "p99")),
    ]
    title = Text(label, style="bold cyan")
    table = FitTable(columns, box=box.ROUNDED, title=title, title_justify="left")
    table.add_row(
        fmt_clock(status.elapsed_s),
        _remaining(status, duration_s, requests_per_user),
        _users(status, model),
        *((target,) if target else ()),
        fmt_rate(status.rps),
        fmt_count(status.requests),
        Text(_failures(status), style="red" if status.failures else ""),
        fmt_ms(status.p50_ms),
        fmt_ms(status.p95_ms),
        fmt_ms(status.p99_ms),
    )
    return table


class LiveView:
    """A context manager showing the latest `LiveStatus` while a run is in progress.

    Use: `with LiveView(console) as view: ... view.update(agg.live(), label=..., duration_s=...)`,
    then print the summary after the `with` block.
    """

    def __init__(
        self,
        console: Console,
        *,
        quiet: bool = False,
        refresh_per_second: float = REFRESH_PER_SECOND,
        plain_interval_s: float = PLAIN_INTERVAL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._console = console
        self._quiet = quiet
        self._refresh_per_second = refresh_per_second
        self._plain_interval_s = plain_interval_s
        self._clock = clock
        self._live: Live | None = None
        self._last_plain_s: float | None = None

    def __enter__(self) -> LiveView:
        if not self._quiet and self._console.is_terminal:
            self._live = Live(
                Text(""),
                console=self._console,
                refresh_per_second=self._refresh_per_second,
                transient=True,
            )
            self._live.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._live is not None:
            live, self._live = self._live, None
            live.stop()

    def update(
        self,
        status: LiveStatus,
        *,
        label: str,
        duration_s: float | None,
        requests_per_user: int | None = None,
        model: LoadModel = LoadModel.CLOSED,
    ) -> None:
        """Show `status`; `duration_s=None` means the run ends after a number of requests.
        `model` says how to read `status.target`: users (closed) or arrivals per second (open)."""
        if self._quiet:
            return
        if self._live is not None:
            self._live.update(
                status_table(
                    status,
                    label=label,
                    duration_s=duration_s,
                    requests_per_user=requests_per_user,
                    model=model,
                )
            )
            return
        if self._console.is_terminal:
            return  # not entered (or already left): nothing to draw into
        now = self._clock()
        if self._last_plain_s is not None and now - self._last_plain_s < self._plain_interval_s:
            return
        self._last_plain_s = now
        parts = status_parts(
            status,
            label=label,
            duration_s=duration_s,
            requests_per_user=requests_per_user,
            model=model,
        )
        self._console.print(Parts(parts))  # wrapped between figures at the console's width
