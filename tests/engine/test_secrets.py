"""Secrets a scripted user holds reach the run's secrets sink before anything can print them: the
secret headers it sends (set in its defaults, or per request) and, when its script fails, what
it holds at that moment (headers set but never sent, secret cookies)."""

from __future__ import annotations

import asyncio

from engine import loads
from servers import HttpTestServer
from surge.engine.closed import ClosedDriver
from surge.engine.workload import RunContext
from surge.metrics.recorder import Recorder
from surge.redaction import MASK, Redactor
from surge.scenario import User, task


class Sends(User):
    async def on_start(self) -> None:
        self.http.headers["Authorization"] = "Bearer default-t0k3n"

    @task
    async def call(self) -> None:
        await self.http.get("/echo", headers={"X-Api-Key": "per-request-k3y"})
        await self.http.get("/cookie/set?value=cookie-s1d-value")
        await self.http.get("/echo", headers={"Accept": "text/plain"})


class FailsBeforeSending(User):
    async def on_start(self) -> None:
        await self.http.get("/cookie/set?value=s1d-from-server")
        self.http.headers["Authorization"] = "Bearer never-s3nt"
        raise RuntimeError(
            f"login failed with {dict(self.http.headers)}, sid {self.http.cookies.get('sid')}"
        )

    @task
    async def call(self) -> None:
        await self.http.get("/ok")


def _run(cls: type[User], server: HttpTestServer, redactor: Redactor) -> list[str]:
    errors: list[str] = []

    async def main() -> None:
        ctx = RunContext(
            Recorder(), secrets=redactor, on_script_error=lambda w, t: errors.append(t)
        )
        driver = ClosedDriver(
            users=2, start_offsets_s=[0.0, 0.0], duration_s=None, iterations_per_user=3
        )
        await driver.run(loads.scripted([cls], server.url), ctx)

    asyncio.run(main())
    return errors


def test_the_headers_a_user_sends_are_learned(test_server: HttpTestServer) -> None:
    redactor = Redactor.build()
    _run(Sends, test_server, redactor)
    assert test_server.requests_by_path["/echo"] == 12
    assert redactor.learned is not None
    assert set(redactor.learned.values) == {
        "Bearer default-t0k3n",
        "default-t0k3n",
        "per-request-k3y",
    }
    assert redactor.text("got per-request-k3y and default-t0k3n") == f"got {MASK} and {MASK}"


def test_what_a_failing_user_holds_is_learned_before_its_error_is_told(
    test_server: HttpTestServer,
) -> None:
    redactor = Redactor.build()
    (traceback,) = _run(FailsBeforeSending, test_server, redactor)
    assert test_server.requests_total == 2  # the cookie was set; nothing went with the header
    assert "never-s3nt" in traceback and "s1d-from-server" in traceback  # handed on as it is …
    masked = redactor.text(traceback)  # … already known to the redactor
    assert "never-s3nt" not in masked and "s1d-from-server" not in masked
