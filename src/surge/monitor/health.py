"""Generator health: was the load generator itself the bottleneck?

A load generator that runs out of CPU, or whose event loop runs callbacks late, measures its own
queueing instead of the target's latency, and an open-model generator that drops arrivals did not
offer the load it claims. Each second every worker reports a `HealthSample` (its process CPU and
the loop-lag probe's histogram) beside the open-model `Arrivals`; `judge_generator` turns these
into a `GeneratorVerdict` with human reasons, which the CLI shows prominently and turns into an
exit code (design contract 4: a saturated generator is a verdict, not a footnote).

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
from surge.metrics.values import (
    Arrivals,
    DropReason,
    GeneratorVerdict,
    HealthSample,
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
    - `max_drops`: more arrivals than this dropped while the run was live (open model). Drops
      with reason `stopped` (due after the run stopped) are reported but never saturate.
    - `schedule_lag_p99_ms`: when set, open-model schedule lag p99 above this saturates the run;
      None (default) only reports it, because schedule lag also grows for reasons outside the
      generator (an arrival that waits for a connection to a slow target starts late too).
    """

    cpu_pct: float = 90.0
    cpu_sustained_s: float = 3.0
    loop_lag_p99_ms: float = 50.0
    loop_lag_min_samples: int = 100
    max_drops: int = 0
    schedule_lag_p99_ms: float | None = None

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
        if self.max_drops < 0:
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


def _drop_reason(arrivals: Arrivals, rules: HealthRules) -> tuple[str | None, int]:
    """The drops reason (None when within the rule) and the count of drops that are judged."""
    live = {r: n for r, n in arrivals.dropped.items() if r not in _NOT_SATURATION and n}
    judged = sum(live.values())
    if judged <= rules.max_drops:
        return None, judged
    parts = "; ".join(f"{reason}: {n:,}" for reason, n in sorted(live.items()))
    noun = "arrival" if judged == 1 else "arrivals"
    reason = f"{judged:,} {noun} dropped ({parts})"
    if rules.max_drops:
        reason += f" > {rules.max_drops:,} allowed"
    return reason, judged


def judge_generator(
    samples: Iterable[HealthPoint | WorkerHealth],
    arrivals: Arrivals,
    schedule_lag: Histogram,
    rules: HealthRules | None = None,
) -> GeneratorVerdict:
    """Judge the whole run's generator health.

    `samples`: `Aggregator.health()` (one `WorkerHealth` per worker) or per-second
    `HealthPoint`s, from any number of workers; CPU and loop lag are judged per
    worker (merging would hide one pinned worker among idle ones) and a reason names its worker
    when there is more than one. `arrivals`: the run's merged open-model accounting.
    `schedule_lag`: the merged schedule-lag histogram of all endpoints (empty in the closed model).

    The verdict's figures: CPU max and mean over every sample of every worker; the worst worker's
    loop-lag p99 (the figure the rule judged) and the overall max; `dropped` counts the drops the
    rule judged (all reasons but `stopped`).
    """
    rules = rules or HealthRules()
    workers = _by_worker(samples)
    reasons = _cpu_reasons(workers, rules)
    causes = [SaturationCause.CPU] if reasons else []
    lag_reasons, loop_p99_ms, loop_max_ms = _loop_lag(workers, rules)
    reasons += lag_reasons
    if lag_reasons:
        causes.append(SaturationCause.LOOP_LAG)
    drop_reason, dropped = _drop_reason(arrivals, rules)
    if drop_reason is not None:
        reasons.append(drop_reason)
        causes.append(SaturationCause.DROPS)
    schedule_p99_ms = schedule_lag.value_at_percentile_us(99.0) / 1000.0
    limit = rules.schedule_lag_p99_ms
    if limit is not None and schedule_p99_ms > limit:
        reasons.append(f"schedule lag p99 {_ms(schedule_p99_ms)} ms > {limit:g} ms")
        causes.append(SaturationCause.SCHEDULE_LAG)
    cpus = [cpu for health in workers.values() for _, cpu in health.cpu]
    return GeneratorVerdict(
        saturated=bool(reasons),
        reasons=tuple(reasons),
        cpu_pct_max=max(cpus, default=0.0),
        cpu_pct_mean=sum(cpus) / len(cpus) if cpus else 0.0,
        loop_lag_p99_ms=loop_p99_ms,
        loop_lag_max_ms=loop_max_ms,
        schedule_lag_p99_ms=schedule_p99_ms,
        dropped=dropped,
        causes=tuple(causes),
    )
