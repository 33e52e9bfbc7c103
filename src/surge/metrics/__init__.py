"""surge.metrics: the recorder, the error taxonomy and the values downstream stages read."""

from surge.metrics.aggregate import Aggregator, LiveStatus, merge_stats
from surge.metrics.errors import ErrorKind
from surge.metrics.histogram import Histogram, merge_all
from surge.metrics.recorder import ArrivalRecorder, EndpointRecorder, Recorder
from surge.metrics.values import (
    TOTAL_NAME,
    Arrivals,
    CheckCount,
    DropReason,
    EndpointStats,
    GeneratorVerdict,
    HealthSample,
    LoadModel,
    LoadSummary,
    RunMeta,
    RunResult,
    Snapshot,
    ThresholdVerdict,
    TimelinePoint,
)

__all__ = [
    "TOTAL_NAME",
    "Aggregator",
    "ArrivalRecorder",
    "Arrivals",
    "CheckCount",
    "DropReason",
    "EndpointRecorder",
    "EndpointStats",
    "ErrorKind",
    "GeneratorVerdict",
    "HealthSample",
    "Histogram",
    "LiveStatus",
    "LoadModel",
    "LoadSummary",
    "Recorder",
    "RunMeta",
    "RunResult",
    "Snapshot",
    "ThresholdVerdict",
    "TimelinePoint",
    "merge_all",
    "merge_stats",
]
