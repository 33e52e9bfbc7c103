"""Adding recordings together: endpoint counts, and each worker's generator health.

Counts add and histograms merge bucket by bucket, so the sum of any number of parts (seconds,
workers) is exactly what one recording of all their requests would hold.
"""

from __future__ import annotations

import dataclasses
from array import array
from collections import Counter
from collections.abc import Iterable, Sequence

from surge.metrics.histogram import Histogram, RunningHistogram, merge_all, shared_empty
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


class RunningStats:
    """The running total of endpoint counts (one endpoint's, or every endpoint's) as parts are
    added a second at a time: the four request histograms (latency, failure latency, service
    time, schedule lag) are `RunningHistogram`s added into in place, so they stop growing once
    the run's latency range is covered; the other counts are tallied in place too (numbers, and
    status codes, errors, messages and checks by key: a few entries), and the protocol figures of
    WebSocket and SSE endpoints merge as `merge_stats` merges them. `value()` equals `merge_stats`
    of every part added, exactly, and is built when read (kept until the next `add`).

    Each second adds a part per endpoint: at the 1,000-endpoint cap, rebuilding the counts as a
    new value per part (`dataclasses.replace`, then `merge_stats`) cost 60 µs an endpoint, 60 ms
    a second on the event loop."""

    __slots__ = (
        "_bytes_received",
        "_checks",
        "_close_codes",
        "_counts",
        "_errors",
        "_failure_latency",
        "_failures",
        "_incomplete",
        "_latency",
        "_messages",
        "_method",
        "_name",
        "_protocols",
        "_requests",
        "_rest",
        "_retries",
        "_schedule_lag",
        "_service_time",
        "_status",
        "_timings",
        "_value",
    )

    def __init__(self, dense: bool = False, method: str | None = None, name: str = "") -> None:
        """`dense`: see `RunningHistogram`. `method` and `name`: the total's key (by default the
        first part's)."""
        self._method = method
        self._name = name
        self._requests = self._failures = self._bytes_received = 0
        self._incomplete = self._retries = 0
        self._status: Counter[int] = Counter()
        self._errors: Counter[str] = Counter()
        self._messages: Counter[str] = Counter()
        self._checks: dict[str, CheckCount] = {}
        self._counts: dict[str, int] = {}  # WebSocket and SSE figures (see EndpointStats)
        self._timings: dict[str, Histogram] = {}
        self._close_codes: dict[int, int] = {}
        self._protocols: dict[str, int] = {}
        self._rest: EndpointStats | None = None
        self._latency = RunningHistogram(dense)
        self._failure_latency = RunningHistogram(dense)
        self._service_time = RunningHistogram(dense)
        self._schedule_lag = RunningHistogram(dense)
        self._value: EndpointStats | None = None

    def live_figures(self) -> tuple[int, int, Histogram]:
        """The requests, the failures and the latency histogram so far: what a live view shows,
        without building the other histograms' values (`value()`)."""
        return self._requests, self._failures, self._latency.value()

    @property
    def rest(self) -> EndpointStats | None:
        """The counts added so far other than the four request histograms (left empty)."""
        if self._rest is None and self._method is not None:
            empty = shared_empty()
            self._rest = EndpointStats(
                method=self._method,
                name=self._name,
                requests=self._requests,
                failures=self._failures,
                bytes_received=self._bytes_received,
                status_codes=dict(sorted(self._status.items())),
                errors=dict(sorted(self._errors.items())),
                error_messages=dict(self._messages.most_common()),
                latency=empty,
                failure_latency=empty,
                incomplete=self._incomplete,
                checks=dict(sorted(self._checks.items())),
                service_time=empty,
                schedule_lag=empty,
                retries=self._retries,
                counts=self._counts,
                timings=self._timings,
                close_codes=self._close_codes,
                protocols=self._protocols,
            )
        return self._rest

    def add(self, part: EndpointStats) -> None:
        """Add one part (named as the first part added, unless the total was given a key)."""
        self.add_histograms(part)
        self.add_counts(part)

    def add_counts(self, part: EndpointStats) -> None:
        """Add only `part`'s counts other than the four request histograms."""
        if self._method is None:
            self._method, self._name = part.method, part.name
        self._requests += part.requests
        self._failures += part.failures
        self._bytes_received += part.bytes_received
        self._incomplete += part.incomplete
        self._retries += part.retries
        if part.status_codes:
            self._status.update(part.status_codes)
        if part.errors:
            self._errors.update(part.errors)
        if part.error_messages:
            self._messages.update(part.error_messages)
        checks = self._checks
        for check, count in part.checks.items():
            before = checks.get(check)
            checks[check] = count if before is None else before + count
        if part.counts or part.timings or part.close_codes or part.protocols:
            self._add_protocol(part)
        self._rest = self._value = None

    def _add_protocol(self, part: EndpointStats) -> None:
        self._counts = add_counts([self._counts, part.counts])
        self._timings = merge_timings([self._timings, part.timings])
        self._close_codes = add_int_keys([self._close_codes, part.close_codes])
        self._protocols = add_protocols([self._protocols, part.protocols])

    def add_histograms(self, part: EndpointStats) -> None:
        """Add only `part`'s four request histograms (see `with_histograms`)."""
        self._latency.add(part.latency)
        self._failure_latency.add(part.failure_latency)
        self._service_time.add(part.service_time)
        self._schedule_lag.add(part.schedule_lag)
        self._value = None

    def add_all(self, parts: Sequence[EndpointStats]) -> None:
        """Add every one of `parts`, as `add` of each would: each of the four histograms takes
        all of theirs in one vectorised add (a second's endpoints into the run's grand total)."""
        self._latency.add_all([p.latency for p in parts])
        self._failure_latency.add_all([p.failure_latency for p in parts])
        self._service_time.add_all([p.service_time for p in parts])
        self._schedule_lag.add_all([p.schedule_lag for p in parts])
        for part in parts:
            self.add_counts(part)

    def value(self) -> EndpointStats:
        """Everything added so far (requires at least one `add`)."""
        if self._value is None:
            rest = self.rest
            assert rest is not None, "RunningStats.value() before any add()"
            self._value = self.with_histograms(rest)
        return self._value

    def with_histograms(self, rest: EndpointStats) -> EndpointStats:
        """`rest` carrying this total's four request histograms."""
        return dataclasses.replace(
            rest,
            latency=self._latency.value(),
            failure_latency=self._failure_latency.value(),
            service_time=self._service_time.value(),
            schedule_lag=self._schedule_lag.value(),
        )


class HealthTally:
    """One worker's health samples as they arrive, in memory that does not grow per sample
    beyond 16 bytes (its CPU reading and the interval's end): the loop-lag histograms, and the
    schedule-lag histograms of its requests (open model: one per endpoint a second), are added
    into `RunningHistogram`s in place (merged anew in batches, they grew with every new bucket
    the run's tail reached)."""

    __slots__ = ("_cpu", "_loop_lag", "_schedule_lag", "worker")

    def __init__(self, worker: int) -> None:
        self.worker = worker
        self._cpu = array("d")  # end_s, cpu_pct, end_s, cpu_pct, …
        self._loop_lag = RunningHistogram(dense=True)
        self._schedule_lag = RunningHistogram(dense=True)

    def add(self, end_s: float, sample: HealthSample) -> None:
        self._cpu.extend((end_s, sample.cpu_pct))
        self._loop_lag.add(sample.loop_lag)

    def add_schedule_lags(self, lags: Sequence[Histogram]) -> None:
        """The schedule lags of this worker's requests in one interval, one histogram per
        endpoint (one vectorised add)."""
        self._schedule_lag.add_all(lags)

    def __len__(self) -> int:
        return len(self._cpu) // 2

    def value(self) -> WorkerHealth:
        pairs = self._cpu.tolist()
        cpu = sorted(zip(pairs[0::2], pairs[1::2], strict=True))
        return WorkerHealth(
            self.worker, tuple(cpu), self._loop_lag.value(), self._schedule_lag.value()
        )
