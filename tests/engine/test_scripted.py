"""The scripted workload on both drivers: on_start failures, tasks that never yield, script
errors handed to the observer (the engine prints nothing), and the run lifecycle's outcome."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine
from typing import Any

import pytest

from engine import loads
from servers import HttpTestServer
from surge.engine.closed import ClosedDriver
from surge.engine.run import LoadRun, run_blocking
from surge.engine.workload import RunContext
from surge.metrics.recorder import Recorder
from surge.metrics.values import Snapshot
from surge.scenario import User, constant, task


class Login(User):
    async def on_start(self) -> None:
        if self.user_id % 2:
            raise PermissionError(f"no account for user {self.user_id}")
        await self.http.post("/echo", json={"user": self.user_id})

    @task
    async def browse(self) -> None:
        await self.http.get("/ok")

    async def on_stop(self) -> None:
        await self.http.get("/cookie/get")


class FirstLoginFails(Login):
    async def on_start(self) -> None:
        if self.user_id == 0:
            raise PermissionError("the first login fails")


def _errors(recorder: Recorder) -> dict[str, tuple[int, dict[str, int]]]:
    snap = recorder.snapshot(0.0, 1.0, 0)
    return {ep.name: (ep.failures, ep.error_messages) for ep in snap.endpoints if ep.failures}


def test_a_failed_on_start_stops_that_user_in_the_closed_model(
    test_server: HttpTestServer,
) -> None:
    recorder = Recorder()
    work = loads.scripted([Login], test_server.url)
    ctx = loads.run(loads.closed(work, recorder, users=4, requests_per_user=5))
    by_path = test_server.requests_by_path
    assert by_path == {"/echo": 2, "/ok": 10, "/cookie/get": 2}  # users 0 and 2 only
    assert _errors(recorder) == {
        "Login.on_start": (
            2,
            {
                "script: PermissionError: no account for user 1": 1,
                "script: PermissionError: no account for user 3": 1,
            },
        )
    }
    tally = ctx.classes["Login"]
    assert (tally.started, tally.on_start_failed) == (4, 2)
    assert tally.first_error.startswith("PermissionError: no account for user")


def test_a_failed_on_start_fails_its_arrival_in_the_open_model(
    test_server: HttpTestServer,
) -> None:
    recorder = Recorder()
    work = loads.scripted([FirstLoginFails], test_server.url)
    pace = loads.constant_rate(50, 0.2)  # 10 arrivals
    ctx = loads.run(loads.open_model(work, recorder, pace=pace, max_in_flight=5))
    arrivals = recorder.snapshot(0.0, 1.0, 0).arrivals
    # user 0 failed its login: its arrival failed without running a task, and the user was
    # dropped; the next arrival made user 1, who ran the tasks from then on (one more user only
    # when an arrival found user 1 still busy: a slow, loaded machine)
    assert (arrivals.scheduled, arrivals.completed, arrivals.failed) == (10, 9, 1)
    tally = ctx.classes["FirstLoginFails"]
    assert tally.on_start_failed == 1
    assert 2 <= tally.started <= 1 + 5  # never more users than max_in_flight, plus the failed one
    logged_in = tally.started - 1
    # every arrival but the failed one ran a task, and every user that logged in ran its on_stop
    assert test_server.requests_by_path == {"/ok": 9, "/cookie/get": logged_in}


class NeverAwaits(User):
    @task
    async def nothing(self) -> None:
        self.count = getattr(self, "count", 0) + 1


class RaisesFirst(User):
    @task
    async def boom(self) -> None:
        raise RuntimeError("no token")


@pytest.mark.parametrize(
    ("cls", "name", "how"),
    [
        (NeverAwaits, "NeverAwaits.nothing", "it returns without awaiting anything"),
        (RaisesFirst, "RaisesFirst.boom", "raised before awaiting anything (RuntimeError: no"),
    ],
)
def test_a_task_that_never_yields_ends_the_run_naming_it(
    test_server: HttpTestServer, cls: type[User], name: str, how: str
) -> None:
    recorder = Recorder()
    stop = asyncio.Event()
    work = loads.scripted([cls], test_server.url)
    started = time.monotonic()
    ctx = loads.run(loads.closed(work, recorder, users=3, duration_s=60, stop=stop))
    assert time.monotonic() - started < 10  # about one second, not the 60 asked for
    assert ctx.error is not None
    assert f"task {name} never yields to the event loop" in ctx.error
    assert how in ctx.error
    assert stop.is_set()


class Paced(User):
    wait_time = constant(0)

    @task
    async def nothing(self) -> None:
        pass


def test_a_wait_of_zero_still_counts_as_not_yielding(test_server: HttpTestServer) -> None:
    """constant(0) never sleeps: the loop would not turn either."""
    ctx = loads.run(
        loads.closed(loads.scripted([Paced], test_server.url), Recorder(), duration_s=30)
    )
    assert ctx.error is not None and "Paced.nothing" in ctx.error


class Flaky(User):
    wait_time = constant(0.001)

    @task
    async def flaky(self) -> None:
        await self.http.get("/ok")
        raise ValueError("bad page")


def test_script_errors_go_to_the_observer_once_per_place(
    test_server: HttpTestServer, capsys: pytest.CaptureFixture[str]
) -> None:
    seen: list[tuple[str, str]] = []
    recorder = Recorder()

    async def main() -> RunContext:
        ctx = RunContext(recorder, on_script_error=lambda where, text: seen.append((where, text)))
        await ClosedDriver(users=2, iterations_per_user=3).run(
            loads.scripted([Flaky], test_server.url), ctx
        )
        return ctx

    loads.run(main())
    assert [where for where, _ in seen] == ["Flaky.flaky"]
    assert "ValueError: bad page" in seen[0][1] and "Traceback" in seen[0][1]
    assert _errors(recorder)["Flaky.flaky"][0] == 6
    assert capsys.readouterr() == ("", "")  # the engine prints nothing


def test_the_lifecycle_reports_the_error_and_the_class_tally(test_server: HttpTestServer) -> None:
    snapshots: list[Snapshot] = []
    recorder = Recorder()

    def load(ctx: RunContext) -> Coroutine[Any, Any, None]:
        return ClosedDriver(users=4, iterations_per_user=2).run(
            loads.scripted([Login], test_server.url), ctx
        )

    run = LoadRun(load, recorder, snapshots.append, handle_signals=False)
    outcome = run_blocking(run)
    assert outcome.error is None and not outcome.aborted
    (login,) = outcome.classes
    assert (login.name, login.users, login.failed, login.all_failed) == ("Login", 4, 2, False)
    assert outcome.failed_classes == ()
    assert sum(ep.requests for s in snapshots for ep in s.endpoints if ep.name == "/ok") == 4
