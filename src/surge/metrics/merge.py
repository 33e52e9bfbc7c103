"""Adding recordings together: endpoint counts, and each worker's generator health.

Counts add and histograms merge bucket by bucket, so the sum of any number of parts (seconds,
workers) is exactly what one recording of all their requests would hold.
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Iterable

from surge.metrics.histogram import Histogram, merge_all
from surge.metrics.protocol import add_counts, add_int_keys, add_protocols, merge_timings
from surge.metrics.values import CheckCount, EndpointStats, HealthSample, WorkerHealth


def merge_stats(method: str, name: str, parts: Iterable[EndpointStats]) -> EndpointStats:
    """Add endpoint counts together (intervals of one endpoint, or endpoints into a total)."""
    items = list(parts)
    if len(items) == 1 and items[0].method == method and items[0].name == name:
        return items[0]  # a value: nothing to add (one worker's second, every second)
    status: Counter[int] = Counter()
    errors: Counter[str] = Counter()
    messages: Counter[str] = Counter()
    checks: dict[str, CheckCount] = {}
    for part in items:
        status.update(part.status_codes)
        errors.update(part.errors)
        messages.update(part.error_messages)
        for check, count in part.checks.items():
            before = checks.get(check)
            checks[check] = count if before is None else before + count
    return EndpointStats(
        method=method,
        name=name,
        requests=sum(p.requests for p in items),
        failures=sum(p.failures for p in items),
        bytes_received=sum(p.bytes_received for p in items),
        status_codes=dict(sorted(status.items())),
        errors=dict(sorted(errors.items())),
        error_messages=dict(messages.most_common()),
        latency=merge_all(p.latency for p in items),
        failure_latency=merge_all(p.failure_latency for p in items),
        incomplete=sum(p.incomplete for p in items),
        checks=dict(sorted(checks.items())),
        service_time=merge_all(p.service_time for p in items),
        schedule_lag=merge_all(p.schedule_lag for p in items),
        retries=sum(p.retries for p in items),
        counts=add_counts([p.counts for p in items if p.counts]),
        timings=merge_timings([p.timings for p in items if p.timings]),
        close_codes=add_int_keys([p.close_codes for p in items if p.close_codes]),
        protocols=add_protocols([p.protocols for p in items if p.protocols]),
    )


class HealthTally:
    """One worker's health samples as they arrive, in memory that does not grow per sample
    beyond 16 bytes (its CPU reading and the interval's end): the loop-lag histograms merge, and
    so do the schedule-lag histograms of its requests (open model). Histograms are merged
    `_BATCH` at a time: a merge builds a dense array, and the engine adds every second, on its
    event loop."""

    __slots__ = ("_cpu", "_loop_lag", "_schedule_lag", "worker")

    def __init__(self, worker: int) -> None:
        self.worker = worker
        self._cpu = array("d")  # end_s, cpu_pct, end_s, cpu_pct, …
        self._loop_lag: list[Histogram] = []
        self._schedule_lag: list[Histogram] = []

    def add(self, end_s: float, sample: HealthSample) -> None:
        self._cpu.extend((end_s, sample.cpu_pct))
        _gather(self._loop_lag, sample.loop_lag)

    def add_schedule_lag(self, lag: Histogram) -> None:
        """The schedule lag of some of this worker's requests (one endpoint, one interval)."""
        _gather(self._schedule_lag, lag)

    def __len__(self) -> int:
        return len(self._cpu) // 2

    def value(self) -> WorkerHealth:
        pairs = self._cpu.tolist()
        cpu = sorted(zip(pairs[0::2], pairs[1::2], strict=True))
        return WorkerHealth(
            self.worker, tuple(cpu), _merged(self._loop_lag), _merged(self._schedule_lag)
        )


_BATCH = 32


def _gather(parts: list[Histogram], histogram: Histogram) -> None:
    if histogram.total:
        parts.append(histogram)
        if len(parts) >= _BATCH:
            parts[:] = [merge_all(parts)]


def _merged(parts: list[Histogram]) -> Histogram:
    if not parts:
        return Histogram.empty()
    parts[:] = [merge_all(parts)]
    return parts[0]
