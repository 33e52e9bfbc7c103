"""Resource monitoring: the host, the generator and named target processes, sampled with psutil
about once a second on a thread of its own beside the engine (never on its event loop).

    targets = find_targets(pids=[1234], names=["uvicorn"])   # before any traffic
    with ResourceSampler(targets) as sampler:
        run_the_load()
    resources = sampler.resources                            # -> RunResult.resources

Rates (CPU%, bytes/s) are over the interval since the previous sample, from the counters psutil
reads (`cpu_times`, `io_counters`, `disk_io_counters`, `net_io_counters`), so no sample depends on
psutil's module-wide `cpu_percent` state. A counter the platform or a permission does not give
reads 0; a target that exits is reported (`MonitoredProcess.exited_at_s`) and left out of later
samples. `ResourceSampler.sample()` also works without the thread, so a benchmark runner can
sample around a callable without the HTTP engine.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import Any

import psutil  # type: ignore[import-untyped]

from surge.metrics.resources import (
    HostSample,
    MonitoredProcess,
    ProcessSample,
    Resources,
    ResourceSample,
)
from surge.monitor.descendants import descendant_pids
from surge.monitor.packed import PackedSamples

DEFAULT_INTERVAL_S = 1.0
MIN_FINAL_INTERVAL_S = 0.5
"""At stop, a last sample is taken when at least this long passed since the previous one (a
shorter sliver of a second gives mostly the OS's accounting granularity as CPU%)."""

_CMDLINE_CHARS = 300
_GONE = (psutil.NoSuchProcess, psutil.ZombieProcess)


class TargetError(ValueError):
    """A `--monitor-pid` or `--monitor-process` that names no running process (exit code 2)."""


def _quiet(read: Callable[[], Any], default: Any) -> Any:
    """`read()`, or `default` when the process exists but a permission or the platform does not
    give the figure. A process that is gone still raises (NoSuchProcess)."""
    try:
        return read()
    except psutil.AccessDenied:
        return default
    except (NotImplementedError, AttributeError, OSError) as exc:
        if isinstance(exc, _GONE):
            raise
        return default


def _describe(process: psutil.Process) -> tuple[str, str]:
    name = _quiet(process.name, "") or f"pid{process.pid}"
    cmdline = " ".join(_quiet(process.cmdline, []) or [])
    return str(name), cmdline[:_CMDLINE_CHARS]


def _family_of_self() -> set[int]:
    """This process, its ancestors and its descendants: never targets (our own command line
    holds the name given to --monitor-process)."""
    me = psutil.Process()
    family = {me.pid}
    family.update(p.pid for p in _quiet(me.parents, []))
    family.update(p.pid for p in _quiet(lambda: me.children(recursive=True), []))
    return family


def _by_pid(pid: int) -> MonitoredProcess:
    try:
        process = psutil.Process(pid)
        name, cmdline = _describe(process)
    except _GONE:
        raise TargetError(
            f"--monitor-pid {pid}: no process with that pid is running "
            "(check it with `ps -p PID`, or name it with --monitor-process)"
        ) from None
    return MonitoredProcess(label=f"{name}[{pid}]", pid=pid, name=name, cmdline=cmdline)


def _by_name(pattern: str, family: set[int]) -> list[MonitoredProcess]:
    found: list[MonitoredProcess] = []
    for process in psutil.process_iter(["pid", "name", "cmdline"]):
        if process.pid in family:
            continue
        info = process.info
        name = str(info.get("name") or "")
        cmdline = " ".join(info.get("cmdline") or [])
        if pattern == name or pattern in cmdline:
            label = f"{name or 'pid'}[{process.pid}]"
            found.append(MonitoredProcess(label, process.pid, name, cmdline[:_CMDLINE_CHARS]))
    if not found:
        raise TargetError(
            f"--monitor-process {pattern!r}: no running process has {pattern!r} in its name or "
            "command line (surge itself is never matched)"
        )
    return found


def find_targets(
    pids: Iterable[int] = (), names: Iterable[str] = ()
) -> tuple[MonitoredProcess, ...]:
    """The processes `--monitor-pid` and `--monitor-process` name, each once, in the order given.

    A name matches a process whose name equals it or whose command line contains it; several
    matches are several targets. Raises TargetError for a pid that is not running or a name that
    matches nothing, so the run stops before any traffic.
    """
    targets: dict[int, MonitoredProcess] = {}
    for pid in pids:
        targets.setdefault(pid, _by_pid(int(pid)))
    names = list(names)
    if names:
        family = _family_of_self()
        for pattern in names:
            if not pattern.strip():
                raise TargetError("--monitor-process needs a non-empty name")
            for target in _by_name(pattern, family):
                targets.setdefault(target.pid, target)
    return tuple(targets.values())


class _ProcessProbe:
    """Counters of one process between consecutive reads; `read` raises NoSuchProcess once the
    process is gone (or its pid reused). `with_connections` lists its inet sockets (costly on a
    busy machine: only for targets)."""

    def __init__(self, process: psutil.Process, *, fresh: bool, with_connections: bool) -> None:
        self.process = process
        self.with_connections = with_connections
        if fresh:  # started after the previous sample: everything it did is in this interval
            self._cpu_s, self._read, self._write = 0.0, 0, 0
        else:
            self._cpu_s = self._cpu_now()
            self._read, self._write = self._io_now()

    def _cpu_now(self) -> float:
        times = _quiet(self.process.cpu_times, None)
        return 0.0 if times is None else float(times.user) + float(times.system)

    def _io_now(self) -> tuple[int, int]:
        io = _quiet(self.process.io_counters, None)
        return (0, 0) if io is None else (int(io.read_bytes), int(io.write_bytes))

    def _fds(self) -> int:
        if hasattr(self.process, "num_fds"):
            return int(_quiet(self.process.num_fds, 0))
        return int(_quiet(self.process.num_handles, 0))

    def _connections(self) -> int:
        if not self.with_connections:
            return 0
        listing = getattr(self.process, "net_connections", None) or self.process.connections
        return len(_quiet(lambda: listing(kind="inet"), []))

    def read(self, elapsed_s: float) -> ProcessSample:
        if not self.process.is_running() or _quiet(self.process.status, "") == psutil.STATUS_ZOMBIE:
            raise psutil.NoSuchProcess(self.process.pid)
        with self.process.oneshot():
            cpu_s, (read, write) = self._cpu_now(), self._io_now()
            memory = _quiet(self.process.memory_info, None)
            sample = ProcessSample(
                cpu_pct=max(0.0, (cpu_s - self._cpu_s) / elapsed_s * 100.0),
                rss_bytes=0 if memory is None else int(memory.rss),
                threads=int(_quiet(self.process.num_threads, 0)),
                open_files=self._fds(),
                connections=self._connections(),
                read_bps=max(0, read - self._read) / elapsed_s,
                write_bps=max(0, write - self._write) / elapsed_s,
            )
        self._cpu_s, self._read, self._write = cpu_s, read, write
        return sample


def add_samples(samples: Sequence[ProcessSample]) -> ProcessSample:
    """Several processes as one: every figure added up."""
    return ProcessSample(
        cpu_pct=sum(s.cpu_pct for s in samples),
        rss_bytes=sum(s.rss_bytes for s in samples),
        threads=sum(s.threads for s in samples),
        open_files=sum(s.open_files for s in samples),
        connections=sum(s.connections for s in samples),
        read_bps=sum(s.read_bps for s in samples),
        write_bps=sum(s.write_bps for s in samples),
    )


class _GeneratorProbe:
    """surge itself: this process and its descendants (worker processes), added together.
    Connections are not listed for the generator (costly, and its own load settings say it)."""

    def __init__(self, pid: int | None = None) -> None:
        self.root = psutil.Process(pid)
        self._probes = {
            self.root.pid: _ProcessProbe(self.root, fresh=False, with_connections=False)
        }
        self._last_wall_s = time.time()
        self._refresh(fresh_after_s=float("inf"))

    def _refresh(self, fresh_after_s: float) -> None:
        alive = {self.root.pid}
        for pid in _quiet(lambda: descendant_pids(self.root), []):
            alive.add(pid)
            if pid in self._probes:
                continue
            try:
                child = psutil.Process(pid)
                fresh = _quiet(child.create_time, 0.0) >= fresh_after_s
                self._probes[pid] = _ProcessProbe(child, fresh=fresh, with_connections=False)
            except _GONE:
                continue
        for pid in set(self._probes) - alive:
            del self._probes[pid]

    def read(self, elapsed_s: float) -> ProcessSample:
        self._refresh(fresh_after_s=self._last_wall_s)
        self._last_wall_s = time.time()
        samples: list[ProcessSample] = []
        for pid, probe in list(self._probes.items()):
            try:
                samples.append(probe.read(elapsed_s))
            except _GONE:
                del self._probes[pid]
        return add_samples(samples)


def _busy_total(times: Any) -> tuple[float, float]:
    """(busy, total) CPU seconds of one `cpu_times` tuple; guest time is already in user/nice on
    Linux, iowait is idle."""
    total = (
        sum(float(v) for v in times)
        - float(getattr(times, "guest", 0.0))
        - float(getattr(times, "guest_nice", 0.0))
    )
    idle = float(times.idle) + float(getattr(times, "iowait", 0.0))
    return total - idle, total


def _busy_pct(before: Any, after: Any) -> float:
    busy_0, total_0 = _busy_total(before)
    busy_1, total_1 = _busy_total(after)
    if total_1 <= total_0:
        return 0.0
    return min(100.0, max(0.0, (busy_1 - busy_0) / (total_1 - total_0) * 100.0))


def _disk() -> tuple[int, int]:
    counters = _quiet(psutil.disk_io_counters, None)  # None in many containers
    return (0, 0) if counters is None else (int(counters.read_bytes), int(counters.write_bytes))


def _net() -> tuple[int, int]:
    counters = _quiet(psutil.net_io_counters, None)
    return (0, 0) if counters is None else (int(counters.bytes_sent), int(counters.bytes_recv))


class _HostProbe:
    """The machine: CPU busy % (total and per core), memory in use, disk and network rates."""

    def __init__(self) -> None:
        self._cores = psutil.cpu_times(percpu=True)
        self._disk = _disk()
        self._net = _net()

    def read(self, elapsed_s: float) -> HostSample:
        cores = psutil.cpu_times(percpu=True)
        per_core = tuple(_busy_pct(b, a) for b, a in zip(self._cores, cores, strict=False))
        memory = psutil.virtual_memory()
        disk, net = _disk(), _net()
        sample = HostSample(
            cpu_pct=sum(per_core) / len(per_core) if per_core else 0.0,
            per_core_pct=per_core,
            memory_used_bytes=int(memory.total - memory.available),
            memory_total_bytes=int(memory.total),
            disk_read_bps=max(0, disk[0] - self._disk[0]) / elapsed_s,
            disk_write_bps=max(0, disk[1] - self._disk[1]) / elapsed_s,
            net_sent_bps=max(0, net[0] - self._net[0]) / elapsed_s,
            net_recv_bps=max(0, net[1] - self._net[1]) / elapsed_s,
        )
        self._cores, self._disk, self._net = cores, disk, net
        return sample


class ResourceSampler:
    """Samples the host, the generator and the targets every `interval_s` on its own thread.

    `start()` sets time zero (`ResourceSample.t_s` counts from it) and the counters' baseline;
    `stop()` ends the thread, takes a last sample when at least `MIN_FINAL_INTERVAL_S` passed,
    and returns the `Resources`. Used as a context manager it starts and stops around the block.
    `sample()` takes one sample now, from the calling thread (for a runner without a thread).
    """

    def __init__(
        self,
        targets: Sequence[MonitoredProcess] = (),
        *,
        interval_s: float = DEFAULT_INTERVAL_S,
        clock: Callable[[], float] = time.monotonic,
        generator_pid: int | None = None,
    ) -> None:
        if not interval_s > 0:
            raise ValueError(f"the sampling interval must be positive, got {interval_s!r}")
        self.interval_s = interval_s
        self._clock = clock
        self._targets = {t.label: t for t in targets}
        self._generator_pid = generator_pid
        self._samples = PackedSamples()  # one a second for the whole run: packed
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._t0 = self._last = 0.0
        self._started = False
        self._resources: Resources | None = None

    def start(self) -> None:
        """Take the baseline and start sampling."""
        if self._started:
            raise RuntimeError("this ResourceSampler was already started")
        self._started = True
        self._host = _HostProbe()
        self._generator = _GeneratorProbe(self._generator_pid)
        self._probes: dict[str, _ProcessProbe] = {}
        for label, target in self._targets.items():
            try:
                process = psutil.Process(target.pid)
                self._probes[label] = _ProcessProbe(process, fresh=False, with_connections=True)
            except _GONE:
                self._targets[label] = replace(target, exited_at_s=0.0)
        self._t0 = self._last = self._clock()
        self._thread = threading.Thread(target=self._loop, name="surge-resources", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        due = self._t0 + self.interval_s
        while not self._stopping.wait(max(0.0, due - self._clock())):
            with contextlib.suppress(OSError):  # no descriptor left (EMFILE): the next sample
                self.sample()  # covers this one's time
            due = max(due + self.interval_s, self._clock() + self.interval_s / 2)

    def sample(self) -> ResourceSample:
        """One sample of everything since the previous one (thread-safe)."""
        with self._lock:
            now = self._clock()
            elapsed_s = max(now - self._last, 1e-6)
            self._last = now
            t_s = now - self._t0
            targets: dict[str, ProcessSample] = {}
            for label, probe in list(self._probes.items()):
                try:
                    targets[label] = probe.read(elapsed_s)
                except _GONE:
                    del self._probes[label]
                    self._targets[label] = replace(self._targets[label], exited_at_s=round(t_s, 3))
            sample = ResourceSample(
                t_s=t_s,
                host=self._host.read(elapsed_s),
                generator=self._generator.read(elapsed_s),
                targets=targets,
            )
            self._samples.append(sample)
            return sample

    def stop(self) -> Resources:
        """Stop sampling (a last sample when enough time passed) and return the series."""
        if self._resources is not None:
            return self._resources
        if not self._started:
            raise RuntimeError("this ResourceSampler was never started")
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()
        if self._clock() - self._last >= MIN_FINAL_INTERVAL_S or not self._samples:
            with contextlib.suppress(OSError):
                self.sample()
        self._resources = Resources(
            interval_s=self.interval_s,
            samples=self._samples.samples(),
            targets=tuple(self._targets.values()),
        )
        return self._resources

    @property
    def resources(self) -> Resources:
        """The series, once stopped."""
        if self._resources is None:
            raise RuntimeError("the ResourceSampler is still running; call stop() first")
        return self._resources

    def __enter__(self) -> ResourceSampler:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
