"""Hand-built metrics values for threshold tests."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from surge.metrics import TOTAL_NAME, CheckCount, EndpointStats, Histogram, RunMeta, RunResult
from surge.metrics.aggregate import merge_stats


def stats(
    method: str,
    name: str,
    latencies_ms: Iterable[float] = (),
    *,
    failures: int = 0,
    checks: Mapping[str, CheckCount] | None = None,
) -> EndpointStats:
    """An endpoint with one success per latency given and `failures` failed requests."""
    values_us = [round(ms * 1000) for ms in latencies_ms]
    return EndpointStats(
        method=method,
        name=name,
        requests=len(values_us) + failures,
        failures=failures,
        bytes_received=0,
        status_codes={200: len(values_us)} if values_us else {},
        errors={"http_status": failures} if failures else {},
        error_messages={},
        latency=Histogram.from_values(values_us),
        failure_latency=Histogram.from_values([1000] * failures),
        checks=checks or {},
    )


def total_of(endpoints: Iterable[EndpointStats]) -> EndpointStats:
    return merge_stats("", TOTAL_NAME, endpoints)


def run_result(endpoints: tuple[EndpointStats, ...], duration_s: float = 10.0) -> RunResult:
    return RunResult(
        meta=RunMeta(
            name="test",
            surge_version="0",
            started_at="2024-01-01T00:00:00Z",
            finished_at="2024-01-01T00:00:10Z",
            target="http://127.0.0.1:1",
            mode="url",
        ),
        duration_s=duration_s,
        endpoints=endpoints,
        total=total_of(endpoints),
        timeline=(),
    )
