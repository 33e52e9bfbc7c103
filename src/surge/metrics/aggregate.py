"""Aggregation: one more consumer of Snapshots, building running totals and the RunResult.

Snapshots from any number of workers merge by adding counts, so the result is exactly what one
process would have recorded for the same requests. Percentiles are computed only from merged
histograms, never averaged.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from surge.metrics.histogram import merge_all
from surge.metrics.values import (
    TOTAL_NAME,
    Arrivals,
    CheckCount,
    EndpointStats,
    HealthSample,
    Interval,
    RunMeta,
    RunResult,
    Snapshot,
    TimelinePoint,
    UserClassStats,
)


def merge_stats(method: str, name: str, parts: Iterable[EndpointStats]) -> EndpointStats:
    """Add endpoint counts together (intervals of one endpoint, or endpoints into a total)."""
    items = list(parts)
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
    )


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


class Aggregator:
    """Collects Snapshots (from one or many workers) into running totals and a final RunResult."""

    def __init__(self) -> None:
        self._endpoints: dict[tuple[str, str], EndpointStats] = {}
        self._seconds: dict[int, list[Snapshot]] = {}
        self._last_live: LiveStatus | None = None
        self._arrivals = Arrivals()
        self._health: list[tuple[int, float, HealthSample]] = []
        self._user_classes: dict[str, UserClassStats] = {}

    def add(self, snap: Snapshot) -> None:
        for part in snap.endpoints:
            before = self._endpoints.get(part.key)
            self._endpoints[part.key] = (
                part if before is None else merge_stats(part.method, part.name, (before, part))
            )
        self._seconds.setdefault(snap.seq, []).append(snap)
        self._arrivals = self._arrivals + snap.arrivals
        if snap.health is not None:
            self._health.append((snap.worker, snap.end_s, snap.health))
        for counts in snap.user_classes:
            known = self._user_classes.get(counts.name)
            self._user_classes[counts.name] = counts if known is None else known + counts

    def arrivals(self) -> Arrivals:
        """Open-model accounting over everything added so far."""
        return self._arrivals

    def health(self) -> tuple[tuple[int, float, HealthSample], ...]:
        """Every generator health sample as (worker, interval end in s, sample), as added."""
        return tuple(self._health)

    def user_classes(self) -> tuple[UserClassStats, ...]:
        """Each User class's counts over everything added so far, by name."""
        return tuple(self._user_classes[name] for name in sorted(self._user_classes))

    def endpoints(self) -> tuple[EndpointStats, ...]:
        return tuple(self._endpoints[key] for key in sorted(self._endpoints))

    def total(self) -> EndpointStats:
        return merge_stats("", TOTAL_NAME, self._endpoints.values())

    def timeline(self) -> tuple[TimelinePoint, ...]:
        return tuple(self._point(snaps) for _, snaps in sorted(self._seconds.items()))

    def intervals(self) -> tuple[Interval, ...]:
        """Each interval's per-endpoint stats, the workers' snapshots of that second merged."""
        return tuple(self._interval(seq, snaps) for seq, snaps in sorted(self._seconds.items()))

    @staticmethod
    def _interval(seq: int, snaps: list[Snapshot]) -> Interval:
        by_key: dict[tuple[str, str], list[EndpointStats]] = {}
        for snap in snaps:
            for part in snap.endpoints:
                by_key.setdefault(part.key, []).append(part)
        return Interval(
            seq=seq,
            start_s=round(min(s.start_s for s in snaps), 3),
            end_s=round(max(s.end_s for s in snaps), 3),
            endpoints=tuple(merge_stats(k[0], k[1], by_key[k]) for k in sorted(by_key)),
        )

    @staticmethod
    def _point(snaps: list[Snapshot]) -> TimelinePoint:
        merged = merge_stats("", TOTAL_NAME, (e for s in snaps for e in s.endpoints))
        span = max(s.end_s for s in snaps) - min(s.start_s for s in snaps)
        summary = merged.latency.summary_ms()
        return TimelinePoint(
            t_s=round(max(s.end_s for s in snaps), 3),
            requests=merged.requests,
            failures=merged.failures,
            rps=merged.requests / span if span > 0 else 0.0,
            p50_ms=summary["p50"],
            p95_ms=summary["p95"],
            p99_ms=summary["p99"],
            active_users=sum(s.active_users for s in snaps),
            target=_sum_targets(snaps),
        )

    def live(self) -> LiveStatus:
        """Running totals plus the rate of the latest second (for the live terminal view)."""
        total = self.total()
        summary = total.latency.summary_ms()
        target: float | None = None
        if self._seconds:
            latest = self._point(self._seconds[max(self._seconds)])
            rps, users, elapsed = latest.rps, latest.active_users, latest.t_s
            target = latest.target
        else:
            rps, users, elapsed = 0.0, 0, 0.0
        return LiveStatus(
            elapsed_s=elapsed,
            active_users=users,
            requests=total.requests,
            failures=total.failures,
            rps=rps,
            p50_ms=summary["p50"],
            p95_ms=summary["p95"],
            p99_ms=summary["p99"],
            target=target,
        )

    def result(self, meta: RunMeta, duration_s: float) -> RunResult:
        return RunResult(
            meta=meta,
            duration_s=duration_s,
            endpoints=self.endpoints(),
            total=self.total(),
            timeline=self.timeline(),
            intervals=self.intervals(),
            user_classes=self.user_classes(),
        )


def _sum_targets(snaps: list[Snapshot]) -> float | None:
    """The whole run's target: the workers' targets added (None when no worker has one)."""
    targets = [s.target for s in snaps if s.target is not None]
    return sum(targets) if targets else None
