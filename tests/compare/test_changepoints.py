"""Change points over a synthetic history: a lasting shift is found at its run, noise is not."""

from __future__ import annotations

import dataclasses

import numpy as np

from compare.synthetic import make_run
from surge.compare.changepoints import change_points, segment
from surge.metrics import Histogram


def test_segment_finds_a_step() -> None:
    rng = np.random.default_rng(0)
    values = np.r_[rng.normal(10, 0.3, 12), rng.normal(13, 0.3, 10)].tolist()
    assert segment(values) == [12]
    smaller = segment([*values[:12], *(v - 1.8 for v in values[12:])])  # a 4-sigma step
    assert len(smaller) == 1 and abs(smaller[0] - 12) <= 1


def test_segment_leaves_noise_alone() -> None:
    rng = np.random.default_rng(1)
    found = [segment(rng.normal(10, 0.5, 25).tolist()) for _ in range(50)]
    assert sum(bool(f) for f in found) <= 2


def test_short_or_flat_history_has_no_change() -> None:
    assert segment([1.0, 2.0, 3.0, 4.0, 5.0]) == []
    assert segment([3.0] * 10) == []


def test_change_points_name_endpoint_metric_and_first_run() -> None:
    rng = np.random.default_rng(2)
    history = []
    for i in range(14):
        slow = 13.0 if i >= 8 else 10.0
        run = make_run(
            rng, seconds=2, per_second=300, median_ms={"/a": 10.0, "/b": slow}, run_drift=0.02
        )
        history.append((100 + i, run))
    found = change_points(history)
    assert found, "the shift of /b was not found"
    assert {c.name for c in found} == {"/b"}
    p50 = [c for c in found if c.metric == "p50"]
    assert len(p50) == 1 and p50[0].run_id == 108
    assert p50[0].runs_before == 8 and p50[0].runs_after == 6
    assert 25.0 < p50[0].change_pct < 35.0 and p50[0].worse


def test_a_websocket_reply_time_that_shifts_is_a_change_point() -> None:
    rng = np.random.default_rng(3)
    history = []
    for i in range(14):
        run = make_run(rng, seconds=2, per_second=200, median_ms={"/ws/chat": 1.0}, run_drift=0.02)
        reply_ms = 8.0 if i >= 7 else 4.0
        replies = Histogram.from_values(
            int(v * 1000) for v in rng.lognormal(np.log(reply_ms), 0.05, 400)
        )
        (chat,) = run.endpoints
        chat = dataclasses.replace(chat, timings={"reply": replies}, counts={"msgs_received": 400})
        history.append((i + 1, dataclasses.replace(run, endpoints=(chat,))))
    found = change_points(history)
    reply = [c for c in found if c.metric == "reply_p50"]
    assert len(reply) == 1 and reply[0].run_id == 8 and reply[0].unit == "ms"
    assert 80.0 < reply[0].change_pct < 120.0 and reply[0].worse
    assert not [c for c in found if c.metric in ("p50", "first_event_p95")]
