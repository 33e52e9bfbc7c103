"""The resource samples a run keeps, one a second: packed while it goes, rebuilt exactly."""

from __future__ import annotations

import random
import tracemalloc

from surge.metrics.resources import HostSample, ProcessSample, ResourceSample
from surge.monitor.packed import PackedSamples


def _process(rng: random.Random) -> ProcessSample:
    return ProcessSample(
        cpu_pct=rng.uniform(0, 200),
        rss_bytes=rng.randrange(2**40),
        threads=rng.randrange(1, 64),
        open_files=rng.randrange(1000),
        connections=rng.randrange(5000),
        read_bps=rng.uniform(0, 1e9),
        write_bps=rng.uniform(0, 1e9),
    )


def _sample(rng: random.Random, t_s: float, cores: int, targets: tuple[str, ...]) -> ResourceSample:
    host = HostSample(
        cpu_pct=rng.uniform(0, 100),
        per_core_pct=tuple(rng.uniform(0, 100) for _ in range(cores)),
        memory_used_bytes=rng.randrange(2**45),
        memory_total_bytes=2**45,
        disk_read_bps=rng.uniform(0, 1e9),
        disk_write_bps=0.0,
        net_sent_bps=rng.uniform(0, 1e9),
        net_recv_bps=rng.uniform(0, 1e9),
    )
    return ResourceSample(t_s, host, _process(rng), {t: _process(rng) for t in targets})


def test_samples_come_back_exactly_in_order_with_targets_that_exit() -> None:
    rng = random.Random(5)
    originals = [
        _sample(rng, k + rng.random(), 2, ("db", "api") if k < 4 else ("api",)) for k in range(8)
    ]
    originals.append(_sample(rng, 8.5, 0, ()))  # a platform without per-core figures
    packed = PackedSamples()
    for sample in originals:
        packed.append(sample)
    assert len(packed) == len(originals)
    back = packed.samples()
    assert back == tuple(originals)
    assert list(back[0].targets) == ["db", "api"] and list(back[5].targets) == ["api"]
    assert isinstance(back[0].generator.rss_bytes, int)
    assert PackedSamples().samples() == ()


def test_a_sample_kept_costs_a_quarter_of_the_objects() -> None:
    """About 900 bytes a sample as objects (1.6 MB over a 30-minute soak, growing with the run);
    packed, the floats only."""
    rng = random.Random(6)
    samples = [_sample(rng, float(k), 2, ()) for k in range(600)]
    packed = PackedSamples()
    for sample in samples[:100]:
        packed.append(sample)
    tracemalloc.start()
    before, _ = tracemalloc.get_traced_memory()
    for sample in samples[100:]:
        packed.append(sample)
    after, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    per_sample = (after - before) / 500
    assert per_sample < 900 / 4, f"{per_sample:.0f} bytes a sample"
