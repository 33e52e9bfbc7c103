"""The resource samples of a run, kept as machine floats while it goes.

The sampler takes one sample a second for the whole run, and the report draws them all, so they
are kept; as objects (`ResourceSample`, its `HostSample` and `ProcessSample`, their floats and
the per-core tuple) a sample took about 900 bytes, 1.6 MB over a 30-minute soak: 2.4 % of the
generator's memory, growing with the run's length. Packed into `array('d')` rows it is
8 bytes a number (about 150 bytes a sample on two cores, 8 more a core, 64 a monitored
target), and the values are rebuilt once, when the run ends (`samples()`), exactly: every field
is a float or an integer below 2**53.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator

from surge.metrics.resources import HostSample, ProcessSample, ResourceSample

_HOST = 7  # cpu_pct, memory used, memory total, disk read, disk write, net sent, net recv
_PROCESS = 7  # cpu_pct, rss, threads, open files, connections, read, write


def _process_row(p: ProcessSample) -> tuple[float, ...]:
    return (
        p.cpu_pct,
        p.rss_bytes,
        p.threads,
        p.open_files,
        p.connections,
        p.read_bps,
        p.write_bps,
    )


def _process(row: array[float], at: int) -> ProcessSample:
    return ProcessSample(
        cpu_pct=row[at],
        rss_bytes=int(row[at + 1]),
        threads=int(row[at + 2]),
        open_files=int(row[at + 3]),
        connections=int(row[at + 4]),
        read_bps=row[at + 5],
        write_bps=row[at + 6],
    )


class PackedSamples:
    """Resource samples appended one at a time, read back as values (see the module docstring).
    Not thread-safe: the sampler appends under its lock."""

    __slots__ = ("_cores", "_rows", "_target_rows", "_targets")

    def __init__(self) -> None:
        self._rows = array("d")  # per sample: t_s, host (7), generator (7)
        self._cores = array("d")  # per sample: its core count, then each core's %
        self._targets: dict[str, array[int]] = {}  # label -> the samples it appears in
        self._target_rows: dict[str, array[float]] = {}  # label -> its rows (7 a sample)

    def __len__(self) -> int:
        return len(self._rows) // (1 + _HOST + _PROCESS)

    def append(self, sample: ResourceSample) -> None:
        index = len(self)
        host = sample.host
        self._rows.extend(
            (
                sample.t_s,
                host.cpu_pct,
                host.memory_used_bytes,
                host.memory_total_bytes,
                host.disk_read_bps,
                host.disk_write_bps,
                host.net_sent_bps,
                host.net_recv_bps,
                *_process_row(sample.generator),
            )
        )
        self._cores.append(len(host.per_core_pct))
        self._cores.extend(host.per_core_pct)
        for label, target in sample.targets.items():
            self._targets.setdefault(label, array("q")).append(index)
            self._target_rows.setdefault(label, array("d")).extend(_process_row(target))

    def samples(self) -> tuple[ResourceSample, ...]:
        """Every sample appended, as values, in order."""
        targets: list[dict[str, ProcessSample]] = [{} for _ in range(len(self))]
        for label, indices in self._targets.items():
            rows = self._target_rows[label]
            for k, index in enumerate(indices):
                targets[index][label] = _process(rows, k * _PROCESS)
        return tuple(self._sample(i, cores, targets[i]) for i, cores in self._per_core())

    def _per_core(self) -> Iterator[tuple[int, tuple[float, ...]]]:
        at = 0
        for i in range(len(self)):
            n = int(self._cores[at])
            yield i, tuple(self._cores[at + 1 : at + 1 + n])
            at += 1 + n

    def _sample(
        self, i: int, cores: tuple[float, ...], targets: dict[str, ProcessSample]
    ) -> ResourceSample:
        rows, at = self._rows, i * (1 + _HOST + _PROCESS)
        host = HostSample(
            cpu_pct=rows[at + 1],
            per_core_pct=cores,
            memory_used_bytes=int(rows[at + 2]),
            memory_total_bytes=int(rows[at + 3]),
            disk_read_bps=rows[at + 4],
            disk_write_bps=rows[at + 5],
            net_sent_bps=rows[at + 6],
            net_recv_bps=rows[at + 7],
        )
        return ResourceSample(
            t_s=rows[at], host=host, generator=_process(rows, at + 1 + _HOST), targets=targets
        )
