"""Protocol metrics (WebSocket, SSE, HTTP/2) record, snapshot and merge exactly like latency."""

from __future__ import annotations

import random

from surge.metrics import (
    Aggregator,
    Count,
    ErrorKind,
    Histogram,
    Recorder,
    Timing,
    Wire,
    merge_stats,
)
from surge.metrics.protocol import COUNT_NAMES, TIMING_NAMES
from surge.metrics.values import RunMeta
from surge.store.codec import decode_result, encode_result
from surge.thresholds.grammar import TIMINGS


def _record(recorder: Recorder, rng: random.Random, n: int) -> None:
    endpoint = recorder.endpoint("GET", "/ws/chat")
    proto = endpoint.protocol()
    for _ in range(n):
        proto.msgs_sent += 1
        proto.msgs_received += 2
        proto.msg_bytes_sent += 10
        proto.reply.record(rng.randrange(1, 50_000))
        proto.timing(Timing.PING_RTT).record(rng.randrange(1, 900))
    proto.closed(1000)
    proto.closed(1006)
    proto.carried(Wire.WEBSOCKET)
    endpoint.error(ErrorKind.TIMEOUT, "no reply within 1 s")


def test_workers_merge_exactly_what_one_recorder_saw() -> None:
    one = Recorder()
    workers = [Recorder(worker=w) for w in range(3)]
    for w, recorder in enumerate(workers):
        _record(recorder, random.Random(w), 200 + w)
        _record(one, random.Random(w), 200 + w)
    aggregator = Aggregator()
    for recorder in workers:
        aggregator.add(recorder.snapshot(0.0, 1.0, 1))
    merged = aggregator.endpoints()[0]
    alone = one.snapshot(0.0, 1.0, 1).endpoints[0]
    assert merged.counts == alone.counts
    assert merged.counts["msgs_received"] == 2 * (200 + 201 + 202)
    assert merged.counts["session_errors"] == 3
    assert merged.errors == {"timeout": 3}
    assert merged.failures == 0  # an error inside a session is not a failed opening
    assert merged.close_codes == {1000: 3, 1006: 3}
    assert merged.protocols == {"WebSocket": 3}
    for name in ("reply", "ping_rtt"):
        assert merged.timings[name].encode() == alone.timings[name].encode()
    assert merged.timings["reply"].total == 603
    total = merge_stats("", "Total", [merged, alone])
    assert total.counts["msgs_sent"] == 2 * 603


def test_a_snapshot_starts_the_counts_again() -> None:
    recorder = Recorder()
    _record(recorder, random.Random(1), 5)
    first = recorder.snapshot(0.0, 1.0, 1).endpoints
    assert first[0].counts["msgs_sent"] == 5
    assert recorder.snapshot(1.0, 2.0, 1).endpoints == ()  # nothing new: not busy


def test_the_store_keeps_protocol_metrics_losslessly() -> None:
    recorder = Recorder()
    _record(recorder, random.Random(2), 50)
    aggregator = Aggregator()
    aggregator.add(recorder.snapshot(0.0, 1.0, 1))
    meta = RunMeta("n", "0", "a", "b", "ws://127.0.0.1/", "url")
    result = aggregator.result(meta, 1.0)
    back = decode_result(encode_result(result))
    assert back.endpoints[0].counts == result.endpoints[0].counts
    assert back.endpoints[0].close_codes == {1000: 1, 1006: 1}
    assert back.endpoints[0].timings["reply"] == result.endpoints[0].timings["reply"]


def test_names_are_one_list_everywhere() -> None:
    assert TIMINGS == TIMING_NAMES
    assert {c.value for c in Count} == set(COUNT_NAMES)


def test_values_noted_in_bulk_fold_in_exactly() -> None:
    rng = random.Random(7)
    values = [rng.randrange(0, 3_000_000) for _ in range(5000)]
    recorder = Recorder()
    reply = recorder.endpoint("GET", "/echo").protocol().reply
    note = reply.pending.append  # what a hot path keeps
    for i, value in enumerate(values):
        if i % 2:
            note(value)
        else:
            reply.record(value)
    first = recorder.snapshot(0.0, 1.0, 1).endpoints[0].timings["reply"]
    assert first == Histogram.from_values(values)
    assert (first.total, first.min_us, first.max_us) == (5000, min(values), max(values))
    assert first.sum_us == sum(values)
    note(42)  # the kept append still feeds the next interval
    second = recorder.snapshot(1.0, 2.0, 1).endpoints[0].timings["reply"]
    assert (second.total, second.min_us, second.max_us) == (1, 42, 42)
    assert recorder.snapshot(2.0, 3.0, 1).endpoints == ()
