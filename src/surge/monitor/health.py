"""Generator health: was the load generator itself the bottleneck?

A load generator that runs out of CPU, or whose event loop runs callbacks late, measures its own
queueing instead of the target's latency, and one whose scheduler starts arrivals late (open
model) did not offer the load it claims. Each second every worker reports a `HealthSample` (its
process CPU and the loop-lag probe's histogram) beside the open-model `Arrivals`;
`judge_generator` turns these into a `GeneratorVerdict` with human reasons, which the CLI shows
prominently and turns into an exit code (design contract 4: a saturated generator is a verdict,
not a footnote).

`ProcessCpuSampler` is the CPU half of the sample; it takes any pid, so resource monitoring of
target processes can reuse it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import psutil  # type: ignore[import-untyped]

from surge.metrics.histogram import Histogram
from surge.metrics.merge import HealthTally
from surge.metrics.resources import Resources
from surge.metrics.values import (
    Arrivals,
    DropReason,
    GeneratorVerdict,
    HealthSample,
    LoopStall,
    SaturationCause,
    WorkerHealth,
)

HealthPoint = tuple[int, float, HealthSample]
"""(worker, interval end in seconds since the run started, sample): one worker's one second."""

# Snapshot ticks land within a few ms of each whole second, so three "one-second" intervals can
# add up to 2.99 s; this much slack keeps a 3 s rule from missing a 3-sample run.
_TICK_SLACK_S = 0.05

# Drops that say nothing about the generator: arrivals that fell due after the run was stopped
# (duration over, signal, abort) were never meant to be sent.
_NOT_SATURATION = frozenset({DropReason.STOPPED.value})


class ProcessCpuSampler:
    """CPU% of one process (user + system) between consecutive `sample()` calls.

    100% is one core fully busy; a multi-threaded process can exceed it. The first `sample()`
    covers the time since construction.
    """

    __slots__ = ("_clock", "_last_cpu_s", "_last_wall_s", "_process")

    def __init__(self, pid: int | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        target = os.getpid() if pid is None else pid
        try:
            self._process = psutil.Process(target)
        except psutil.NoSuchProcess as exc:
            raise ProcessLookupError(f"no process with pid {target} to sample") from exc
        self._clock = clock
        self._last_cpu_s = self._cpu_s()
        self._last_wall_s = clock()

    def _cpu_s(self) -> float:
        times = self._process.cpu_times()
        return float(times.user) + float(times.system)

    def sample(self) -> float:
        """CPU% since the previous call (0.0 when no wall time passed, or when the process's
        times cannot be read: e.g. no descriptor left to open /proc with)."""
        try:
            cpu_s = self._cpu_s()
        except (OSError, psutil.Error):
            return 0.0  # the next sample covers this one's time
        wall_s = self._clock()
        elapsed_s = wall_s - self._last_wall_s
        used_s = cpu_s - self._last_cpu_s
        self._last_cpu_s, self._last_wall_s = cpu_s, wall_s
        if elapsed_s <= 0:
            return 0.0
        return max(0.0, used_s / elapsed_s * 100.0)


DEFAULT_SCHEDULE_LAG_P99_MS = 10.0
"""The schedule-lag rule's default limit (`--max-schedule-lag`)."""


@dataclass(frozen=True, slots=True)
class HealthRules:
    """When the generator counts as saturated. Any one rule that fires saturates the run.

    - `cpu_pct`, `cpu_sustained_s`: one worker's process CPU at or above `cpu_pct` for at least
      `cpu_sustained_s` consecutive seconds. A single busy second (start-up: connections, TLS
      handshakes, `on_start`) is normal; a generator pinned for seconds queues its own work. The
      first sample is judged like any other: start-up spikes are what the sustained window
      absorbs, and a generator pinned from the very start is saturated from the very start.
    - `loop_lag_p99_ms`: one worker's event-loop lag p99 above this. 50 ms because an idle loop
      lags about 1 ms (timer resolution) and a healthy busy one a few ms (batches of callbacks,
      GC pauses), while 50 ms of timestamp error is the size of a typical API latency objective
      (p95 < 100-200 ms): past it the latency figures measure the generator, not the target.
    - `loop_lag_min_samples`: the loop-lag rule judges a worker only once its probe has this many
      samples (100: two seconds at 50 Hz), so that a p99 means "late more than 1% of the time"
      and one scheduling hiccup of a short run on a busy CI machine does not saturate it.
    - `schedule_lag_p99_ms`: one worker's schedule lag p99 (open model: how late its requests
      were sent after their intended time, the lag every open-model latency includes) above
      this saturates the run; None turns the rule off. 10 ms by default: a generator that keeps
      up sends within a millisecond or two, and 10 ms late at p99 already moves a p99 of tens
      of ms. Judged per worker, so that one lagging worker cannot hide among punctual ones,
      once it sent `schedule_lag_min_samples` requests (1,000: a p99 of at least ten late
      ones, so that a short run on a busy machine, descheduled now and then, is reported but
      not judged).
    - `host_busy_pct`, `starved_cpu_pct`: a lagging loop (the loop-lag rule fired, the CPU rule
      did not, no user code named) is blamed on the host when the generator's CPUs were at
      least `host_busy_pct` % busy over the run (every process, a VM's steal time included)
      while the generator's own CPU averaged under `starved_cpu_pct` % of a core: other
      processes had the CPU it waited for (cause `host_busy`), not code on its loop.
    - `max_drops`: when set, more arrivals than this dropped while the run was live saturate
      it. None (the default): drops never do, since a generator that is otherwise healthy and
      drops at the in-flight cap did its job (the target was slower than the rate allows under
      the cap); they are reported in `notes` and judged by the `dropped_rate` threshold. Drops
      with reason `stopped` (due after the run stopped) are never judged.
    """

    cpu_pct: float = 90.0
    cpu_sustained_s: float = 3.0
    loop_lag_p99_ms: float = 50.0
    loop_lag_min_samples: int = 100
    max_drops: int | None = None
    schedule_lag_p99_ms: float | None = DEFAULT_SCHEDULE_LAG_P99_MS
    schedule_lag_min_samples: int = 1000
    host_busy_pct: float = 85.0
    starved_cpu_pct: float = 50.0

    def __post_init__(self) -> None:
        positive = {
            "cpu_pct": self.cpu_pct,
            "cpu_sustained_s": self.cpu_sustained_s,
            "loop_lag_p99_ms": self.loop_lag_p99_ms,
        }
        if self.schedule_lag_p99_ms is not None:
            positive["schedule_lag_p99_ms"] = self.schedule_lag_p99_ms
        for name, value in positive.items():
            if not value > 0:
                raise ValueError(f"generator health rule {name} must be positive, got {value!r}")
        if self.max_drops is not None and self.max_drops < 0:
            raise ValueError(f"generator health rule max_drops must be >= 0, got {self.max_drops}")


@dataclass(frozen=True, slots=True)
class _HotRun:
    """The longest stretch of consecutive samples of one worker at or above the CPU threshold."""

    duration_s: float
    peak_pct: float


def _longest_hot_run(points: Sequence[tuple[float, float]], threshold: float) -> _HotRun | None:
    """`points` are (interval end s, cpu %) in time order; an interval starts where the previous
    one ended (the first at 0, the run's start)."""
    best: _HotRun | None = None
    run_start_s: float | None = None
    peak = 0.0
    prev_end_s = 0.0
    for end_s, cpu in points:
        if cpu >= threshold:
            if run_start_s is None:
                run_start_s, peak = prev_end_s, cpu
            peak = max(peak, cpu)
            duration_s = end_s - run_start_s
            if best is None or duration_s > best.duration_s:
                best = _HotRun(duration_s, peak)
        else:
            run_start_s = None
        prev_end_s = end_s
    return best


def _ms(value_ms: float) -> str:
    return f"{value_ms:,.0f}" if value_ms >= 100 else f"{value_ms:.1f}".removesuffix(".0")


def _by_worker(samples: Iterable[HealthPoint | WorkerHealth]) -> dict[int, WorkerHealth]:
    """Per-second points grouped by worker (or workers' tallies as they are), CPU in time order."""
    tallies: dict[int, HealthTally] = {}
    out: dict[int, WorkerHealth] = {}
    for item in samples:
        if isinstance(item, WorkerHealth):
            out[item.worker] = item
        else:
            worker, end_s, sample = item
            tallies.setdefault(worker, HealthTally(worker)).add(end_s, sample)
    out.update({worker: tally.value() for worker, tally in tallies.items()})
    return dict(sorted(out.items()))


def _cpu_reasons(workers: dict[int, WorkerHealth], rules: HealthRules) -> list[str]:
    reasons = []
    for worker, health in workers.items():
        run = _longest_hot_run(health.cpu, rules.cpu_pct)
        if run is None or run.duration_s + _TICK_SLACK_S < rules.cpu_sustained_s:
            continue
        prefix = f"worker {worker}: " if len(workers) > 1 else ""
        reasons.append(
            f"{prefix}generator CPU ≥ {rules.cpu_pct:g}% for {run.duration_s:.0f} s "
            f"(peak {run.peak_pct:.0f}%)"
        )
    return reasons


def _loop_lag(
    workers: dict[int, WorkerHealth], rules: HealthRules
) -> tuple[list[str], float, float]:
    """Reasons, the worst worker's p99 and the overall max, all in ms."""
    reasons = []
    worst_p99_ms = max_ms = 0.0
    for worker, health in workers.items():
        lag = health.loop_lag
        p99_ms = lag.value_at_percentile_us(99.0) / 1000.0
        worst_p99_ms = max(worst_p99_ms, p99_ms)
        max_ms = max(max_ms, lag.max_us / 1000.0)
        if p99_ms > rules.loop_lag_p99_ms and lag.total >= rules.loop_lag_min_samples:
            prefix = f"worker {worker}: " if len(workers) > 1 else ""
            reasons.append(
                f"{prefix}event-loop lag p99 {_ms(p99_ms)} ms > {rules.loop_lag_p99_ms:g} ms"
            )
    return reasons, worst_p99_ms, max_ms


def _live_drops(arrivals: Arrivals) -> dict[str, int]:
    """Drops by reason while the run was live (every reason but `stopped`)."""
    return {r: n for r, n in arrivals.dropped.items() if r not in _NOT_SATURATION and n}


def _drop_text(live: dict[str, int]) -> str:
    judged = sum(live.values())
    parts = "; ".join(f"{reason}: {n:,}" for reason, n in sorted(live.items()))
    noun = "arrival" if judged == 1 else "arrivals"
    return f"{judged:,} {noun} dropped ({parts})"


def _schedule_lag(
    workers: dict[int, WorkerHealth], merged: Histogram, rules: HealthRules
) -> list[str]:
    """Reasons of the schedule-lag rule, per worker (the merged histogram when no worker's own
    schedule lag is known)."""
    limit = rules.schedule_lag_p99_ms
    if limit is None:
        return []
    own = {w: h.schedule_lag for w, h in workers.items() if h.schedule_lag.total}
    lags = own or {0: merged}
    reasons = []
    for worker, lag in lags.items():
        p99_ms = lag.value_at_percentile_us(99.0) / 1000.0
        if p99_ms > limit and lag.total >= rules.schedule_lag_min_samples:
            prefix = f"worker {worker}: " if len(workers) > 1 else ""
            reasons.append(f"{prefix}schedule lag p99 {_ms(p99_ms)} ms > {limit:g} ms")
    return reasons


def _stall_text(stalls: Sequence[LoopStall]) -> str:
    worst = stalls[0]
    times = "once" if worst.count == 1 else f"{worst.count:,} times"
    text = (
        f"user code blocked the event loop: {worst.where} held it {times}, "
        f"up to {_ms(worst.max_ms)} ms ({_ms(worst.total_ms)} ms in all)"
    )
    if len(stalls) > 1:
        text += f"; {len(stalls) - 1} more place(s) blocked it too"
    return text


def generator_cpus_busy_pct(
    resources: Resources | None, cpus: frozenset[int] | None = None
) -> float | None:
    """How busy the CPUs the generator may run on were, every process counted (a VM's steal
    time included), over the run: the mean of the resource sampler's per-core busy % over its
    samples, of the cores in `cpus` (all when None, e.g. `os.sched_getaffinity(0)` unknown);
    None when nothing was sampled."""
    if resources is None:
        return None
    shares = [
        pct
        for sample in resources.samples
        for core, pct in enumerate(sample.host.per_core_pct)
        if cpus is None or core in cpus
    ]
    return sum(shares) / len(shares) if shares else None


def host_starved(host_cpu_pct: float | None, cpu_pct_mean: float, rules: HealthRules) -> bool:
    """Did other processes have the generator's CPUs? Its CPUs were busy (`host_cpu_pct`, every
    process) while its own CPU (`cpu_pct_mean`, % of a core) stayed low; see `HealthRules`."""
    if host_cpu_pct is None:
        return False
    return host_cpu_pct >= rules.host_busy_pct and cpu_pct_mean < rules.starved_cpu_pct


def _host_text(host_cpu_pct: float, cpu_pct_mean: float) -> str:
    return (
        f"the host was busy: the generator's CPUs were {host_cpu_pct:.0f}% busy while it used "
        f"{cpu_pct_mean:.1f}% of a core (other processes took the CPU it waited for)"
    )


def _what_held_the_loop(
    stalls: Sequence[LoopStall],
    cpu_pinned: bool,
    host_cpu_pct: float | None,
    cpu_pct_mean: float,
    rules: HealthRules,
) -> tuple[SaturationCause, str] | None:
    """The loop lagged: user code named by the watchdog, or a busy host (the generator's CPU
    not pinned and low, its CPUs busy); None when neither is known."""
    if stalls:
        return SaturationCause.USER_CODE, _stall_text(stalls)
    if not cpu_pinned and host_starved(host_cpu_pct, cpu_pct_mean, rules):
        assert host_cpu_pct is not None
        return SaturationCause.HOST_BUSY, _host_text(host_cpu_pct, cpu_pct_mean)
    return None


def judge_generator(
    samples: Iterable[HealthPoint | WorkerHealth],
    arrivals: Arrivals,
    schedule_lag: Histogram,
    rules: HealthRules | None = None,
    stalls: Sequence[LoopStall] = (),
    *,
    host_cpu_pct: float | None = None,
    user_code: bool = True,
) -> GeneratorVerdict:
    """Judge the whole run's generator health.

    `samples`: `Aggregator.health()` (one `WorkerHealth` per worker) or per-second
    `HealthPoint`s, from any number of workers; CPU, loop lag and schedule lag are judged per
    worker (merging would hide one pinned worker among idle ones) and a reason names its worker
    when there is more than one. `arrivals`: the run's merged open-model accounting.
    `schedule_lag`: the merged schedule-lag histogram of all endpoints (empty in the closed
    model), the figure reported, and the one judged when no worker's own is known. `stalls`:
    the user code that blocked the loop (engine/guard.py), longest first. `host_cpu_pct`: how
    busy the generator's CPUs were over the run (`HostCpuSampler`), `user_code`: whether user
    code ran on the loop (False in URL mode).

    Four verdicts stay apart: the generator saturated (CPU, loop lag, schedule lag: exit 4);
    user code blocked the loop (named by `stalls`: the `user_code` cause beside `loop_lag`, or a
    note when the lag stayed under the rule); the host was busy (the `host_busy` cause beside
    `loop_lag`: no user code named, the generator's CPUs busy while its own CPU was low, see
    `host_starved`); arrivals dropped at the in-flight cap by a
    generator that kept up (a note, judged by the `dropped_rate` threshold, unless a
    `max_drops` rule is set).

    The verdict's figures: CPU max and mean over every sample of every worker; the worst worker's
    loop-lag p99 (the figure the rule judged) and the overall max; `dropped` counts the drops of
    every reason but `stopped`.
    """
    rules = rules or HealthRules()
    workers = _by_worker(samples)
    stalls = sorted(stalls, key=lambda s: (-s.max_ms, s.where))
    cpus = [cpu for health in workers.values() for _, cpu in health.cpu]
    cpu_mean = sum(cpus) / len(cpus) if cpus else 0.0
    reasons = _cpu_reasons(workers, rules)
    causes = [SaturationCause.CPU] if reasons else []
    notes: list[str] = []
    lag_reasons, loop_p99_ms, loop_max_ms = _loop_lag(workers, rules)
    if lag_reasons:
        reasons += lag_reasons
        held_by = _what_held_the_loop(stalls, bool(causes), host_cpu_pct, cpu_mean, rules)
        causes.append(SaturationCause.LOOP_LAG)
        if held_by is not None:
            reasons.append(held_by[1])
            causes.append(held_by[0])
    elif stalls:
        notes.append(_stall_text(stalls))
    live = _live_drops(arrivals)
    dropped = sum(live.values())
    if rules.max_drops is not None and dropped > rules.max_drops:
        limit = f" > {rules.max_drops:,} allowed" if rules.max_drops else ""
        reasons.append(_drop_text(live) + limit)
        causes.append(SaturationCause.DROPS)
    lag_reasons = _schedule_lag(workers, schedule_lag, rules)
    reasons += lag_reasons
    if lag_reasons:
        causes.append(SaturationCause.SCHEDULE_LAG)
    if dropped and SaturationCause.DROPS not in causes:
        why = (
            " while the generator was saturated: part of them may be its own doing"
            if reasons
            else " while the generator kept up: the target answered more slowly than the "
            "offered rate allows under the in-flight cap"
        )
        notes.append(_drop_text(live) + why + " (judged by dropped_rate)")
    return GeneratorVerdict(
        saturated=bool(reasons),
        reasons=tuple(reasons),
        cpu_pct_max=max(cpus, default=0.0),
        cpu_pct_mean=cpu_mean,
        loop_lag_p99_ms=loop_p99_ms,
        loop_lag_max_ms=loop_max_ms,
        schedule_lag_p99_ms=schedule_lag.value_at_percentile_us(99.0) / 1000.0,
        dropped=dropped,
        causes=tuple(causes),
        notes=tuple(notes),
        stalls=tuple(stalls),
        host_cpu_pct=host_cpu_pct,
        user_code=user_code,
    )
