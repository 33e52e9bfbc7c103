"""The values the store hands out: fingerprints, stored runs, their listing rows, baselines."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from surge.metrics import RunResult


class StoreError(Exception):
    """A store problem the user can act on (unknown run, bad URL, unreachable database, a schema
    newer than this surge): printed as one message, exit code 2."""


class StoreMissing(StoreError):
    """Reading a SQLite store that does not exist yet (no run was stored there)."""


def _no_options() -> Mapping[str, Any]:
    return {}


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """Where and how a run was made: comparisons warn when two runs' fingerprints differ.

    `git_commit` and `git_dirty` are None outside a git work tree; `options` are the run's
    resolved options with secrets already redacted.
    """

    surge_version: str
    git_commit: str | None
    git_dirty: bool | None
    host: str
    cpu_count: int
    python: str
    platform: str
    options: Mapping[str, Any] = field(default_factory=_no_options)


@dataclass(frozen=True, slots=True)
class StoredRun:
    """One stored run: its id, name, when it was stored (UTC ISO 8601) and all it measured."""

    id: int
    name: str
    created_at: str
    fingerprint: Fingerprint
    result: RunResult


@dataclass(frozen=True, slots=True)
class RunSummary:
    """The listing row of a stored run, read without decoding its histograms.

    Latencies are of the whole run (all endpoints, successes only) in milliseconds;
    `thresholds_failed` counts failed thresholds; `saturated` is the generator verdict.
    """

    id: int
    name: str
    created_at: str
    git_commit: str | None
    git_dirty: bool | None
    host: str
    duration_s: float
    requests: int
    failures: int
    rps: float
    error_rate: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    mean_ms: float
    thresholds_failed: int
    saturated: bool
    aborted: bool


@dataclass(frozen=True, slots=True)
class Baseline:
    """The runs a name is compared against, in the order they were given. `replaced_at` is set
    on an earlier baseline of the name (from `Store.baseline_history`): when it stopped being
    the current one."""

    name: str
    version: str | None
    created_at: str
    runs: tuple[StoredRun, ...]
    replaced_at: str | None = None
