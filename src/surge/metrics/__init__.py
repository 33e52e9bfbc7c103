"""surge.metrics: the recorder, the error taxonomy and the values downstream stages read."""

from surge.metrics.aggregate import Aggregator, LiveStatus, merge_stats
from surge.metrics.errors import ErrorKind
from surge.metrics.histogram import Histogram, merge_all
from surge.metrics.recorder import ArrivalRecorder, EndpointRecorder, Recorder
from surge.metrics.resources import (
    HostSample,
    MonitoredProcess,
    ProcessSample,
    Resources,
    ResourceSample,
)
from surge.metrics.values import (
    TOTAL_NAME,
    Arrivals,
    CheckCount,
    DropReason,
    EndpointStats,
    GeneratorVerdict,
    HealthSample,
    Interval,
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
    "HostSample",
    "Interval",
    "LiveStatus",
    "LoadModel",
    "LoadSummary",
    "MonitoredProcess",
    "ProcessSample",
    "Recorder",
    "ResourceSample",
    "Resources",
    "RunMeta",
    "RunResult",
    "Snapshot",
    "ThresholdVerdict",
    "TimelinePoint",
    "merge_all",
    "merge_stats",
]
