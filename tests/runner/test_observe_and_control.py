"""Observers follow a run live, and a RunControl steers it, against the real loopback server:
stop, change the users (closed model), change the rate (open model)."""

from __future__ import annotations

import threading
import time

import pytest

import surge
from servers import HttpTestServer
from surge.runner import ControlError, Level, Notice, Progress, RunStart
from surge.runner.control import STOPPED
from surge.runner.observer import Observers


class Recorder(surge.Observer):
    """Everything the runner tells an observer, in order."""

    def __init__(self) -> None:
        self.events: list[str] = []
        self.starts: list[RunStart] = []
        self.progress: list[Progress] = []
        self.notices: list[Notice] = []
        self.results: list[surge.RunResult] = []
        self.thread: list[int] = []

    def on_start(self, start: RunStart) -> None:
        self.events.append("start")
        self.starts.append(start)

    def on_progress(self, progress: Progress) -> None:
        self.events.append("progress")
        self.progress.append(progress)
        self.thread.append(threading.get_ident())

    def on_notice(self, notice: Notice) -> None:
        self.events.append("notice")
        self.notices.append(notice)

    def on_end(self, result: surge.RunResult) -> None:
        self.events.append("end")
        self.results.append(result)


def test_an_observer_hears_start_each_second_notices_and_end(test_server: HttpTestServer) -> None:
    seen = Recorder()
    result = surge.run(f"{test_server.url}/delay?ms=20", users=2, duration="2.5s", observers=[seen])
    assert seen.events[0] == "start" and seen.events[-2:] == ["end", "notice"]
    (start,) = seen.starts
    assert start.name == "GET /delay" and start.mode == "url" and start.plan.users == 2
    assert "2 users" in start.description and start.target.endswith("/delay?ms=20")
    assert len(seen.progress) >= 3  # 1 s, 2 s and the last part-second
    totals = [p.status.requests for p in seen.progress]
    assert totals == sorted(totals) and totals[-1] == result.requests  # running totals
    assert seen.progress[-1].total.requests == result.requests
    assert all(len(p.snapshots) == 1 for p in seen.progress)
    assert seen.progress[0].status.target == 2.0
    assert set(seen.thread) == {threading.get_ident()}  # called on the run's own thread
    assert seen.results == [result]
    (stored,) = seen.notices
    assert stored.level is Level.INFO and stored.text.startswith("stored as run ")


def test_control_stop_ends_the_run_early_and_says_why(test_server: HttpTestServer) -> None:
    control = surge.RunControl()

    class StopAfterOneSecond(surge.Observer):
        def on_progress(self, progress: Progress) -> None:
            control.stop()

    started = time.monotonic()
    result = surge.run(
        f"{test_server.url}/ok",
        users=2,
        duration="60s",
        observers=[StopAfterOneSecond()],
        control=control,
        no_store=True,
    )
    assert time.monotonic() - started < 30  # not the 60 s asked for
    assert result.duration_s < 10
    assert result.meta.aborted and result.meta.abort_reason == STOPPED
    assert result.requests > 0 and control.stopped


def test_control_stop_from_another_thread_also_skips_the_repeats(
    test_server: HttpTestServer,
) -> None:
    control = surge.RunControl()
    timer = threading.Timer(1.0, control.stop)
    timer.start()
    runs = surge.run_many(
        f"{test_server.url}/ok", users=1, duration="60s", repeat=3, control=control
    )
    timer.join()
    (result,) = runs.results
    assert result.meta.aborted and result.duration_s < 30


def test_control_changes_the_users_of_a_closed_model_run(test_server: HttpTestServer) -> None:
    control = surge.RunControl()
    seen = Recorder()

    class FiveUsersAfterOneSecond(surge.Observer):
        def on_progress(self, progress: Progress) -> None:
            if len(seen.progress) == 1:
                control.set_users(5)

    result = surge.run(
        f"{test_server.url}/delay?ms=10",
        users=1,
        duration="4s",
        observers=[seen, FiveUsersAfterOneSecond()],
        control=control,
        no_store=True,
    )
    targets = [p.status.target for p in seen.progress]
    users = [p.status.active_users for p in seen.progress]
    assert targets[0] == 1.0 and targets[2] == 5.0  # the snapshots' target follows
    assert users[0] == 1 and max(users) == 5
    assert result.timeline[2].active_users == 5
    with pytest.raises(ControlError, match="no run is in progress"):
        control.set_users(2)


def test_control_changes_the_rate_of_an_open_model_run(test_server: HttpTestServer) -> None:
    control = surge.RunControl()
    seen = Recorder()

    class FasterAfterOneSecond(surge.Observer):
        def on_progress(self, progress: Progress) -> None:
            if len(seen.progress) == 1:
                control.set_rate(40)
                with pytest.raises(ControlError, match="open-model"):
                    control.set_users(3)

    result = surge.run(
        f"{test_server.url}/ok",
        rate=5,
        duration="3s",
        observers=[seen, FasterAfterOneSecond()],
        control=control,
        no_store=True,
    )
    first, second = result.timeline[0], result.timeline[1]
    assert first.target == 5.0 and second.target == 40.0
    assert first.requests <= 6 and second.requests >= 30  # ~5 then ~40 arrivals a second
    assert seen.progress[1].status.target == 40.0


def test_a_run_that_ends_by_count_cannot_change_its_users(test_server: HttpTestServer) -> None:
    control = surge.RunControl()
    errors: list[str] = []

    class TryMoreUsers(surge.Observer):
        def on_progress(self, progress: Progress) -> None:
            try:
                control.set_users(3)
            except ControlError as exc:
                errors.append(str(exc))

    surge.run(
        f"{test_server.url}/delay?ms=300",
        users=1,
        requests_per_user=5,
        observers=[TryMoreUsers()],
        control=control,
        no_store=True,
    )
    assert errors and all("needs a duration" in e for e in errors)


def test_the_running_totals_are_built_only_for_an_observer_that_reads_them(
    test_server: HttpTestServer,
) -> None:
    """`Progress.total` and `.endpoints` are copies of every histogram the run keeps, made each
    second: an observer that reads only `status` says so (`wants_totals = False`, as the
    terminal's live view does) and the run does not build them; one that reads them gets them,
    also when another observer of the same run does not want them."""

    class StatusOnly(surge.Observer):
        wants_totals = False

        def __init__(self) -> None:
            self.progress: list[Progress] = []

        def on_progress(self, progress: Progress) -> None:
            self.progress.append(progress)

    class Silent(surge.Observer):  # no on_progress: wants nothing
        wants_totals = True

    status_only, silent = StatusOnly(), Silent()
    assert not Observers([status_only, silent]).want_totals
    assert Observers([status_only, Recorder()]).want_totals
    result = surge.run(f"{test_server.url}/ok", users=1, duration="1.5s", observers=[status_only])
    assert status_only.progress and all(p.endpoints == () for p in status_only.progress)
    assert all(p.total.requests == 0 for p in status_only.progress)
    assert status_only.progress[-1].status.requests == result.requests > 0  # status is there
    both = StatusOnly(), Recorder()
    surge.run(f"{test_server.url}/ok", users=1, duration="1.5s", observers=both)
    assert both[1].progress[-1].endpoints and both[1].progress[-1].total.requests > 0
    assert both[0].progress[-1].endpoints  # the same Progress: built once for the run
