"""Driving the engine's drivers and workloads directly (no CLI, no snapshot ticker)."""

from __future__ import annotations

import asyncio
import collections
from collections.abc import Callable, Coroutine, Sequence
from typing import Any, TypeVar

from surge.engine.closed import ClosedDriver
from surge.engine.http import ClientConfig
from surge.engine.open import OpenDriver, Pace
from surge.engine.scripted import ScriptWorkload
from surge.engine.url import UrlWorkload
from surge.engine.workload import RunContext, Workload
from surge.metrics.recorder import Recorder
from surge.scenario.spec import EndpointSpec
from surge.scenario.user import User


def context(
    recorder: Recorder,
    *,
    stop: asyncio.Event | None = None,
    graceful_stop_s: float = 5.0,
    on_active_change: Callable[[int], None] | None = None,
) -> RunContext:
    return RunContext(
        recorder, stop=stop, graceful_stop_s=graceful_stop_s, on_active_change=on_active_change
    )


async def closed(
    workload: Workload,
    recorder: Recorder,
    *,
    users: int = 1,
    offsets: Sequence[float] | None = None,
    duration_s: float | None = None,
    requests_per_user: int | None = None,
    users_at: Callable[[float], int | None] | None = None,
    stop: asyncio.Event | None = None,
    graceful_stop_s: float = 5.0,
    on_active_change: Callable[[int], None] | None = None,
) -> RunContext:
    ctx = context(
        recorder, stop=stop, graceful_stop_s=graceful_stop_s, on_active_change=on_active_change
    )
    driver = ClosedDriver(
        users=users,
        start_offsets_s=offsets if offsets is not None else [0.0] * users,
        duration_s=duration_s,
        iterations_per_user=requests_per_user,
        users_at=users_at,
    )
    await driver.run(workload, ctx)
    return ctx


async def open_model(
    workload: Workload,
    recorder: Recorder,
    *,
    pace: Pace,
    max_in_flight: int = 1000,
    stop: asyncio.Event | None = None,
    graceful_stop_s: float = 5.0,
) -> RunContext:
    ctx = context(recorder, stop=stop, graceful_stop_s=graceful_stop_s)
    await OpenDriver(pace=pace, max_in_flight=max_in_flight).run(workload, ctx)
    return ctx


def url(
    spec: EndpointSpec, config: ClientConfig | None = None, think_time_s: float = 0.0
) -> UrlWorkload:
    return UrlWorkload(spec, config or ClientConfig(), think_time_s=think_time_s)


def scripted(
    classes: Sequence[type[User]],
    base_url: str,
    config: ClientConfig | None = None,
    *,
    seed: int | None = 1,
) -> ScriptWorkload:
    return ScriptWorkload(
        classes,
        base_url=base_url,
        config=config or ClientConfig(),
        class_of=lambda i: i % len(classes),
        seed=seed,
    )


def constant_rate(rate: float, duration_s: float) -> Pace:
    """A pace function: arrival k is due at k / rate, for the arrivals inside the duration."""
    count = round(rate * duration_s)
    return lambda elapsed_s, k: k / rate - elapsed_s if k < count else None


T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine on a fresh default event loop."""
    return asyncio.run(coro)


def totals(recorder: Recorder) -> dict[str, int]:
    """Counts summed over every endpoint (takes a snapshot: call once, at the end)."""
    out: collections.Counter[str] = collections.Counter()
    for ep in recorder.snapshot(0.0, 1.0, 0).endpoints:
        out["ok"] += ep.requests - ep.failures
        out["fail"] += ep.failures
        out["incomplete"] += ep.incomplete
        out.update(ep.errors)
    return dict(out)


def names(recorder: Recorder) -> dict[tuple[str, str], int]:
    """Requests per (method, name) (takes a snapshot)."""
    return {(ep.method, ep.name): ep.requests for ep in recorder.snapshot(0.0, 1.0, 0).endpoints}
