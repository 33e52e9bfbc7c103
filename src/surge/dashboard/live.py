"""One live dashboard, put together for a shell: the event log, the state, the feed (the
observer to hand the runner), the web application and its server.

`surge run --ui` serves one run:

    with LiveDashboard(settings, Mode.RUN) as dashboard:
        dashboard.begin(jobs, control)
        runs = run_all(target, config, [terminal, dashboard.feed], control=control, jobs=jobs)
        dashboard.finish(runs)
        dashboard.linger()          # open tabs fetch the downloads, then the process ends

`surge ui` starts runs from its form: `launch` (called by the page) checks the form into a
target, a RunConfig and the planned jobs, and `next_request` hands them to the command, which
runs them on its main thread like `surge run` does.
"""

from __future__ import annotations

import queue
import secrets
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

from surge.config import RunConfig
from surge.dashboard.access import Access
from surge.dashboard.app import AppContext, Busy, build_app
from surge.dashboard.downloads import Format
from surge.dashboard.events import EventLog
from surge.dashboard.feed import DashboardFeed
from surge.dashboard.form import FormBase
from surge.dashboard.server import DashboardServer, bind_socket
from surge.dashboard.settings import UiSettings
from surge.dashboard.state import DashboardState, Mode, Phase
from surge.redaction import NO_REDACTION, Redactor
from surge.runner import Job, Level, Notice, RunControl, Runs, Target, plan_jobs

LINGER_S = 5.0


@dataclass(frozen=True, slots=True)
class RunRequest:
    """A run asked for by the form: what to run, how, its planned jobs and its control."""

    target: Target
    config: RunConfig
    jobs: tuple[Job, ...]
    control: RunControl


class LiveDashboard:
    """See the module docstring. `settings` must be `UiSettings.checked()` ones."""

    def __init__(
        self,
        settings: UiSettings,
        mode: Mode,
        *,
        form: FormBase | None = None,
        redactor: Redactor = NO_REDACTION,
        on_error: Callable[[str], None] | None = None,
    ) -> None:
        sock = bind_socket(settings)  # first: a taken port is an input error, nothing started
        self.settings = settings
        self.log = EventLog()
        self.state = DashboardState(mode, redactor)
        self.feed = DashboardFeed(self.log, self.state, on_error)
        self.form = form
        self._requests: queue.Queue[RunRequest] = queue.Queue(maxsize=1)
        self._launching = threading.Lock()
        access = Access(
            token=settings.token,
            csrf=secrets.token_urlsafe(24),
            loopback=settings.loopback,
            cookie=f"surge_ui_{sock.getsockname()[1]}",
        )
        self.context = AppContext(
            self.log,
            self.state,
            self.feed,
            access,
            form=form,
            launch=self.launch if mode is Mode.UI else None,
        )
        self.server = DashboardServer(build_app(self.context), settings, self.log, sock)
        self.feed.session()

    @property
    def url(self) -> str:
        return self.server.url

    def url_with_token(self) -> str:
        token = self.settings.token
        return self.url if token is None else f"{self.url}?token={token}"

    def __enter__(self) -> Self:
        self.server.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self.feed.drain(timeout_s=5.0)
        self.server.stop()
        self.feed.close()

    # -- a run -------------------------------------------------------------------------------

    def begin(self, jobs: Sequence[Job], control: RunControl) -> None:
        """A run of these jobs starts under `control` (the page's stop, users and rate)."""
        self.state.begin(jobs, control)
        self.feed.session()

    def finish(self, runs: Runs) -> None:
        """The run is over: the page shows it finished, with its store ids."""
        self.feed.drain()
        if len(runs.stored_ids) == len(runs.results):
            self.state.stored(runs.stored_ids)
        self.state.end()
        self.feed.session()
        self.feed.drain()

    def fail(self, message: str) -> None:
        """The run could not start (found before any traffic): the page says why."""
        self.feed.on_notice(Notice(Level.ERROR, message))
        self.state.end()
        self.feed.session()

    def linger(self, timeout_s: float = LINGER_S) -> None:
        """Before the process ends: give the tabs that are open time to fetch the last run's
        downloads (at most `timeout_s`; a closed tab does not wait)."""
        self.feed.drain()
        run = self.state.last_run()
        if run is None:
            return
        tabs = self.context.audience.streams
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.context.audience.settled(run, len(Format), tabs):
                return
            time.sleep(0.05)

    # -- surge ui: runs from the form --------------------------------------------------------

    def launch(self, values: Mapping[str, Any]) -> None:
        """The form's run: checked and planned here (ConfigError says what is wrong), then
        handed to the command (Busy while a run goes on)."""
        if self.form is None:
            raise Busy("this dashboard has no form")
        with self._launching:
            if self.state.phase is Phase.RUNNING or not self._requests.empty():
                raise Busy("a run is in progress: stop it or wait for its end")
            target, config = self.form.config(values)
            jobs = tuple(plan_jobs(target, config))
            request = RunRequest(target, config, jobs, RunControl())
            self.begin(jobs, request.control)
            self._requests.put_nowait(request)

    def next_request(self, timeout_s: float) -> RunRequest | None:
        """The form's next run, or None when none came within `timeout_s`."""
        try:
            return self._requests.get(timeout=timeout_s)
        except queue.Empty:
            return None
