"""surge.metrics: the recorder, the error taxonomy and the values downstream stages read."""

from surge.metrics.aggregate import Aggregator, LiveStatus, merge_stats
from surge.metrics.errors import ErrorKind
from surge.metrics.figures import Figures, figures_of
from surge.metrics.histogram import Histogram, merge_all
from surge.metrics.recorder import ArrivalRecorder, EndpointRecorder, Recorder
from surge.metrics.resource_stats import (
    Aggregate,
    HostSummary,
    ProcessSummary,
    ResourceSummary,
    Source,
    Stat,
    resource_value,
    summarize_resources,
)
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
from surge.metrics.verdict import SIGNALS, ExitCode, exit_code_of, for_signal, signal_of
from surge.metrics.workers import WorkerReport, WorkerState

__all__ = [
    "SIGNALS",
    "TOTAL_NAME",
    "Aggregate",
    "Aggregator",
    "ArrivalRecorder",
    "Arrivals",
    "CheckCount",
    "DropReason",
    "EndpointRecorder",
    "EndpointStats",
    "ErrorKind",
    "ExitCode",
    "Figures",
    "GeneratorVerdict",
    "HealthSample",
    "Histogram",
    "HostSample",
    "HostSummary",
    "Interval",
    "LiveStatus",
    "LoadModel",
    "LoadSummary",
    "MonitoredProcess",
    "ProcessSample",
    "ProcessSummary",
    "Recorder",
    "ResourceSample",
    "ResourceSummary",
    "Resources",
    "RunMeta",
    "RunResult",
    "Snapshot",
    "Source",
    "Stat",
    "ThresholdVerdict",
    "TimelinePoint",
    "WorkerReport",
    "WorkerState",
    "exit_code_of",
    "figures_of",
    "for_signal",
    "merge_all",
    "merge_stats",
    "resource_value",
    "signal_of",
    "summarize_resources",
]
