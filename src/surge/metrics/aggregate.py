"""Aggregation: one more consumer of Snapshots, building running totals and the RunResult.

Snapshots from any number of workers merge by adding counts, so the result is exactly what one
process would have recorded for the same requests. Percentiles are computed only from merged
histograms, never averaged.

Memory does not grow with the run's length: the totals are one set of histograms per endpoint,
added into in place (`RunningStats`: dense counts over the range of latencies seen, which stop
growing once the run's range is covered), the second being filled is the only one held whole,
and every finished second goes to the `History` (a temporary file) that the RunResult's timeline
and intervals are read from.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from surge.metrics.histogram import bucket_midpoints, shared_empty
from surge.metrics.history import History, Second, merge_intervals
from surge.metrics.merge import HealthTally, RunningStats, merge_stats
from surge.metrics.naming import OTHER, SCRIPT_METHOD
from surge.metrics.values import (
    TOTAL_NAME,
    Arrivals,
    EndpointStats,
    Interval,
    RunMeta,
    RunResult,
    Snapshot,
    TimelinePoint,
    UserClassStats,
    WorkerHealth,
)

__all__ = ["Aggregator", "LiveStatus", "merge_stats"]


@dataclass(frozen=True, slots=True)
class LiveStatus:
    """What a live view shows after each second."""

    elapsed_s: float
    active_users: int
    requests: int
    failures: int
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    target: float | None = None


def _second(snaps: list[Snapshot]) -> Second:
    """The workers' snapshots of one second as one history record."""
    seq = snaps[0].seq
    parts = [Interval(seq, s.start_s, s.end_s, s.endpoints) for s in snaps]
    targets = [s.target for s in snaps if s.target is not None]
    return Second(
        interval=merge_intervals(seq, parts),
        active_users=sum(s.active_users for s in snaps),
        target=sum(targets) if targets else None,
        start_s=min(s.start_s for s in snaps),
        end_s=max(s.end_s for s in snaps),
    )


class Aggregator:
    """Collects Snapshots (from one or many workers) into running totals and a final RunResult.

    Snapshots arrive a second (`seq`) at a time, as the engine and the coordinator deliver them;
    a second is handed to the history when a later one starts. A snapshot for a second already
    handed on (a late worker) is recorded beside it and merged when the history is read.

    With `max_endpoints`, at most that many distinct endpoint names are kept over all workers
    (each worker caps its own): the counts of later names are added into `(other)` of their
    method, so every request is still counted exactly once.
    """

    def __init__(self, history: History | None = None, max_endpoints: int | None = None) -> None:
        self.max_endpoints = max_endpoints
        self._names = NameCap(max_endpoints)
        self._total: EndpointStats | None = None
        self._listed: tuple[EndpointStats, ...] | None = None
        self._endpoints: dict[tuple[str, str], RunningStats] = {}
        self._all = RunningStats(dense=True, method="", name=TOTAL_NAME)  # `total()`
        self._history = history if history is not None else History()
        self._open: list[Snapshot] = []
        self._arrivals = Arrivals()
        self._health: dict[int, HealthTally] = {}
        self._user_classes: dict[str, UserClassStats] = {}

    def prepare(self) -> None:
        """Do before the run what its first seconds would do on the event loop: open the
        history's file and build the histograms' table of bucket midpoints."""
        self._history.open()
        bucket_midpoints()

    def add(self, snap: Snapshot) -> None:
        self._total = self._listed = None
        snap = self._names.cap(snap)
        for part in snap.endpoints:
            running = self._endpoints.get(part.key)
            if running is None:
                running = self._endpoints[part.key] = RunningStats()
            running.add(part)
        self._all.add_all(snap.endpoints)
        self._file_second(snap)
        self._arrivals = self._arrivals + snap.arrivals
        if snap.health is not None:
            tally = self._health.setdefault(snap.worker, HealthTally(snap.worker))
            tally.add(snap.end_s, snap.health)
        lags = [part.schedule_lag for part in snap.endpoints if part.schedule_lag.total]
        if lags:  # open model: the schedule lag of this worker's requests, judged per worker
            tally = self._health.setdefault(snap.worker, HealthTally(snap.worker))
            tally.add_schedule_lags(lags)
        for counts in snap.user_classes:
            known = self._user_classes.get(counts.name)
            self._user_classes[counts.name] = counts if known is None else known + counts

    def _file_second(self, snap: Snapshot) -> None:
        open_seq = self._open[0].seq if self._open else None
        if open_seq is None or snap.seq == open_seq:
            self._open.append(snap)
        elif snap.seq > open_seq:
            self._seal()
            self._open = [snap]
        else:
            self._history.append(_second([snap]))

    def _seal(self) -> None:
        if self._open:
            self._history.append(_second(self._open))
            self._open = []

    @property
    def names_seen(self) -> int:
        """Distinct endpoint names seen so far (at least: a worker counts its own; the merged
        count is the largest of theirs and the names the aggregator itself saw)."""
        return self._names.seen

    def arrivals(self) -> Arrivals:
        """Open-model accounting over everything added so far."""
        return self._arrivals

    def health(self) -> tuple[WorkerHealth, ...]:
        """Each worker's generator health so far (CPU per interval, loop lag merged)."""
        return tuple(self._health[w].value() for w in sorted(self._health))

    def user_classes(self) -> tuple[UserClassStats, ...]:
        """Each User class's counts over everything added so far, by name."""
        return tuple(self._user_classes[name] for name in sorted(self._user_classes))

    def endpoints(self) -> tuple[EndpointStats, ...]:
        """Each endpoint's totals, by key (built when read, kept until the next snapshot)."""
        if self._listed is None:
            self._listed = tuple(self._endpoints[key].value() for key in sorted(self._endpoints))
        return self._listed

    def total(self) -> EndpointStats:
        """Every endpoint merged (kept until the next snapshot is added)."""
        if self._total is None:
            self._total = self._all.value() if self._endpoints else merge_stats("", TOTAL_NAME, ())
        return self._total

    def history(self) -> tuple[tuple[Interval, ...], tuple[TimelinePoint, ...]]:
        """The intervals and the timeline so far, at the resolution the history allows."""
        self._seal()
        return self._history.read()

    def timeline(self) -> tuple[TimelinePoint, ...]:
        return self.history()[1]

    def intervals(self) -> tuple[Interval, ...]:
        """Each interval's per-endpoint stats, the workers' snapshots of that second merged."""
        return self.history()[0]

    def live(self) -> LiveStatus:
        """Running totals plus the rate of the latest second (for the live terminal view): the
        grand total's counts and latency percentiles, read off the running total without
        building the rest of its value (`total()`) or any endpoint's."""
        if self._endpoints:
            total_requests, total_failures, latency = self._all.live_figures()
        else:
            total_requests, total_failures, latency = 0, 0, shared_empty()
        p50_us, p95_us, p99_us = latency.values_at_percentiles_us((50.0, 95.0, 99.0))
        target: float | None = None
        rps, users, elapsed = 0.0, 0, 0.0
        if self._open:  # the latest second's figures, read off its snapshots (no merging)
            snaps = self._open
            start_s = min(s.start_s for s in snaps)
            elapsed = round(max(s.end_s for s in snaps), 3)
            requests = sum(e.requests for s in snaps for e in s.endpoints)
            span = max(s.end_s for s in snaps) - start_s
            rps = requests / span if span > 0 else 0.0
            users = sum(s.active_users for s in snaps)
            targets = [s.target for s in snaps if s.target is not None]
            target = sum(targets) if targets else None
        return LiveStatus(
            elapsed_s=elapsed,
            active_users=users,
            requests=total_requests,
            failures=total_failures,
            rps=rps,
            p50_ms=p50_us / 1000.0,
            p95_ms=p95_us / 1000.0,
            p99_ms=p99_us / 1000.0,
            target=target,
        )

    def result(self, meta: RunMeta, duration_s: float) -> RunResult:
        intervals, timeline = self.history()
        return RunResult(
            meta=meta,
            duration_s=duration_s,
            endpoints=self.endpoints(),
            total=self.total(),
            timeline=timeline,
            intervals=intervals,
            user_classes=self.user_classes(),
        )

    def close(self) -> None:
        """Remove the history's temporary file (the RunResults already built keep their data)."""
        self._history.close()


_FOLDED_MAX = 100_000  # names over the cap counted exactly; beyond, the count says "at least"


class NameCap:
    """The merged cap on endpoint names (see `Aggregator`)."""

    def __init__(self, max_endpoints: int | None) -> None:
        self.max_endpoints = max_endpoints
        self._kept: set[tuple[str, str]] = set()
        self._folded: set[tuple[str, str]] = set()
        self._reported = 0  # the most names a worker said it saw

    @property
    def seen(self) -> int:
        return max(self._reported, len(self._kept) + len(self._folded))

    def cap(self, snap: Snapshot) -> Snapshot:
        """`snap` with the endpoints over the cap renamed `(other)` and merged into it."""
        self._reported = max(self._reported, snap.names_seen)
        limit = self.max_endpoints
        if limit is None:
            return snap
        parts: list[EndpointStats] = []
        folded = False
        for part in snap.endpoints:
            key = part.key
            if key in self._kept or part.name == OTHER or part.method == SCRIPT_METHOD:
                parts.append(part)
            elif len(self._kept) < limit:
                self._kept.add(key)
                parts.append(part)
            else:
                if len(self._folded) < _FOLDED_MAX:
                    self._folded.add(key)
                parts.append(dataclasses.replace(part, name=OTHER))
                folded = True
        if not folded:
            return snap
        return dataclasses.replace(snap, endpoints=_merged_by_key(parts))


def _merged_by_key(parts: list[EndpointStats]) -> tuple[EndpointStats, ...]:
    by_key: dict[tuple[str, str], list[EndpointStats]] = {}
    for part in parts:
        by_key.setdefault(part.key, []).append(part)
    return tuple(
        same[0] if len(same) == 1 else merge_stats(key[0], key[1], same)
        for key, same in by_key.items()
    )
