"""Generator health: the CPU sampler on this very process, and the saturation rules on synthetic
samples."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time

import pytest
from rich.console import Console

from surge.metrics.histogram import Histogram, merge_all
from surge.metrics.resources import HostSample, ProcessSample, Resources, ResourceSample
from surge.metrics.values import (
    Arrivals,
    GeneratorVerdict,
    HealthSample,
    LoopStall,
    SaturationCause,
    WorkerHealth,
)
from surge.monitor import (
    HealthPoint,
    HealthRules,
    ProcessCpuSampler,
    generator_cpus_busy_pct,
    judge_generator,
)
from surge.monitor.health import host_starved

NO_LAG = Histogram.from_values([500] * 50)  # 0.5 ms: a healthy loop


def sample(cpu_pct: float, lag: Histogram = NO_LAG) -> HealthSample:
    return HealthSample(cpu_pct=cpu_pct, loop_lag=lag)


def seconds(cpus: list[float], worker: int = 0) -> list[HealthPoint]:
    """One sample per second, ending at 1, 2, 3 … s."""
    return [(worker, float(i + 1), sample(cpu)) for i, cpu in enumerate(cpus)]


def judge(samples: list[HealthPoint], arrivals: Arrivals | None = None, **rules: float):
    return judge_generator(
        samples,
        arrivals or Arrivals(),
        Histogram.empty(),
        HealthRules(**rules),  # type: ignore[arg-type]
    )


# --- ProcessCpuSampler -------------------------------------------------------------------------


def test_sampler_sees_this_process_burning_cpu() -> None:
    sampler = ProcessCpuSampler()
    wall0, cpu0 = time.monotonic(), time.process_time()
    n = 0
    while time.process_time() - cpu0 < 0.4:
        n += 1
    pct = sampler.sample()
    expected = (time.process_time() - cpu0) / (time.monotonic() - wall0) * 100.0
    # about 100% on a free core; a loaded machine shares the core, so compare with what the
    # interpreter itself counted (psutil's clock ticks are 10 ms: a few points of slack)
    assert pct == pytest.approx(expected, rel=0.15, abs=3.0)
    assert pct > 3.0


def test_sampler_sees_a_sleeping_process_idle() -> None:
    sampler = ProcessCpuSampler(os.getpid())
    time.sleep(0.3)
    assert sampler.sample() < 50.0


def test_sampler_reads_another_process_by_pid() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        sampler = ProcessCpuSampler(child.pid)
        time.sleep(0.3)
        assert 0.0 <= sampler.sample() < 50.0
    finally:
        child.kill()
        child.wait()


def test_sampler_uses_the_injected_clock_for_wall_time() -> None:
    ticks = iter([0.0, 0.0])
    sampler = ProcessCpuSampler(clock=lambda: next(ticks))
    assert sampler.sample() == 0.0  # no wall time passed: no division by zero


def test_sampler_of_a_missing_process_says_so() -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    with pytest.raises(ProcessLookupError, match=str(child.pid)):
        ProcessCpuSampler(child.pid)


# --- CPU rule ----------------------------------------------------------------------------------


def test_sustained_cpu_saturates() -> None:
    verdict = judge(seconds([40, 95, 99, 100, 97, 96, 92, 100, 50]))
    assert verdict.saturated
    assert verdict.reasons == ("generator CPU ≥ 90% for 7 s (peak 100%)",)
    assert verdict.cpu_pct_max == 100
    assert verdict.cpu_pct_mean == pytest.approx(sum([40, 95, 99, 100, 97, 96, 92, 100, 50]) / 9)


def test_single_spike_does_not_saturate() -> None:
    verdict = judge(seconds([100, 30, 100, 100, 20, 100, 40]))
    assert not verdict.saturated
    assert verdict.reasons == ()
    assert verdict.cpu_pct_max == 100


def test_first_sample_counts_towards_a_sustained_run() -> None:
    verdict = judge(seconds([99, 99, 99, 10]))
    assert verdict.reasons == ("generator CPU ≥ 90% for 3 s (peak 99%)",)


def test_tick_jitter_does_not_hide_a_three_second_run() -> None:
    samples = [(0, t, sample(c)) for t, c in [(1.004, 20), (2.001, 95), (3.0, 95), (4.0, 95)]]
    assert judge(samples).saturated  # 4.0 - 1.004 = 2.996 s


def test_short_final_interval_does_not_complete_a_run() -> None:
    samples = [(0, t, sample(95)) for t in (1.0, 2.0, 2.4)]
    assert not judge(samples).saturated


def test_threshold_is_inclusive_and_configurable() -> None:
    assert judge(seconds([90, 90, 90])).saturated
    assert not judge(seconds([89.9, 89.9, 89.9])).saturated
    assert judge(seconds([70, 70]), cpu_pct=60, cpu_sustained_s=2).reasons == (
        "generator CPU ≥ 60% for 2 s (peak 70%)",
    )


def test_samples_are_judged_in_time_order() -> None:
    shuffled = [seconds([95, 95, 20, 95])[i] for i in (3, 0, 2, 1)]
    assert not judge(shuffled).saturated


# --- several workers ----------------------------------------------------------------------------


def test_workers_are_judged_separately_and_named() -> None:
    # interleaved seconds of two workers: neither alone is hot for 3 s except worker 1
    samples = seconds([95, 30, 95, 30], worker=0) + seconds([95, 96, 100, 91], worker=1)
    verdict = judge(samples)
    assert verdict.reasons == ("worker 1: generator CPU ≥ 90% for 4 s (peak 100%)",)


def test_one_hot_worker_among_idle_ones_still_saturates() -> None:
    samples = seconds([99] * 5, worker=2)
    for worker in (0, 1, 3):
        samples += seconds([5] * 5, worker=worker)
    verdict = judge(samples)
    assert verdict.saturated
    assert verdict.reasons == ("worker 2: generator CPU ≥ 90% for 5 s (peak 99%)",)


def test_loop_lag_is_judged_per_worker() -> None:
    blocked = Histogram.from_values([400_000] * 5 + [1_000] * 45)
    samples: list[HealthPoint] = [(0, float(t), sample(10)) for t in range(1, 11)]
    samples += [(1, 1.0, sample(10, blocked))] + [(1, float(t), sample(10)) for t in (2, 3)]
    verdict = judge(samples)
    # worker 1 was late 5 times in 150 (3%); merged with worker 0 it would be 5 in 650 (< 1%)
    assert merge_all(s.loop_lag for _, _, s in samples).value_at_percentile_us(99) < 2_000
    assert verdict.reasons == ("worker 1: event-loop lag p99 400 ms > 50 ms",)
    assert verdict.loop_lag_p99_ms == pytest.approx(400, rel=0.001)


# --- loop lag rule -----------------------------------------------------------------------------


def test_loop_lag_p99_over_the_limit_saturates() -> None:
    lagged = Histogram.from_values([412_000] * 3 + [1_000] * 97)
    verdict = judge([(0, 1.0, sample(20, lagged)), (0, 2.0, sample(20))])
    assert verdict.saturated
    assert verdict.reasons == ("event-loop lag p99 412 ms > 50 ms",)
    assert verdict.loop_lag_max_ms == pytest.approx(412)


def test_rare_loop_lag_below_one_percent_is_reported_not_judged() -> None:
    rare = Histogram.from_values([300_000] + [1_000] * 199)
    verdict = judge([(0, 1.0, sample(20, rare))])
    assert not verdict.saturated
    assert verdict.loop_lag_max_ms == pytest.approx(300)
    assert verdict.loop_lag_p99_ms < 2


def test_loop_lag_limit_is_configurable_and_small_values_keep_a_decimal() -> None:
    lagged = Histogram.from_values([7_500] * 10)
    verdict = judge([(0, 1.0, sample(20, lagged))], loop_lag_p99_ms=5, loop_lag_min_samples=10)
    assert verdict.reasons == ("event-loop lag p99 7.5 ms > 5 ms",)


def test_loop_lag_of_a_short_run_is_reported_not_judged() -> None:
    hiccup = Histogram.from_values([1_000] * 40 + [120_000])  # one 120 ms hiccup in 41 samples
    verdict = judge([(0, 1.0, sample(20, hiccup))])
    assert verdict.saturated is False
    assert verdict.loop_lag_max_ms == pytest.approx(120, rel=0.01)


# --- drops -------------------------------------------------------------------------------------


def test_drops_of_a_healthy_generator_are_a_note_not_saturation() -> None:
    arrivals = Arrivals(scheduled=5000, dropped={"max_in_flight": 1234, "stopped": 34})
    verdict = judge(seconds([20]), arrivals)
    assert not verdict.saturated
    assert verdict.reasons == () and verdict.causes == ()
    assert verdict.dropped == 1234
    (note,) = verdict.notes
    assert note.startswith("1,234 arrivals dropped (max_in_flight: 1,234) while the generator kept")
    assert "dropped_rate" in note


def test_only_stopped_drops_are_no_note() -> None:
    verdict = judge(seconds([20]), Arrivals(scheduled=10, dropped={"stopped": 10}))
    assert not verdict.saturated and verdict.notes == ()
    assert verdict.dropped == 0


def test_a_max_drops_rule_makes_drops_saturate_again() -> None:
    one = Arrivals(scheduled=10, dropped={"max_in_flight": 1})
    assert judge(seconds([20]), one, max_drops=0).reasons == (
        "1 arrival dropped (max_in_flight: 1)",
    )
    assert judge(seconds([20]), one, max_drops=0).causes == (SaturationCause.DROPS,)
    assert not judge(seconds([20]), one, max_drops=1).saturated
    many = Arrivals(scheduled=10, dropped={"max_in_flight": 5})
    assert judge(seconds([20]), many, max_drops=2).reasons == (
        "5 arrivals dropped (max_in_flight: 5) > 2 allowed",
    )


# --- schedule lag --------------------------------------------------------------------------------


def test_schedule_lag_p99_over_10_ms_saturates_by_default() -> None:
    lag = Histogram.from_values([12_000] * 1000)
    verdict = judge_generator(seconds([20]), Arrivals(), lag)
    assert verdict.saturated
    assert verdict.reasons == ("schedule lag p99 12 ms > 10 ms",)
    assert verdict.causes == (SaturationCause.SCHEDULE_LAG,)
    punctual = judge_generator(seconds([20]), Arrivals(), Histogram.from_values([2_000] * 1000))
    assert not punctual.saturated


def test_schedule_lag_limit_is_configurable_off_and_needs_samples() -> None:
    lag = Histogram.from_values([80_000] * 1000)
    off = judge_generator(seconds([20]), Arrivals(), lag, HealthRules(schedule_lag_p99_ms=None))
    assert not off.saturated
    assert off.schedule_lag_p99_ms == pytest.approx(80, rel=0.001)
    loose = judge_generator(seconds([20]), Arrivals(), lag, HealthRules(schedule_lag_p99_ms=100))
    assert not loose.saturated
    few = judge_generator(seconds([20]), Arrivals(), Histogram.from_values([80_000] * 999))
    assert not few.saturated  # 999 requests: a p99 of too few to judge


def test_schedule_lag_is_judged_per_worker() -> None:
    punctual = WorkerHealth(0, ((1.0, 20.0),), NO_LAG, Histogram.from_values([1_000] * 4000))
    late = WorkerHealth(1, ((1.0, 20.0),), NO_LAG, Histogram.from_values([17_000] * 1500))
    merged = merge_all((punctual.schedule_lag, late.schedule_lag))
    verdict = judge_generator((punctual, late), Arrivals(), merged)
    assert verdict.reasons == ("worker 1: schedule lag p99 17 ms > 10 ms",)


# --- user code that blocks the loop ---------------------------------------------------------------

STALL = LoopStall("Blocker.block (/s/blocker.py:9)", count=7, max_ms=296.0, total_ms=2010.0)


def test_a_lagging_loop_with_stalls_names_the_user_code() -> None:
    lagged = Histogram.from_values([200_000] * 150)
    samples = [(0, float(t), sample(20, lagged)) for t in (1, 2, 3)]
    verdict = judge_generator(samples, Arrivals(), Histogram.empty(), stalls=[STALL])
    assert verdict.causes == (SaturationCause.LOOP_LAG, SaturationCause.USER_CODE)
    assert verdict.reasons[-1] == (
        "user code blocked the event loop: Blocker.block (/s/blocker.py:9) held it 7 times, "
        "up to 296 ms (2,010 ms in all)"
    )
    assert verdict.stalls == (STALL,)


def test_a_stall_under_the_loop_lag_rule_is_a_note() -> None:
    once = LoopStall("Blocker.block (/s/blocker.py:9)", count=1, max_ms=150.0, total_ms=150.0)
    verdict = judge_generator(seconds([20]), Arrivals(), Histogram.empty(), stalls=[once])
    assert not verdict.saturated
    assert verdict.notes == (
        "user code blocked the event loop: Blocker.block (/s/blocker.py:9) held it once, "
        "up to 150 ms (150 ms in all)",
    )


def test_every_reason_is_listed_in_rule_order() -> None:
    lagged = Histogram.from_values([200_000] * 150)
    samples = [(0, float(t), sample(99, lagged)) for t in (1, 2, 3)]
    late = Histogram.from_values([50_000] * 1000)
    verdict = judge_generator(samples, Arrivals(), late, stalls=[STALL])
    assert [r.split()[0] for r in verdict.reasons] == [
        "generator", "event-loop", "user", "schedule",
    ]  # fmt: skip


def test_no_samples_is_a_healthy_empty_verdict() -> None:
    verdict = judge_generator((), Arrivals(), Histogram.empty())
    assert not verdict.saturated
    assert (verdict.cpu_pct_max, verdict.cpu_pct_mean, verdict.loop_lag_p99_ms) == (0, 0, 0)
    assert (verdict.loop_lag_max_ms, verdict.schedule_lag_p99_ms, verdict.dropped) == (0, 0, 0)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("cpu_pct", 0),
        ("cpu_sustained_s", -1),
        ("loop_lag_p99_ms", 0),
        ("max_drops", -1),
        ("schedule_lag_p99_ms", 0),
    ],
)
def test_rules_reject_nonsense(field: str, value: float) -> None:
    with pytest.raises(ValueError, match=field):
        HealthRules(**{field: value})  # type: ignore[arg-type]


def test_the_schedule_lag_limit_comes_from_the_run_options() -> None:
    from surge.config import RunConfig
    from surge.runner.verdict import health_rules

    assert health_rules(RunConfig()).schedule_lag_p99_ms == pytest.approx(10.0)
    assert health_rules(RunConfig(max_schedule_lag=0.025)).schedule_lag_p99_ms == pytest.approx(25)
    assert health_rules(RunConfig(max_schedule_lag=0.0)).schedule_lag_p99_ms is None


def test_drops_beside_a_saturated_generator_do_not_say_it_kept_up() -> None:
    hot = [(0, float(t), sample(99)) for t in (1, 2, 3, 4)]
    verdict = judge(hot, Arrivals(scheduled=100, dropped={"max_in_flight": 9}))
    assert verdict.causes == (SaturationCause.CPU,)
    (note,) = verdict.notes
    assert "kept up" not in note and "generator was saturated" in note


# --- a busy host, not user code ------------------------------------------------------------------

LAGGED = Histogram.from_values([80_000] * 150)  # loop-lag p99 80 ms, enough samples to judge


def _lagging(cpu_pct: float) -> list[HealthPoint]:
    return [(0, float(t), sample(cpu_pct, LAGGED)) for t in (1, 2, 3)]


def test_a_lagging_loop_on_a_busy_host_is_blamed_on_the_host() -> None:
    # the CI case: the generator used 5 % of a core while its loop lagged 80 ms at p99, and its
    # CPUs were busy with other processes
    verdict = judge_generator(
        _lagging(5.1), Arrivals(), Histogram.empty(), host_cpu_pct=97.0, user_code=False
    )
    assert verdict.causes == (SaturationCause.LOOP_LAG, SaturationCause.HOST_BUSY)
    assert verdict.reasons[-1] == (
        "the host was busy: the generator's CPUs were 97% busy while it used 5.1% of a core "
        "(other processes took the CPU it waited for)"
    )
    assert verdict.host_cpu_pct == 97.0 and verdict.user_code is False


@pytest.mark.parametrize(
    ("host_cpu_pct", "cpu_pct"),
    [(None, 5.0), (60.0, 5.0), (97.0, 60.0)],  # not measured; an idle host; a generator at work
)
def test_no_busy_host_without_its_evidence(host_cpu_pct: float | None, cpu_pct: float) -> None:
    verdict = judge_generator(
        _lagging(cpu_pct), Arrivals(), Histogram.empty(), host_cpu_pct=host_cpu_pct
    )
    assert verdict.causes == (SaturationCause.LOOP_LAG,)


def test_named_user_code_wins_over_a_busy_host() -> None:
    verdict = judge_generator(
        _lagging(5.0), Arrivals(), Histogram.empty(), stalls=[STALL], host_cpu_pct=99.0
    )
    assert verdict.causes == (SaturationCause.LOOP_LAG, SaturationCause.USER_CODE)


def test_a_pinned_cpu_is_the_generator_not_the_host() -> None:
    samples = [(0, float(t), sample(99, LAGGED)) for t in (1, 2, 3)]
    verdict = judge_generator(samples, Arrivals(), Histogram.empty(), host_cpu_pct=100.0)
    assert verdict.causes == (SaturationCause.CPU, SaturationCause.LOOP_LAG)


def test_the_busy_host_rule_has_its_thresholds() -> None:
    rules = HealthRules()
    assert host_starved(85.0, 49.9, rules) and not host_starved(84.9, 5.0, rules)
    assert not host_starved(99.0, 50.0, rules) and not host_starved(None, 0.0, rules)
    strict = HealthRules(host_busy_pct=99.0, starved_cpu_pct=10.0)
    assert not host_starved(98.0, 5.0, strict) and host_starved(99.0, 9.0, strict)


def _resources(*per_core: tuple[float, ...]) -> Resources:
    idle = ProcessSample(0.0, 0, 0, 0, 0, 0)
    samples = tuple(
        ResourceSample(float(t), HostSample(sum(c) / len(c), c, 0, 1, 0, 0, 0, 0), idle)
        for t, c in enumerate(per_core, start=1)
    )
    return Resources(interval_s=1.0, samples=samples)


def test_the_generators_cpus_are_the_ones_judged() -> None:
    # `taskset -c 1`: CPU 1 was busy, CPU 0 idle; the generator may only run on CPU 1
    resources = _resources((0.0, 100.0), (10.0, 90.0))
    assert generator_cpus_busy_pct(resources, frozenset({1})) == 95.0
    assert generator_cpus_busy_pct(resources, None) == 50.0
    assert generator_cpus_busy_pct(None) is None
    assert generator_cpus_busy_pct(Resources(interval_s=1.0, samples=())) is None


def test_the_panel_never_blames_user_code_in_a_url_run() -> None:
    from surge.report.terminal_sections import saturation_banner

    def panel(verdict: GeneratorVerdict) -> str:
        console = Console(width=100, record=True, file=io.StringIO())
        console.print(saturation_banner(verdict))
        return console.export_text()

    busy = judge_generator(
        _lagging(5.1), Arrivals(), Histogram.empty(), host_cpu_pct=97.0, user_code=False
    )
    text = panel(busy)
    assert "The host was busy: the generator got too little CPU" in text
    assert "taskset" in text and "its CPUs 97% busy" in text
    assert "time.sleep" not in text and "Code on the event loop" not in text
    url_run = judge_generator(_lagging(5.1), Arrivals(), Histogram.empty(), user_code=False)
    text = panel(url_run)
    assert "no user code runs in this run" in text and "time.sleep" not in text
    script = judge_generator(_lagging(5.1), Arrivals(), Histogram.empty())
    assert "Code on the event loop blocked it" in panel(script)
