"""surge.metrics: the recorder, the error taxonomy and the values downstream stages read."""

from surge.metrics.aggregate import Aggregator, LiveStatus, merge_stats
from surge.metrics.errors import ErrorKind
from surge.metrics.histogram import Histogram, merge_all
from surge.metrics.recorder import EndpointRecorder, Recorder
from surge.metrics.values import (
    TOTAL_NAME,
    EndpointStats,
    RunMeta,
    RunResult,
    Snapshot,
    TimelinePoint,
)

__all__ = [
    "TOTAL_NAME",
    "Aggregator",
    "EndpointRecorder",
    "EndpointStats",
    "ErrorKind",
    "Histogram",
    "LiveStatus",
    "Recorder",
    "RunMeta",
    "RunResult",
    "Snapshot",
    "TimelinePoint",
    "merge_all",
    "merge_stats",
]
