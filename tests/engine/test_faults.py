"""The engine under faults: errors it did not expect end the run as a crash with what was
recorded, names resolve once per run, running out of descriptors is an error class."""

from __future__ import annotations

import asyncio
import errno
import socket
import time
from collections.abc import Coroutine
from typing import Any

import pytest

from engine import loads
from servers import HttpTestServer
from surge.engine.http.classify import classify_error, describe_error
from surge.engine.http.resolve import Resolver
from surge.engine.run import LoadRun, run_blocking
from surge.engine.workload import RunContext
from surge.metrics.errors import ErrorKind
from surge.metrics.recorder import Recorder
from surge.metrics.values import Snapshot
from surge.scenario.spec import EndpointSpec


def _sleeping_load(ctx: RunContext) -> Coroutine[Any, Any, None]:
    async def load() -> None:
        await asyncio.wait_for(ctx.stop.wait(), 10)

    return load()


def test_a_snapshot_sink_that_raises_crashes_the_run_with_its_results() -> None:
    seen: list[Snapshot] = []

    def sink(snapshot: Snapshot) -> None:
        seen.append(snapshot)
        if len(seen) == 1:
            raise RuntimeError("the sink broke\nsecond line")

    run = LoadRun(_sleeping_load, Recorder(), sink, handle_signals=False, interval_s=0.05)
    outcome = run_blocking(run)
    assert outcome.crash is not None and outcome.aborted
    assert outcome.crash.startswith("internal error: RuntimeError: the sink broke (at ")
    assert "test_faults.py" in outcome.crash and "in sink" in outcome.crash
    assert "\n" not in outcome.crash
    assert outcome.abort_reason == outcome.crash
    assert outcome.duration_s < 5  # it stopped the run, not the 10 s load
    assert len(seen) == 2  # the final snapshot is still delivered


def test_a_load_that_raises_ends_as_a_crash(test_server: HttpTestServer) -> None:
    def load(ctx: RunContext) -> Coroutine[Any, Any, None]:
        async def broken() -> None:
            await asyncio.sleep(0.01)
            raise KeyError("slot")

        return broken()

    outcome = run_blocking(LoadRun(load, Recorder(), lambda s: None, handle_signals=False))
    assert outcome.crash is not None
    assert outcome.crash.startswith("internal error: KeyError: 'slot'"), outcome.crash


def test_descriptor_exhaustion_is_its_own_error_class() -> None:
    for code in (errno.EMFILE, errno.ENFILE):
        exc = OSError(code, "Too many open files")
        assert classify_error(exc) is ErrorKind.FD_EXHAUSTED
        assert "RLIMIT_NOFILE" in describe_error(exc)
    several = OSError(f"Multiple exceptions: [Errno {errno.EMFILE}] Too many open files, ...")
    assert classify_error(several) is ErrorKind.FD_EXHAUSTED


class _CountingLoop:
    """A loop whose getaddrinfo counts calls and answers after `delay_s` (resolver logic)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, delay_s: float, fail: bool) -> None:
        self.loop, self.delay_s, self.fail, self.calls = loop, delay_s, fail, 0

    async def getaddrinfo(self, host: str, port: int, **_: Any) -> list[tuple[Any, ...]]:
        self.calls += 1
        await asyncio.sleep(self.delay_s)
        if self.fail:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))] * 2

    def create_future(self) -> asyncio.Future[None]:
        return self.loop.create_future()

    def create_task(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        return self.loop.create_task(coro)


@pytest.mark.parametrize("fail", [False, True])
def test_a_name_is_looked_up_once_for_every_connection_waiting_on_it(fail: bool) -> None:
    now = [0.0]

    async def main() -> tuple[int, list[object]]:
        fake = _CountingLoop(asyncio.get_running_loop(), 0.05, fail)
        resolver = Resolver(fake, clock=lambda: now[0])  # type: ignore[arg-type]
        outcomes = await asyncio.gather(
            *(resolver.lookup("api.example", 80) for _ in range(200)), return_exceptions=True
        )
        if fail:  # a known failure answers at once, and is looked up again a second later
            with pytest.raises(socket.gaierror):
                resolver.known("api.example", 80)
            now[0] = 1.5
            with pytest.raises(socket.gaierror):
                resolver.known("api.example", 80)
            await asyncio.sleep(0.1)
        return fake.calls, outcomes

    calls, outcomes = asyncio.run(main())
    if fail:
        assert calls == 2
        assert all(isinstance(o, socket.gaierror) for o in outcomes)
        assert len({id(o) for o in outcomes}) == 200  # fresh exceptions, no shared traceback
    else:
        assert calls == 1
        assert all(o == ((socket.AF_INET, ("127.0.0.1", 80)),) for o in outcomes)


def test_an_ip_literal_needs_no_lookup(test_server: HttpTestServer) -> None:
    async def main() -> object:
        resolver = Resolver(asyncio.get_running_loop())
        found = resolver.known("::1", 8080), resolver.known("127.0.0.1", 80)
        assert resolver.lookups == 0
        return found

    assert asyncio.run(main()) == (
        ((socket.AF_INET6, ("::1", 8080, 0, 0)),),
        ((socket.AF_INET, ("127.0.0.1", 80)),),
    )


def test_closed_users_against_a_name_that_does_not_resolve(
    capfd: pytest.CaptureFixture[str],
) -> None:
    recorder = Recorder()

    async def main() -> None:
        await loads.closed(
            loads.url(EndpointSpec("GET", "http://nonexistent.invalid/")),
            recorder,
            users=20,
            requests_per_user=5,
        )

    loads.run(main())
    assert loads.totals(recorder) == {"ok": 0, "fail": 100, "incomplete": 0, "dns": 100}
    assert "never retrieved" not in capfd.readouterr().err


def test_users_and_a_driver_are_untouched_by_the_resolver(test_server: HttpTestServer) -> None:
    recorder = Recorder()
    url = test_server.url.replace("127.0.0.1", "localhost") + "/ok"

    async def main() -> None:
        await loads.closed(
            loads.url(EndpointSpec("GET", url)), recorder, users=4, requests_per_user=5
        )

    loads.run(main())
    assert loads.totals(recorder)["ok"] == 20


@pytest.mark.parametrize("rate", [2000, 5000])
def test_the_schedule_never_spins(test_server: HttpTestServer, rate: int) -> None:
    # Arrivals 0.5 ms and 0.2 ms apart: a timer shorter than a millisecond is an immediate
    # callback on uvloop, so a schedule that slept until each arrival would wake hundreds of
    # thousands of times a second. It sleeps at least a millisecond: at most one wake-up a ms.
    import uvloop

    from surge.engine.open import OpenDriver

    duration_s = 0.5
    driver = OpenDriver(pace=loads.constant_rate(rate, duration_s), max_in_flight=1000)
    recorder = Recorder()

    async def main() -> None:
        work = loads.url(EndpointSpec("GET", test_server.url + "/ok"))
        await driver.run(work, loads.context(recorder))

    started = time.perf_counter()
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(main())
    elapsed_ms = (time.perf_counter() - started) * 1000
    assert recorder.snapshot(0, 1, 0).arrivals.scheduled == rate * duration_s
    assert 1 <= driver.wakeups <= elapsed_ms + 10, (driver.wakeups, elapsed_ms)
