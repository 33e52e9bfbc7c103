"""Peak and mean of the resource series: the one arithmetic the summary, the JSON and CSV
exports, resource thresholds and the HTML report share, so a figure reads the same everywhere.

Pure functions of `Resources` (see `surge.metrics.resources`); nothing here samples anything.
`targets` figures add all monitored target processes together at each sample (a server with a
master and workers is judged as one service); per-target figures are in `ResourceSummary.targets`.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from surge.metrics.resources import HostSample, ProcessSample, Resources

HOST_FIELDS: tuple[str, ...] = (
    "cpu_pct",
    "memory_used_bytes",
    "disk_read_bps",
    "disk_write_bps",
    "net_sent_bps",
    "net_recv_bps",
)
"""The `HostSample` fields that are summarised (in this order in every report)."""

PROCESS_FIELDS: tuple[str, ...] = (
    "cpu_pct",
    "rss_bytes",
    "threads",
    "open_files",
    "connections",
    "read_bps",
    "write_bps",
)
"""The `ProcessSample` fields that are summarised (in this order in every report)."""


class Source(enum.Enum):
    """Whose figures: the machine, surge itself (with its worker processes), or the targets."""

    HOST = "host"
    GENERATOR = "generator"
    TARGETS = "targets"  # every monitored target process, added together per sample


class Aggregate(enum.Enum):
    """Which figure of a series: its highest value or its mean over the samples."""

    PEAK = "peak"
    MEAN = "mean"


@dataclass(frozen=True, slots=True)
class Stat:
    """Peak (highest sample) and mean (over the samples) of one series."""

    peak: float
    mean: float

    def get(self, aggregate: Aggregate) -> float:
        return self.peak if aggregate is Aggregate.PEAK else self.mean


def stat_of(values: Iterable[float]) -> Stat | None:
    """Peak and mean of `values`, None when there are none."""
    items = [float(value) for value in values]
    if not items:
        return None
    return Stat(peak=max(items), mean=sum(items) / len(items))


def _field(sample: HostSample | ProcessSample, name: str) -> float:
    return float(getattr(sample, name))


def series(resources: Resources, source: Source, name: str) -> tuple[float, ...]:
    """One field over the run: `HostSample.<name>` for the host, `ProcessSample.<name>` for the
    generator and for the targets (summed over the targets alive at each sample; samples with no
    live target are left out)."""
    if source is Source.HOST:
        return tuple(_field(sample.host, name) for sample in resources.samples)
    if source is Source.GENERATOR:
        return tuple(_field(sample.generator, name) for sample in resources.samples)
    return tuple(
        sum(_field(target, name) for target in sample.targets.values())
        for sample in resources.samples
        if sample.targets
    )


def target_series(resources: Resources, label: str, name: str) -> tuple[tuple[float, float], ...]:
    """(t_s, value) of one target's field, for the samples taken while it was alive."""
    return tuple(
        (sample.t_s, _field(sample.targets[label], name))
        for sample in resources.samples
        if label in sample.targets
    )


def resource_value(
    resources: Resources | None, source: Source, name: str, aggregate: Aggregate
) -> float | None:
    """The peak or mean of one series; None when nothing was sampled (no run resources, or no
    target alive at any sample)."""
    if resources is None:
        return None
    stat = stat_of(series(resources, source, name))
    return None if stat is None else stat.get(aggregate)


@dataclass(frozen=True, slots=True)
class ProcessSummary:
    """Peak and mean of every `ProcessSample` field of one process (or group), by field name."""

    samples: int
    stats: Mapping[str, Stat]


@dataclass(frozen=True, slots=True)
class HostSummary:
    """Peak and mean of every summarised `HostSample` field, the memory size and core count."""

    samples: int
    stats: Mapping[str, Stat]
    memory_total_bytes: int
    cores: int


@dataclass(frozen=True, slots=True)
class ResourceSummary:
    """The summary section of a run's resources: host, generator and each target by label."""

    samples: int
    interval_s: float
    host: HostSummary | None
    generator: ProcessSummary | None
    targets: Mapping[str, ProcessSummary] = field(default_factory=dict)


def _process_summary(samples: Sequence[ProcessSample]) -> ProcessSummary | None:
    if not samples:
        return None
    stats: dict[str, Stat] = {}
    for name in PROCESS_FIELDS:
        stat = stat_of(_field(sample, name) for sample in samples)
        if stat is not None:
            stats[name] = stat
    return ProcessSummary(samples=len(samples), stats=stats)


def _host_summary(samples: Sequence[HostSample]) -> HostSummary | None:
    if not samples:
        return None
    stats: dict[str, Stat] = {}
    for name in HOST_FIELDS:
        stat = stat_of(_field(sample, name) for sample in samples)
        if stat is not None:
            stats[name] = stat
    last = samples[-1]
    return HostSummary(
        samples=len(samples),
        stats=stats,
        memory_total_bytes=last.memory_total_bytes,
        cores=len(last.per_core_pct),
    )


def summarize_resources(resources: Resources) -> ResourceSummary:
    """Peak and mean of every series of `resources`; targets in the order they were named."""
    samples = resources.samples
    targets: dict[str, ProcessSummary] = {}
    for target in resources.targets:
        alive = [s.targets[target.label] for s in samples if target.label in s.targets]
        summary = _process_summary(alive)
        if summary is not None:
            targets[target.label] = summary
    return ResourceSummary(
        samples=len(samples),
        interval_s=resources.interval_s,
        host=_host_summary([s.host for s in samples]),
        generator=_process_summary([s.generator for s in samples]),
        targets=targets,
    )
