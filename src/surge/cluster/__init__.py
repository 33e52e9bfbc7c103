"""surge.cluster: a coordinator that hands plan slices to workers and merges their Snapshots.

Workers are local processes (`LocalBackend`, one per core) or Ray actors on many machines
(`RayBackend`, the `surge[ray]` extra); the `Coordinator` is the same for both. A worker builds
its own load from plain data through a `PrepareWorker` callable (the CLI's), so the cluster
stage never imports the CLI, reports or thresholds.
"""

from surge.cluster.backend import Backend, PrepareWorker, WorkerLoad
from surge.cluster.coordinator import (
    SILENT_LIMIT_S,
    ClusterError,
    ClusterOutcome,
    ClusterSettings,
    Coordinator,
)
from surge.cluster.local import LocalBackend
from surge.cluster.messages import Command, MessageKind, WorkerMessage

__all__ = [
    "SILENT_LIMIT_S",
    "Backend",
    "ClusterError",
    "ClusterOutcome",
    "ClusterSettings",
    "Command",
    "Coordinator",
    "LocalBackend",
    "MessageKind",
    "PrepareWorker",
    "WorkerLoad",
    "WorkerMessage",
]
