"""The immutable values every stage after the engine reads: Snapshots and the RunResult."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from surge.metrics.histogram import Histogram

TOTAL_NAME = "Total"


@dataclass(frozen=True, slots=True)
class EndpointStats:
    """Counts of one endpoint (method + name) over an interval or a whole run.

    `requests` counts completed requests: successes and failures. `latency` holds successes only;
    `failure_latency` holds the time failed requests took (timeouts at their timeout).
    `incomplete` counts requests abandoned in flight at the end of the run.
    """

    method: str
    name: str
    requests: int
    failures: int
    bytes_received: int
    status_codes: Mapping[int, int]
    errors: Mapping[str, int]
    error_messages: Mapping[str, int]
    latency: Histogram
    failure_latency: Histogram
    incomplete: int = 0

    @property
    def successes(self) -> int:
        return self.requests - self.failures

    @property
    def key(self) -> tuple[str, str]:
        return (self.method, self.name)

    @property
    def error_rate(self) -> float:
        return self.failures / self.requests if self.requests else 0.0


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One interval (about a second) of one worker's recording: deltas, not running totals.

    `seq` numbers intervals from 0 so a consumer can tell a lost or duplicate snapshot.
    """

    seq: int
    worker: int
    start_s: float
    end_s: float
    active_users: int
    endpoints: tuple[EndpointStats, ...]


@dataclass(frozen=True, slots=True)
class TimelinePoint:
    """One second of the run, all endpoints together."""

    t_s: float
    requests: int
    failures: int
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    active_users: int


@dataclass(frozen=True, slots=True)
class RunMeta:
    """Who ran what, when and how."""

    name: str
    surge_version: str
    started_at: str
    finished_at: str
    target: str
    mode: str
    options: Mapping[str, Any] = field(default_factory=dict)
    insecure: bool = False
    aborted: bool = False
    abort_reason: str | None = None


@dataclass(frozen=True, slots=True)
class RunResult:
    """Everything a run measured. Reports, thresholds, compare and the store read only this."""

    meta: RunMeta
    duration_s: float
    endpoints: tuple[EndpointStats, ...]
    total: EndpointStats
    timeline: tuple[TimelinePoint, ...]

    @property
    def rps(self) -> float:
        return self.total.requests / self.duration_s if self.duration_s > 0 else 0.0
