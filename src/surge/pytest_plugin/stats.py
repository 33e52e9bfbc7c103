"""pytest-benchmark's view of a bench: `benchmark.stats` (its `Metadata`) and
`benchmark.stats.stats` (its `Stats`), in seconds, filled from surge's exact measurements.

Tests written for pytest-benchmark read them every way it allows — `benchmark.stats["mean"]`,
`benchmark.stats.stats.mean`, `benchmark.stats.get("mean")` — and, with surge, also
`benchmark.stats.mean`; `p95` and `p99` are there besides its fields.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from surge.metrics.bench import BenchEntry

_MS = 1e-3  # seconds in a millisecond


@dataclass(frozen=True, slots=True)
class Stats:
    """One bench's per-call times in seconds (pytest-benchmark's `Stats` fields, plus p95,
    p99 and iterations). `data` holds each round's per-call time, in order (empty for a
    concurrency sweep, whose figures are those of its peak-throughput level)."""

    fields: ClassVar[tuple[str, ...]] = (
        "min", "max", "mean", "stddev", "rounds", "median", "iqr", "q1", "q3", "iqr_outliers",
        "stddev_outliers", "outliers", "ld15iqr", "hd15iqr", "ops", "total",
    )  # fmt: skip

    min: float
    max: float
    mean: float
    stddev: float
    rounds: int
    median: float
    iqr: float
    q1: float
    q3: float
    iqr_outliers: int
    stddev_outliers: int
    ld15iqr: float
    hd15iqr: float
    ops: float
    total: float
    p95: float
    p99: float
    iterations: int
    data: tuple[float, ...] = ()

    @property
    def outliers(self) -> str:
        """`A;B`: rounds beyond one standard deviation; rounds beyond 1.5 IQR."""
        return f"{self.stddev_outliers};{self.iqr_outliers}"

    @property
    def stats(self) -> Stats:
        return self

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.fields}

    def __getitem__(self, key: str) -> Any:
        try:
            return getattr(self, key)
        except AttributeError:
            raise KeyError(key) from None

    def get(self, key: str, default: Any = None) -> Any:
        return getattr(self, key, default)

    def __bool__(self) -> bool:
        return self.rounds > 0


def _tukey_bounds(data: tuple[float, ...], q1: float, q3: float) -> tuple[float, float]:
    """The lowest and highest data within 1.5 IQR of the quartiles (pytest-benchmark's
    ld15iqr and hd15iqr)."""
    if not data:
        return q1, q3
    ordered = sorted(data)
    iqr = q3 - q1
    low = ordered[min(bisect.bisect_left(ordered, q1 - 1.5 * iqr), len(ordered) - 1)]
    high = ordered[max(bisect.bisect_right(ordered, q3 + 1.5 * iqr) - 1, 0)]
    return low, high


def stats_of(entry: BenchEntry) -> Stats:
    s = entry.stats
    iterations = max(s.iterations, 1)
    data = tuple(ns / iterations / 1e9 for ns in entry.sample_ns)
    q1, q3 = s.q1_ms * _MS, s.q3_ms * _MS
    low, high = _tukey_bounds(data, q1, q3)
    return Stats(
        min=s.min_ms * _MS,
        max=s.max_ms * _MS,
        mean=s.mean_ms * _MS,
        stddev=s.stddev_ms * _MS,
        rounds=s.rounds,
        median=s.median_ms * _MS,
        iqr=q3 - q1,
        q1=q1,
        q3=q3,
        iqr_outliers=s.outliers_iqr,
        stddev_outliers=s.outliers_stddev,
        ld15iqr=low,
        hd15iqr=high,
        ops=s.ops,
        total=sum(data) if data else s.total_s,
        p95=s.p95_ms * _MS,
        p99=s.p99_ms * _MS,
        iterations=s.iterations,
        data=data,
    )


def _no_options() -> Mapping[str, Any]:
    return {}


@dataclass(frozen=True, slots=True)
class Metadata:
    """`benchmark.stats`: the test's names and `extra_info`, and `stats` (a `Stats`). Its
    fields are also read straight off it: `benchmark.stats.mean`, `benchmark.stats["mean"]`."""

    name: str
    fullname: str
    group: str | None
    param: str | None
    params: Mapping[str, Any] | None
    extra_info: dict[str, Any]
    stats: Stats
    options: Mapping[str, Any] = field(default_factory=_no_options)

    @property
    def iterations(self) -> int:
        return self.stats.iterations

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        try:
            return getattr(self.stats, name)
        except AttributeError:
            raise AttributeError(
                f"benchmark.stats has no {name!r}; its figures: {', '.join(Stats.fields)}, "
                "p95, p99, iterations, data"
            ) from None

    def __getitem__(self, key: str) -> Any:
        try:
            return getattr(self.stats, key)
        except AttributeError:
            try:
                return object.__getattribute__(self, key)
            except AttributeError:
                raise KeyError(key) from None

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default

    def __bool__(self) -> bool:
        return bool(self.stats)

    def as_dict(
        self, include_data: bool = True, flat: bool = False, stats: bool = True
    ) -> dict[str, Any]:
        """The entry of pytest-benchmark's JSON document for this bench."""
        out: dict[str, Any] = {
            "group": self.group,
            "name": self.name,
            "fullname": self.fullname,
            "params": dict(self.params) if self.params is not None else None,
            "param": self.param,
            "extra_info": dict(self.extra_info),
            "options": dict(self.options),
        }
        if stats:
            figures = self.stats.as_dict()
            if include_data:
                figures["data"] = list(self.stats.data)
            figures["iterations"] = self.stats.iterations
            if flat:
                out.update(figures)
            else:
                out["stats"] = figures
        return out
