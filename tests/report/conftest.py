"""Fixtures for the report tests: deterministic RunResults built by driving a real Recorder,
a recording console and the golden-file checker.

`sample` is a closed-model run with checks and thresholds (one failing) and a healthy generator;
`open_run` an open-model run with drops, in-flight arrivals and a saturated generator.

Test modules take everything as fixtures and import nothing from `tests/` (the suite runs with
`--import-mode=importlib`, where test helpers are not importable); `golden.py` is loaded by path.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import io
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest
from rich.console import Console

from surge.metrics import (
    Aggregator,
    DropReason,
    EndpointRecorder,
    ErrorKind,
    GeneratorVerdict,
    LoadModel,
    LoadSummary,
    Recorder,
    RunMeta,
    RunResult,
    SaturationCause,
    ThresholdVerdict,
)


def _load_helper(name: str) -> ModuleType:
    path = Path(__file__).with_name(f"{name}.py")
    spec = importlib.util.spec_from_file_location(f"surge_report_tests_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


golden = _load_helper("golden")

META = RunMeta(
    name="checkout",
    surge_version="0.1.0",
    started_at="2025-01-15T10:00:00+00:00",
    finished_at="2025-01-15T10:00:03+00:00",
    target="http://127.0.0.1:8080",
    mode="closed",
    options={"users": 10, "spawn_rate": 5.0, "duration_s": 3.0, "timeout_s": 30.0},
)
OPEN_META = RunMeta(
    name="spike",
    surge_version="0.1.0",
    started_at="2025-01-15T11:00:00+00:00",
    finished_at="2025-01-15T11:00:03+00:00",
    target="http://127.0.0.1:8080",
    mode="open",
    options={"rate": 100.0, "duration_s": 3.0, "max_in_flight": 50, "timeout_s": 1.0},
)
TIMEOUT_US = 30_000_000


def build_sample() -> RunResult:
    """Three endpoints over three seconds, with a 30 s timeout, 503s and a failed check; named
    checks on two endpoints; four thresholds of which `error_rate<1%` fails; two User classes
    (Shopper: items and orders, Visitor: health)."""
    rec = Recorder()
    items = rec.endpoint("GET", "/api/items")
    orders = rec.endpoint("POST", "/api/orders")
    health = rec.endpoint("GET", "/health")
    shopper, visitor = rec.user_class("Shopper"), rec.user_class("Visitor")
    agg = Aggregator()
    for second, users in enumerate((5, 10, 10)):
        shopper.users += 4 if second < 2 else 0
        visitor.users += 1 if second < 2 else 0
        shopper.iterations += 20
        shopper.requests += 60 + (2 if second == 1 else 3 if second == 2 else 0)
        visitor.iterations += 10
        visitor.requests += 10
        for i in range(40):
            n = second * 40 + i
            items.ok(2_000 + (n * 7919) % 18_000, 200, 2_048)
            items.check("status is 200", True)
        for i in range(20):
            n = second * 20 + i
            orders.ok(15_000 + (n * 104_729) % 60_000, 201, 256)
            orders.check("status is 201", True)
            orders.check("body has id", True)
        for i in range(10):
            n = second * 10 + i
            health.ok(200 + (n * 31) % 400, 200, 16)
        if second == 1:
            orders.fail(TIMEOUT_US, ErrorKind.TIMEOUT, 0, 0, "read timeout")
            orders.fail(8_500, ErrorKind.CHECK, 200, 64, "expected 'id' in body")
            orders.check("status is 201", False)
            orders.check("body has id", False)
        if second == 2:
            for _ in range(3):
                orders.fail(4_000, ErrorKind.HTTP_STATUS, 503, 128, "503 Service Unavailable")
                orders.check("status is 201", False)
        agg.add(rec.snapshot(float(second), float(second + 1), active_users=users, target=10.0))
    result = agg.result(META, 3.0)
    total_ms = result.total.latency.summary_ms()
    orders_ms = next(e for e in result.endpoints if e.name == "/api/orders").latency.summary_ms()
    thresholds = (
        ThresholdVerdict("p95<200ms", None, "p95", "<", 200.0, "ms", total_ms["p95"], True),
        ThresholdVerdict(
            "error_rate<1%", None, "error_rate", "<", 1.0, "%",
            result.total.error_rate * 100, False, abort_on_fail=True,
        ),
        ThresholdVerdict(
            "POST /api/orders: p99<100ms", "POST /api/orders", "p99", "<", 100.0, "ms",
            orders_ms["p99"], True,
        ),
        ThresholdVerdict("rps>50", None, "rps", ">", 50.0, "rps", result.rps, True),
    )  # fmt: skip
    return dataclasses.replace(
        result,
        load=LoadSummary(LoadModel.CLOSED, None, result.rps, True),
        generator=GeneratorVerdict(False, (), 35.2, 21.7, 1.3, 4.8, 0.0, 0),
        thresholds=thresholds,
    )


def _arrive(
    rec: Recorder, ep: EndpointRecorder, n: int, lag_us: int, outcome: ErrorKind | None
) -> None:
    """One started arrival of the open model: latency = schedule lag + service time."""
    service_us = 5_000 + (n * 7919) % 15_000
    rec.arrivals.scheduled += 1
    rec.arrivals.lag.record(lag_us)
    if outcome is None:
        ep.ok(lag_us + service_us, 200, 512)
        rec.arrivals.completed += 1
    elif outcome is ErrorKind.TIMEOUT:
        ep.fail(1_000_000, ErrorKind.TIMEOUT, 0, 0, "read timeout")
        service_us = 1_000_000 - lag_us
        rec.arrivals.failed += 1
    else:
        ep.fail(lag_us + service_us, outcome, 503, 64, "503 Service Unavailable")
        rec.arrivals.failed += 1
    ep.timing(service_us, lag_us)


def build_open() -> RunResult:
    """100 arrivals/s for three seconds against two endpoints, falling behind: growing schedule
    lag, 65 drops at the in-flight cap, 5 due after the stop, 4 in flight at the end, three
    failures; the generator is judged saturated and the load not sustained."""
    rec = Recorder()
    deals = rec.endpoint("GET", "/api/deals")
    cart = rec.endpoint("POST", "/api/cart")
    agg = Aggregator()
    plan = ((100, 0, 0, 200), (80, 20, 0, 20_000), (50, 45, 5, 150_000))
    for second, (started, capped, stopped, lag_step_us) in enumerate(plan):
        for i in range(started):
            n = second * 100 + i
            ep = cart if i % 5 == 4 else deals
            lag_us = 100 + (i * lag_step_us) // 10
            if second == 2 and i >= started - 4:
                rec.arrivals.scheduled += 1
                rec.arrivals.lag.record(lag_us)
                rec.arrivals.in_flight_at_end += 1
                ep.incomplete()
                continue
            outcome = None
            if second == 1 and i in (10, 50):
                outcome = ErrorKind.TIMEOUT
            elif second == 2 and i == 20:
                outcome = ErrorKind.HTTP_STATUS
            _arrive(rec, ep, n, lag_us, outcome)
        rec.arrivals.scheduled += capped + stopped
        rec.arrivals.drop(DropReason.MAX_IN_FLIGHT, capped)
        if stopped:
            rec.arrivals.drop(DropReason.STOPPED, stopped)
        agg.add(rec.snapshot(float(second), float(second + 1), active_users=50, target=100.0))
    result = agg.result(OPEN_META, 3.0)
    arrivals = agg.arrivals()
    total_ms = result.total.latency.summary_ms()
    started_rps = (arrivals.scheduled - arrivals.dropped_total) / 3.0
    return dataclasses.replace(
        result,
        load=LoadSummary(LoadModel.OPEN, 100.0, started_rps, False, arrivals),
        generator=GeneratorVerdict(
            saturated=True,
            reasons=(
                "generator CPU ≥ 90% for 2 s (peak 99%)",
                "65 arrivals dropped (max_in_flight: 65)",
            ),
            cpu_pct_max=99.0,
            cpu_pct_mean=84.3,
            causes=(SaturationCause.CPU, SaturationCause.DROPS),
            loop_lag_p99_ms=180.0,
            loop_lag_max_ms=412.5,
            schedule_lag_p99_ms=arrivals.lag.summary_ms()["p99"],
            dropped=65,
        ),
        thresholds=(
            ThresholdVerdict("p95<2s", None, "p95", "<", 2000.0, "ms", total_ms["p95"], True),
        ),
    )


def build_refused() -> RunResult:
    """Every request refused: requests > 0, no successes."""
    rec = Recorder()
    root = rec.endpoint("GET", "/")
    agg = Aggregator()
    for _ in range(25):
        root.fail(150, ErrorKind.REFUSED, 0, 0, "connection refused")
    agg.add(rec.snapshot(0.0, 1.0, active_users=5))
    return agg.result(dataclasses.replace(META, target="http://127.0.0.1:9"), 1.0)


def build_empty() -> RunResult:
    """No request completed at all (e.g. aborted right away)."""
    return Aggregator().result(META, 0.0)


def recording_console(*, width: int = 120, terminal: bool | None = None) -> Console:
    """The console of the golden files: no colour, 120 columns, text kept for `export_text`."""
    return Console(
        record=True, width=width, color_system=None, file=io.StringIO(), force_terminal=terminal
    )


@pytest.fixture
def sample() -> RunResult:
    return build_sample()


@pytest.fixture
def open_run() -> RunResult:
    return build_open()


@pytest.fixture
def refused() -> RunResult:
    return build_refused()


@pytest.fixture
def empty() -> RunResult:
    return build_empty()


@pytest.fixture
def meta() -> RunMeta:
    return META


@pytest.fixture
def make_console() -> Callable[..., Console]:
    return recording_console


@pytest.fixture
def assert_golden() -> Callable[[str, str], None]:
    """`assert_golden(name, text)`: compare with tests/report/golden/NAME, or rewrite it when
    SURGE_REGEN_GOLDEN=1."""
    check: Callable[[str, str], None] = golden.assert_golden
    return check


@pytest.fixture
def regenerating() -> bool:
    return bool(golden.regenerating())


@pytest.fixture
def build() -> dict[str, Callable[[], RunResult]]:
    return {
        "sample": build_sample,
        "open": build_open,
        "refused": build_refused,
        "empty": build_empty,
    }
