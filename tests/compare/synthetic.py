"""Synthetic RunResults for the compare tests: per-second intervals of lognormal latencies."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from surge.compare import RunSample
from surge.metrics import (
    TOTAL_NAME,
    EndpointStats,
    Histogram,
    Interval,
    RunMeta,
    RunResult,
    merge_stats,
)


def stats(method: str, name: str, latencies_us: Sequence[int], failures: int = 0) -> EndpointStats:
    return EndpointStats(
        method=method,
        name=name,
        requests=len(latencies_us) + failures,
        failures=failures,
        bytes_received=0,
        status_codes={200: len(latencies_us)},
        errors={"http_500": failures} if failures else {},
        error_messages={},
        latency=Histogram.from_values(latencies_us),
        failure_latency=Histogram.empty(),
    )


def make_run(
    rng: np.random.Generator,
    *,
    seconds: int = 10,
    per_second: int = 200,
    median_ms: dict[str, float] | None = None,
    sigma: float = 0.3,
    error_rate: float = 0.0,
    name: str = "api",
    run_drift: float = 0.0,
) -> RunResult:
    """A run of `seconds` one-second intervals; each endpoint's latencies are lognormal around
    its median, the whole run scaled by a random factor exp(N(0, run_drift)) (run-to-run noise)."""
    medians = median_ms or {"/a": 10.0}
    scale = float(np.exp(rng.normal(0.0, run_drift))) if run_drift else 1.0
    intervals: list[Interval] = []
    for seq in range(seconds):
        parts: list[EndpointStats] = []
        for path, median in medians.items():
            values = rng.lognormal(np.log(median * 1000.0 * scale), sigma, per_second)
            failures = int(rng.binomial(per_second, error_rate)) if error_rate else 0
            parts.append(stats("GET", path, values.astype(np.int64).tolist(), failures))
        intervals.append(Interval(seq, float(seq), float(seq + 1), tuple(parts)))
    endpoints = tuple(
        merge_stats("GET", path, (s for iv in intervals for s in iv.endpoints if s.name == path))
        for path in sorted(medians)
    )
    meta = RunMeta(name, "0.1.0", "2026-01-01T00:00:00Z", "2026-01-01T00:00:10Z", "http://x", "url")
    return RunResult(
        meta=meta,
        duration_s=float(seconds),
        endpoints=endpoints,
        total=merge_stats("", TOTAL_NAME, endpoints),
        timeline=(),
        intervals=tuple(intervals),
    )


def samples(runs: Sequence[RunResult], first_id: int = 1) -> list[RunSample]:
    return [RunSample(r, first_id + i) for i, r in enumerate(runs)]
