"""Workers merge exactly: what two recorders saw, merged, is what one recorder would have seen."""

from __future__ import annotations

import random

from surge.cluster.tracking import Seconds
from surge.metrics import Aggregator, ErrorKind, Histogram, Recorder, RunMeta, Snapshot


def _record(recorder: Recorder, samples: list[tuple[str, int, bool]]) -> None:
    for name, latency_us, ok in samples:
        endpoint = recorder.endpoint("GET", name)
        if ok:
            endpoint.ok(latency_us, 200, 100)
        else:
            endpoint.fail(latency_us, ErrorKind.TIMEOUT, 0, 0, "timed out")


def _samples(n: int, seed: int) -> list[tuple[str, int, bool]]:
    rng = random.Random(seed)
    return [
        (rng.choice(("/a", "/b")), int(rng.lognormvariate(8, 1.5)), rng.random() > 0.05)
        for _ in range(n)
    ]


def _meta() -> RunMeta:
    return RunMeta("m", "0", "", "", "http://127.0.0.1", "url")


def test_merged_histograms_equal_the_single_process_histogram_byte_for_byte() -> None:
    seconds = [_samples(3_000, seed) for seed in range(3)]
    single, workers = Recorder(), [Recorder(worker=0), Recorder(worker=1)]
    one, many = Aggregator(), Aggregator()
    for second, samples in enumerate(seconds):
        _record(single, samples)
        _record(workers[0], samples[0::2])  # the stride split of split_plan
        _record(workers[1], samples[1::2])
        one.add(single.snapshot(second, second + 1.0, 2))
        for recorder in workers:
            many.add(recorder.snapshot(second, second + 1.0, 1))
    a, b = one.result(_meta(), 3.0), many.result(_meta(), 3.0)
    assert a.total.requests == b.total.requests == 9_000
    assert a.total.latency.encode() == b.total.latency.encode()
    assert a.total.failure_latency.encode() == b.total.failure_latency.encode()
    for x, y in zip(a.endpoints, b.endpoints, strict=True):
        assert x.latency.encode() == y.latency.encode()
        assert (x.requests, x.failures, x.errors) == (y.requests, y.failures, y.errors)
    for x, y in zip(a.intervals, b.intervals, strict=True):
        assert [e.latency.encode() for e in x.endpoints] == [
            e.latency.encode() for e in y.endpoints
        ]
    assert [p.p99_ms for p in a.timeline] == [p.p99_ms for p in b.timeline]
    everything = [lat for s in seconds for _, lat, ok in s if ok]
    assert b.total.latency.encode() == Histogram.from_values(everything).encode()


def _snap(worker: int, seq: int) -> Snapshot:
    return Snapshot(seq, worker, float(seq), seq + 1.0, 1, ())


def test_seconds_are_released_in_order_once_every_open_worker_delivered_them() -> None:
    seconds = Seconds(2)
    assert seconds.add(_snap(0, 0)) == []
    assert seconds.add(_snap(0, 1)) == []
    released = seconds.add(_snap(1, 0))
    assert [(s.worker, s.seq) for s in released] == [(0, 0), (1, 0)]
    assert seconds.close(1) == [_snap(0, 1)]  # worker 1 finished: it holds nothing back
    assert [(s.worker, s.seq) for s in seconds.add(_snap(0, 2))] == [(0, 2)]


def test_a_lost_worker_does_not_hold_seconds_back_and_flush_keeps_everything() -> None:
    seconds = Seconds(3)
    seconds.add(_snap(0, 0))
    seconds.add(_snap(1, 0))
    assert [s.seq for s in seconds.close(2)] == [0, 0]
    seconds.add(_snap(0, 1))
    assert [(s.worker, s.seq) for s in seconds.flush()] == [(0, 1)]
