"""Resource values: what the host, the generator and the monitored target processes used.

Plain data sampled about once a second beside the engine (by `surge.monitor`), kept whole in the
RunResult so that the summary (peak, mean), the JSON `resources` series, the store, thresholds
and the HTML report all read the same numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class HostSample:
    """The whole machine over one sampling interval. Rates are per second over the interval."""

    cpu_pct: float
    per_core_pct: tuple[float, ...]
    memory_used_bytes: int
    memory_total_bytes: int
    disk_read_bps: float
    disk_write_bps: float
    net_sent_bps: float
    net_recv_bps: float


@dataclass(frozen=True, slots=True)
class ProcessSample:
    """One process (or a group of processes added together) over one sampling interval.

    `cpu_pct` is of one core (a process using two cores fully reads 200). Counters a platform or
    a permission does not give read 0.
    """

    cpu_pct: float
    rss_bytes: int
    threads: int = 0
    open_files: int = 0
    connections: int = 0
    read_bps: float = 0.0
    write_bps: float = 0.0


@dataclass(frozen=True, slots=True)
class ResourceSample:
    """Everything sampled at one moment: `t_s` is seconds since the run started.

    `targets` maps each monitored target's label (see `MonitoredProcess.label`) to its sample;
    a target that has exited is absent from later samples.
    """

    t_s: float
    host: HostSample
    generator: ProcessSample
    targets: Mapping[str, ProcessSample] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class MonitoredProcess:
    """A target process named by `--monitor-pid` or `--monitor-process`.

    `exited_at_s` (seconds since the run started) is set when the process ended during the run:
    it is then absent from the samples after that moment.
    """

    label: str
    pid: int
    name: str
    cmdline: str
    exited_at_s: float | None = None


@dataclass(frozen=True, slots=True)
class Resources:
    """The resource time series of a run, in sampling order."""

    interval_s: float
    samples: tuple[ResourceSample, ...]
    targets: tuple[MonitoredProcess, ...] = ()
