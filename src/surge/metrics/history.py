"""A run's per-second history in bounded memory: spilled to a temporary file as the run goes.

Every second of the run, once all its snapshots are in, becomes one record (per-endpoint counts
and histograms of the second, all workers merged) appended to an anonymous temporary file; in
memory stay only the file offsets (24 bytes a second, whatever the number of endpoints). So the
generator's memory does not grow with the run's length: a one-hour run at 1,500 requests/s over
20 endpoints writes about 34 MB of history to the file, which kept as objects in memory took
about 0.6 GB.

The history is read back once, at the end, into the RunResult's `intervals` and `timeline` at a
resolution that keeps the result bounded too:

- `timeline`: one point per second up to `MAX_TIMELINE_POINTS` (an hour), beyond that one point
  per `ceil(seconds / MAX_TIMELINE_POINTS)` seconds;
- `intervals` (what compare's block bootstrap resamples and the store keeps): one per second up to
  `MAX_INTERVALS` (15 minutes), beyond that equal intervals of `ceil(seconds / MAX_INTERVALS)`
  seconds.

A coarser point or interval is exact for what it covers: counts add and histograms merge (the
percentile of a 2 s interval is the percentile of its requests, not an average of two seconds).
Widths are equal within a run, so every interval weighs the same in a bootstrap resample.
"""

from __future__ import annotations

import dataclasses
import marshal
import math
import os
import tempfile
import weakref
import zlib
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from surge.metrics.histogram import Histogram
from surge.metrics.merge import merge_stats
from surge.metrics.values import (
    TOTAL_NAME,
    CheckCount,
    EndpointStats,
    Interval,
    TimelinePoint,
)

MAX_INTERVALS = 900
MAX_TIMELINE_POINTS = 3600
_COMPRESS_LEVEL = 1


@dataclass(frozen=True, slots=True)
class Second:
    """One second of the run, all workers merged: what a history record holds."""

    interval: Interval
    active_users: int
    target: float | None
    start_s: float  # unrounded bounds (the interval's are rounded to the millisecond)
    end_s: float


def width_for(seconds: int, limit: int) -> int:
    """Seconds per point so that `seconds` of run make at most `limit` points (at least 1)."""
    return max(1, math.ceil(seconds / limit)) if limit > 0 else 1


def _pack_histogram(h: Histogram) -> Any:
    if not h.total and not (h.min_us or h.max_us or h.sum_us):
        return None
    counts = h.counts
    wide = counts.size and int(counts.max()) >= 2**32
    return (
        h.indices.astype(np.uint16).tobytes(),
        counts.astype(np.int64 if wide else np.uint32).tobytes(),
        bool(wide),
        h.total,
        h.min_us,
        h.max_us,
        h.sum_us,
    )


def _unpack_histogram(data: Any) -> Histogram:
    if data is None:
        return Histogram.empty()
    raw_idx, raw_counts, wide, total, min_us, max_us, sum_us = data
    indices = np.frombuffer(raw_idx, dtype=np.uint16).astype(np.int64)
    counts = np.frombuffer(raw_counts, dtype=np.int64 if wide else np.uint32).astype(np.int64)
    return Histogram(indices, counts, total, min_us, max_us, sum_us)


def _pack_stats(s: EndpointStats) -> tuple[Any, ...]:
    plain = (
        s.method,
        s.name,
        s.requests,
        s.failures,
        s.bytes_received,
        s.incomplete,
        dict(s.status_codes),
        dict(s.errors),
        dict(s.error_messages),
        {name: (c.passes, c.fails) for name, c in s.checks.items()},
        _pack_histogram(s.latency),
        _pack_histogram(s.failure_latency),
        _pack_histogram(s.service_time),
        _pack_histogram(s.schedule_lag),
        s.retries,
    )
    if not (s.counts or s.timings or s.close_codes or s.protocols):
        return plain
    # inside WebSocket sessions and event streams (what compare judges per interval)
    timings = {name: _pack_histogram(h) for name, h in s.timings.items()}
    return (*plain, dict(s.counts), timings, dict(s.close_codes), dict(s.protocols))


def _unpack_stats(data: tuple[Any, ...]) -> EndpointStats:
    (method, name, requests, failures, nbytes, incomplete, status, errors, messages, checks) = data[
        :10
    ]
    latency, failure_latency, service_time, schedule_lag = (
        _unpack_histogram(h) for h in data[10:14]
    )
    return EndpointStats(
        method=method,
        name=name,
        requests=requests,
        failures=failures,
        bytes_received=nbytes,
        status_codes=status,
        errors=errors,
        error_messages=messages,
        latency=latency,
        failure_latency=failure_latency,
        incomplete=incomplete,
        checks={k: CheckCount(p, f) for k, (p, f) in checks.items()},
        service_time=service_time,
        schedule_lag=schedule_lag,
        retries=data[14],
        **(_unpack_protocol(data[15:]) if len(data) > 15 else {}),
    )


def _unpack_protocol(data: tuple[Any, ...]) -> dict[str, Any]:
    counts, timings, close_codes, protocols = data
    return {
        "counts": counts,
        "timings": {name: _unpack_histogram(h) for name, h in timings.items()},
        "close_codes": close_codes,
        "protocols": protocols,
    }


def encode_second(second: Second) -> bytes:
    """A record: marshal of plain values (the file is written and read by this process only)."""
    iv = second.interval
    plain = (
        iv.seq,
        iv.start_s,
        iv.end_s,
        second.active_users,
        second.target,
        second.start_s,
        second.end_s,
        tuple(_pack_stats(s) for s in iv.endpoints),
    )
    return zlib.compress(marshal.dumps(plain), _COMPRESS_LEVEL)


def decode_second(record: bytes) -> Second:
    seq, start_s, end_s, users, target, raw_start_s, raw_end_s, endpoints = marshal.loads(
        zlib.decompress(record)
    )
    interval = Interval(seq, start_s, end_s, tuple(_unpack_stats(e) for e in endpoints))
    return Second(interval, users, target, raw_start_s, raw_end_s)


def merge_intervals(seq: int, parts: Sequence[Interval]) -> Interval:
    """Intervals (seconds, or workers' parts of one second) as one: counts add per endpoint."""
    by_key: dict[tuple[str, str], list[EndpointStats]] = {}
    for part in parts:
        for stats in part.endpoints:
            by_key.setdefault(stats.key, []).append(stats)
    return Interval(
        seq=seq,
        start_s=round(min(p.start_s for p in parts), 3),
        end_s=round(max(p.end_s for p in parts), 3),
        endpoints=tuple(merge_stats(k[0], k[1], by_key[k]) for k in sorted(by_key)),
    )


def timeline_point(seconds: Sequence[Second]) -> TimelinePoint:
    """One point over consecutive seconds: counts and percentiles of all their requests; users
    and target as at the end of the last second."""
    merged = merge_stats("", TOTAL_NAME, (e for s in seconds for e in s.interval.endpoints))
    start_s = min(s.start_s for s in seconds)
    end_s = max(s.end_s for s in seconds)
    span = end_s - start_s
    summary = merged.latency.summary_ms()
    last = max(seconds, key=lambda s: s.interval.seq)
    return TimelinePoint(
        t_s=round(end_s, 3),
        requests=merged.requests,
        failures=merged.failures,
        rps=merged.requests / span if span > 0 else 0.0,
        p50_ms=summary["p50"],
        p95_ms=summary["p95"],
        p99_ms=summary["p99"],
        active_users=last.active_users,
        target=last.target,
    )


def _merge_same_seq(parts: Sequence[Second]) -> Second:
    """Records of one second (a worker's late snapshot is a record of its own): added up."""
    if len(parts) == 1:
        return parts[0]
    targets = [p.target for p in parts if p.target is not None]
    return Second(
        merge_intervals(parts[0].interval.seq, [p.interval for p in parts]),
        sum(p.active_users for p in parts),
        sum(targets) if targets else None,
        min(p.start_s for p in parts),
        max(p.end_s for p in parts),
    )


class _Bucket:
    """Consecutive seconds being gathered into one coarser point or interval."""

    def __init__(self) -> None:
        self.index = -1
        self.seconds: list[Second] = []


class History:
    """Seconds appended as the run goes, read back (any number of times) at bounded resolution."""

    def __init__(
        self,
        *,
        max_intervals: int = MAX_INTERVALS,
        max_points: int = MAX_TIMELINE_POINTS,
        directory: str | None = None,
    ) -> None:
        self.max_intervals = max_intervals
        self.max_points = max_points
        self._directory = directory
        self._fd: int | None = None
        self._closer: weakref.finalize[Any, History] | None = None
        self._memory: list[bytes] | None = None  # the records, when no file could be opened
        self._seqs = array("q")
        self._offsets = array("q")
        self._lengths = array("q")
        self._end = 0

    def __len__(self) -> int:
        return len(self._seqs)

    def open(self) -> None:
        """Open the file the seconds go to, now rather than at the first `append` (which the
        run makes on its event loop: a file created there stalls the loop for milliseconds).
        Without a file (no descriptor left, no temporary directory) the records stay in memory
        rather than lose the run."""
        if self._fd is None and self._memory is None:
            try:
                self._open_file()
            except OSError:
                self._memory = []

    def append(self, second: Second) -> None:
        record = encode_second(second)
        self.open()
        if self._memory is not None:
            self._memory.append(record)
        else:
            assert self._fd is not None
            written = 0
            while written < len(record):
                written += os.pwrite(self._fd, record[written:], self._end + written)
        self._seqs.append(second.interval.seq)
        self._offsets.append(self._end)
        self._lengths.append(len(record))
        self._end += len(record)

    def _open_file(self) -> None:
        """An unnamed file: unlinked at once, its descriptor closed when this history is closed
        or collected (so nothing is left behind, even when the process is killed)."""
        fd, path = tempfile.mkstemp(prefix="surge-history-", dir=self._directory)
        os.unlink(path)
        self._fd = fd
        self._closer = weakref.finalize(self, os.close, fd)

    def _read(self, i: int) -> bytes:
        if self._memory is not None:
            return self._memory[i]
        assert self._fd is not None
        length, offset = self._lengths[i], self._offsets[i]
        data = os.pread(self._fd, length, offset)
        while len(data) < length:
            more = os.pread(self._fd, length - len(data), offset + len(data))
            if not more:
                raise OSError(f"the run's history file ended early at byte {offset + len(data)}")
            data += more
        return data

    def seconds(self) -> Iterator[Second]:
        """Every second in `seq` order, records of the same second merged."""
        if self._fd is None and self._memory is None:
            return
        order = sorted(range(len(self._seqs)), key=lambda i: (self._seqs[i], i))
        pending: list[Second] = []
        for i in order:
            second = decode_second(self._read(i))
            if pending and pending[0].interval.seq != second.interval.seq:
                yield _merge_same_seq(pending)
                pending = []
            pending.append(second)
        if pending:
            yield _merge_same_seq(pending)

    def span_seconds(self) -> int:
        """How many one-second slots the history covers (from seq 0 to the last)."""
        return max(self._seqs) + 1 if self._seqs else 0

    def read(self) -> tuple[tuple[Interval, ...], tuple[TimelinePoint, ...]]:
        """The intervals and the timeline, each at the resolution its limit allows."""
        span = self.span_seconds()
        iv_width, tl_width = width_for(span, self.max_intervals), width_for(span, self.max_points)
        intervals: list[Interval] = []
        points: list[TimelinePoint] = []
        iv_bucket, tl_bucket = _Bucket(), _Bucket()
        for second in self.seconds():
            seq = second.interval.seq
            if seq // iv_width != iv_bucket.index:
                _close_interval(iv_bucket, intervals)
                iv_bucket.index = seq // iv_width
            if seq // tl_width != tl_bucket.index:
                _close_point(tl_bucket, points)
                tl_bucket.index = seq // tl_width
            iv_bucket.seconds.append(second)
            tl_bucket.seconds.append(second)
        _close_interval(iv_bucket, intervals)
        _close_point(tl_bucket, points)
        return tuple(intervals), tuple(points)

    def close(self) -> None:
        if self._closer is not None:
            self._closer()
        self._fd = self._closer = self._memory = None
        self._seqs, self._offsets, self._lengths, self._end = array("q"), array("q"), array("q"), 0


def _close_interval(bucket: _Bucket, out: list[Interval]) -> None:
    if not bucket.seconds:
        return
    if len(bucket.seconds) == 1:
        out.append(dataclasses.replace(bucket.seconds[0].interval, seq=bucket.index))
    else:
        out.append(merge_intervals(bucket.index, [s.interval for s in bucket.seconds]))
    bucket.seconds = []


def _close_point(bucket: _Bucket, out: list[TimelinePoint]) -> None:
    if bucket.seconds:
        out.append(timeline_point(bucket.seconds))
        bucket.seconds = []
