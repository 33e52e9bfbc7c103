"""The figures a notebook or a test reads off a result: one endpoint's (or the whole run's)
requests, failures, rate and latency percentiles in milliseconds — the same numbers, from the
same histograms, as the JSON document's `summary` and `endpoints`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from surge.metrics.histogram import Histogram


class _Counted(Protocol):
    @property
    def requests(self) -> int: ...
    @property
    def failures(self) -> int: ...
    @property
    def latency(self) -> Histogram: ...


@dataclass(frozen=True, slots=True)
class Figures:
    """Requests (successes and failures), failures, the rate over the run, and the latency of
    successful requests in ms: mean, stddev, min, p50, p75, p90, p95, p99, p99.9 (`p999_ms`),
    max."""

    requests: int
    failures: int
    rps: float
    error_rate: float
    mean_ms: float
    stddev_ms: float
    min_ms: float
    p50_ms: float
    p75_ms: float
    p90_ms: float
    p95_ms: float
    p99_ms: float
    p999_ms: float
    max_ms: float

    @property
    def successes(self) -> int:
        return self.requests - self.failures


def figures_of(stats: _Counted, duration_s: float) -> Figures:
    """The figures of one endpoint's (or the total's) counts over a run of `duration_s`."""
    summary = stats.latency.summary_ms()
    requests = stats.requests
    return Figures(
        requests=requests,
        failures=stats.failures,
        rps=requests / duration_s if duration_s > 0 else 0.0,
        error_rate=stats.failures / requests if requests else 0.0,
        mean_ms=summary["mean"],
        stddev_ms=summary["stddev"],
        min_ms=summary["min"],
        p50_ms=summary["p50"],
        p75_ms=summary["p75"],
        p90_ms=summary["p90"],
        p95_ms=summary["p95"],
        p99_ms=summary["p99"],
        p999_ms=summary["p999"],
        max_ms=summary["max"],
    )
