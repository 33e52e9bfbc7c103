"""What keeps surge's own work off the run's event loop (issue 19, overhead at the floor): the
resource sampler finds the generator's child processes without reading every process on the
machine, the first second's one-time work is done before the load, the collector and the
interpreter's thread switching are set for the run and restored after."""

from __future__ import annotations

import gc
import subprocess
import sys
import time

import psutil  # type: ignore[import-untyped]

from surge.metrics import Aggregator
from surge.metrics.histogram import Histogram, bucket_midpoints
from surge.metrics.merge import HealthTally
from surge.metrics.values import HealthSample
from surge.monitor.descendants import descendant_pids
from surge.runner.load import SWITCH_INTERVAL_S, steady_loop

CHILD = (
    "import subprocess, sys, time; "
    "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(30)']); time.sleep(30)"
)


def test_descendants_are_found_children_and_grandchildren() -> None:
    child = subprocess.Popen([sys.executable, "-c", CHILD])
    try:
        me = psutil.Process()
        deadline = time.monotonic() + 10
        expected: set[int] = set()
        while time.monotonic() < deadline:
            expected = {p.pid for p in me.children(recursive=True)}
            if len(expected) >= 2:
                break
            time.sleep(0.05)
        assert len(expected) >= 2  # the child and its own child
        assert set(descendant_pids(me)) == expected
    finally:
        for proc in psutil.Process(child.pid).children(recursive=True):
            proc.kill()
        child.kill()
        child.wait()


def test_prepare_does_the_first_seconds_one_time_work() -> None:
    bucket_midpoints.cache_clear()
    aggregator = Aggregator()
    aggregator.prepare()
    assert bucket_midpoints.cache_info().currsize == 1
    assert aggregator._history._fd is not None or aggregator._history._memory is not None
    aggregator.close()


def test_steady_loop_freezes_and_switches_fast_for_the_run_only() -> None:
    before = sys.getswitchinterval()
    with steady_loop():
        assert sys.getswitchinterval() == SWITCH_INTERVAL_S
        assert gc.get_freeze_count() > 0
    assert sys.getswitchinterval() == before
    assert gc.get_freeze_count() == 0


def test_health_tally_merges_in_batches_exactly() -> None:
    tally = HealthTally(0)
    seconds = [Histogram.from_values([1_000 + i, 2_000 * (i % 7 + 1)]) for i in range(100)]
    for i, lag in enumerate(seconds):
        tally.add(float(i + 1), HealthSample(cpu_pct=10.0, loop_lag=lag))
        tally.add_schedule_lags([lag])
    health = tally.value()
    merged = seconds[0]
    for lag in seconds[1:]:
        merged = merged.merge(lag)
    assert health.loop_lag == merged == health.schedule_lag
    assert len(health.cpu) == 100


def test_percentiles_at_once_are_the_percentiles_one_by_one() -> None:
    histogram = Histogram.from_values([(i * 37) % 5_000 + 100 for i in range(1_000)])
    wanted = (50.0, 95.0, 99.0)
    assert histogram.values_at_percentiles_us(wanted) == tuple(
        histogram.value_at_percentile_us(p) for p in wanted
    )
    assert Histogram.empty().values_at_percentiles_us(wanted) == (0, 0, 0)


def test_the_live_status_reads_the_latest_second_as_the_timeline_does() -> None:
    from surge.metrics import Recorder
    from surge.metrics.aggregate import _second
    from surge.metrics.history import timeline_point

    aggregator = Aggregator()
    recorders = [Recorder(worker=worker) for worker in (0, 1)]
    for second in range(3):
        for worker, recorder in enumerate(recorders):
            endpoint = recorder.endpoint("GET", "/a")
            for i in range(10 + 5 * worker + second):
                endpoint.ok(1_000 + 100 * i, 200, 10)
            snap = recorder.snapshot(second, second + 0.98 + 0.01 * worker, 3 + worker)
            aggregator.add(snap)
    live = aggregator.live()
    assert {snap.seq for snap in aggregator._open} == {2}  # the latest second, both workers
    point = timeline_point([_second(aggregator._open)])
    assert (live.rps, live.active_users, live.elapsed_s, live.target) == (
        point.rps,
        point.active_users,
        point.t_s,
        point.target,
    )
    assert live.requests == aggregator.total().requests == 3 * (10 + 15) + 2 * 3
    assert live.p99_ms == aggregator.total().latency.value_at_percentile_us(99.0) / 1000.0
