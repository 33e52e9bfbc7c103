"""The `surge_load` fixture: a real load test through surge's runner, from a test.

    def test_checkout_holds(surge_load, live_server):
        result = surge_load(live_server.url + "/api/checkout", users=20, duration="10s",
                            thresholds=["p95<200ms", "error_rate<1%"])
        result.assert_ok()          # AssertionError: the verdict table

The keywords are `surge.run`'s (docs/python-api.md). Runs are not stored unless the session
stores (`--surge-save`, `--surge-autosave`) or the call says so (`no_store=False`, `store=`);
the run's name defaults to the test's. Its figures go to the JUnit XML as properties.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from surge.metrics import RunResult
from surge.pytest_plugin.fixture import off_loop

if TYPE_CHECKING:
    from surge.pytest_plugin.session import SurgeSession


class LoadFixture:
    """Call it like `surge.run`: `surge_load(target, **options) -> RunResult`."""

    def __init__(self, request: pytest.FixtureRequest, session: SurgeSession) -> None:
        self._node = request.node
        self._session = session
        self.results: list[RunResult] = []

    def _options(self, options: dict[str, Any]) -> dict[str, Any]:
        settings = self._session.settings
        options.setdefault("name", self._node.name)
        if not ({"no_store", "store"} & options.keys()):
            if settings.storing:
                if settings.store:
                    options["store"] = settings.store
            else:
                options["no_store"] = True
        return options

    def __call__(self, target: Any, /, **options: Any) -> RunResult:
        from surge.runner.api import run

        prepared = self._options(options)
        result: RunResult = off_loop(lambda: run(target, **prepared))
        self._record(result)
        return result

    async def run_async(self, target: Any, /, **options: Any) -> RunResult:
        """The same, awaited (an async test)."""
        from surge.runner.api import run_async

        result = await run_async(target, **self._options(options))
        self._record(result)
        return result

    def _record(self, result: RunResult) -> None:
        self.results.append(result)
        self._session.record_load(self._node.nodeid, result)
        figures = {
            "surge_requests": result.requests, "surge_error_rate": result.error_rate,
            "surge_rps": result.rps, "surge_p50_ms": result.p50_ms,
            "surge_p95_ms": result.p95_ms, "surge_p99_ms": result.p99_ms,
            "surge_passed": result.passed,
        }  # fmt: skip
        for key, value in figures.items():
            text = f"{value:.6g}" if isinstance(value, float) else str(value)
            self._node.user_properties.append((key, text))
