"""Resource sampling of real processes: a target started by the test that burns CPU and holds
~100 MB, the host, and the generator (this process and its children)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator

import psutil
import pytest

from surge.metrics.resource_stats import (
    Aggregate,
    Source,
    resource_value,
    series,
    summarize_resources,
    target_series,
)
from surge.monitor.resources import ResourceSampler, TargetError, add_samples, find_targets

MB = 1024 * 1024
# Holds ~100 MB (touched, so resident) and keeps half a core busy until killed (or 20 s).
BURNER = """
import sys, time
block = bytearray(100 * 1024 * 1024)
for i in range(0, len(block), 4096):
    block[i] = 1
print("ready", flush=True)
end = time.monotonic() + 20
while time.monotonic() < end:  # busy about half the time: clearly measurable, not hogging
    busy = time.monotonic() + 0.05
    while time.monotonic() < busy:
        pass
    time.sleep(0.05)
"""
MARKER = "surge-test-burner-marker"


@pytest.fixture
def burner() -> Iterator[subprocess.Popen[str]]:
    proc = subprocess.Popen(
        [sys.executable, "-c", BURNER, MARKER], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        yield proc
    finally:
        proc.kill()
        proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()


def test_a_target_that_burns_cpu_and_holds_memory_is_measured(
    burner: subprocess.Popen[str],
) -> None:
    (target,) = find_targets(pids=[burner.pid])
    assert target.pid == burner.pid and target.label == f"{target.name}[{burner.pid}]"
    sampler = ResourceSampler([target], interval_s=0.5)
    with sampler:
        time.sleep(1.6)
    resources = sampler.resources
    assert 3 <= len(resources.samples) <= 5
    points = target_series(resources, target.label, "rss_bytes")
    assert len(points) == len(resources.samples)
    assert all(100 * MB <= rss <= 400 * MB for _, rss in points)
    cpu = [pct for _, pct in target_series(resources, target.label, "cpu_pct")]
    # busy half the time, on a shared 2-core machine: well above idle, at most a core and a bit
    assert 15.0 <= max(cpu) <= 110.0
    assert all(s.targets[target.label].threads >= 1 for s in resources.samples)
    assert all(s.targets[target.label].open_files >= 3 for s in resources.samples)  # stdio
    times = [s.t_s for s in resources.samples]
    assert times == sorted(times) and 0.3 <= times[0] <= 1.0
    peak = resource_value(resources, Source.TARGETS, "rss_bytes", Aggregate.PEAK)
    assert peak is not None and peak >= 100 * MB
    assert resources.targets == (target,)


def test_host_and_generator_samples_are_sane() -> None:
    sampler = ResourceSampler(interval_s=0.25)
    with sampler:
        time.sleep(0.6)
    samples = sampler.resources.samples
    assert samples
    cores = psutil.cpu_count() or 1
    me = psutil.Process().memory_info().rss
    for sample in samples:
        host = sample.host
        assert 0.0 <= host.cpu_pct <= 100.0
        assert len(host.per_core_pct) == cores
        assert all(0.0 <= pct <= 100.0 for pct in host.per_core_pct)
        assert 0 < host.memory_used_bytes <= host.memory_total_bytes
        for rate in (host.disk_read_bps, host.disk_write_bps, host.net_sent_bps, host.net_recv_bps):
            assert rate >= 0.0
        generator = sample.generator
        assert me / 4 <= generator.rss_bytes <= me * 4 + 500 * MB
        assert generator.threads >= 2  # the test thread and the sampler
        assert 0.0 <= generator.cpu_pct <= 100.0 * cores + 50
        assert sample.targets == {}
    summary = summarize_resources(sampler.resources)
    assert summary.host is not None and summary.host.cores == cores
    assert summary.generator is not None and summary.targets == {}


def test_the_generator_includes_its_child_processes(burner: subprocess.Popen[str]) -> None:
    # the burner is a child of this process: surge's worker processes are counted the same way
    alone = psutil.Process().memory_info().rss
    sampler = ResourceSampler()
    sampler.start()
    time.sleep(0.3)
    sample = sampler.sample()
    sampler.stop()
    assert sample.generator.rss_bytes >= alone + 90 * MB
    assert sample.generator.cpu_pct >= 10.0


def test_an_exited_target_is_reported_not_a_crash(burner: subprocess.Popen[str]) -> None:
    (target,) = find_targets(pids=[burner.pid])
    sampler = ResourceSampler([target], interval_s=0.2)
    sampler.start()
    time.sleep(0.3)
    burner.kill()
    burner.wait(timeout=10)
    time.sleep(0.5)
    resources = sampler.stop()
    (after,) = resources.targets
    assert after.exited_at_s is not None and 0.0 < after.exited_at_s <= resources.samples[-1].t_s
    assert target.label in resources.samples[0].targets
    assert target.label not in resources.samples[-1].targets
    assert series(resources, Source.TARGETS, "rss_bytes")  # the samples taken while it ran


def test_sample_without_a_thread_for_a_benchmark_runner() -> None:
    sampler = ResourceSampler(interval_s=60.0)  # the thread never fires: samples on demand
    sampler.start()
    first = sampler.sample()
    second = sampler.sample()
    resources = sampler.stop()
    assert 0.0 <= first.t_s <= second.t_s
    assert resources.samples[:2] == (first, second)
    with pytest.raises(RuntimeError):
        sampler.start()


def test_a_dead_pid_is_an_error_naming_it() -> None:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait(timeout=10)
    with pytest.raises(TargetError, match=rf"--monitor-pid {proc.pid}: no process"):
        find_targets(pids=[proc.pid])


def test_a_name_matching_nothing_is_an_error() -> None:
    with pytest.raises(TargetError, match="--monitor-process 'no-such-process-xyz-42'"):
        find_targets(names=["no-such-process-xyz-42"])


def test_a_name_matches_command_lines_but_never_surge_itself() -> None:
    # a process that is not our child (started through a shell that exits at once)
    shell = subprocess.run(
        [
            "sh",
            "-c",
            f"'{sys.executable}' -c 'import time; time.sleep(5)' {MARKER}-orphan "
            ">/dev/null 2>&1 & echo $!",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=10,
    )
    pid = int(shell.stdout.strip())
    try:
        targets = find_targets(names=[f"{MARKER}-orphan"])
        assert [t.pid for t in targets] == [pid]
        assert f"{MARKER}-orphan" in targets[0].cmdline
        # our own command line holds the name too (pytest -k, or `surge run --monitor-process`)
        assert os.getpid() not in [t.pid for t in targets]
    finally:
        os.kill(pid, 9)


def test_several_processes_add_up() -> None:
    from surge.metrics import ProcessSample

    total = add_samples(
        [ProcessSample(10.0, 100, 2, 3, 4, 1.0, 2.0), ProcessSample(5.0, 50, 1, 1, 1, 0.5, 0.5)]
    )
    assert total == ProcessSample(15.0, 150, 3, 4, 5, 1.5, 2.5)
