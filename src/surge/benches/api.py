"""The Python API: `surge.benchmark(fn, ...)`, `@surge.bench(...)` and `BenchResult`.

    result = surge.benchmark(fetch_user, 42, kind=surge.Kind.DATABASE_QUERY,
                             thresholds=["p95<5ms"], count_queries=engine)
    result.stats.p95_ms, result.stats.ops, result.passed, result.to_json()

`@surge.bench(...)` marks a function as a bench with its options (for `surge bench FILE.py`) and
returns the function unchanged, so it stays callable and importable; `surge.benchmark` of a
marked function uses the marked options, the keywords given win.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar, overload

from surge.benches.calls import Clock
from surge.benches.run import run_bench
from surge.benches.spec import BenchSpec, spec_from_options
from surge.metrics.bench import (
    BenchEntry,
    BenchKind,
    BenchLevel,
    BenchMemory,
    BenchStats,
    Calibration,
)
from surge.metrics.threshold_verdict import ThresholdVerdict

F = TypeVar("F", bound=Callable[..., Any])

MARK = "__surge_bench__"
OPTION_NAMES = frozenset(
    {
        "name", "kind", "iterations", "warmup", "duration", "rounds", "setup", "teardown",
        "concurrency", "thresholds", "memory", "processes", "disable_gc", "count_queries",
        "group", "extra",
    }
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class BenchResult:
    """One bench's result: `stats`, `levels` of a sweep, `passed`, `to_json()`.

    `entry` holds everything measured (the value stored runs keep); `value` is what the callable
    returned on its first call (None for a sweep).
    """

    entry: BenchEntry
    value: Any = field(default=None, compare=False, repr=False)

    @property
    def name(self) -> str:
        return self.entry.name

    @property
    def kind(self) -> BenchKind:
        return self.entry.kind

    @property
    def stats(self) -> BenchStats:
        return self.entry.stats

    @property
    def levels(self) -> tuple[BenchLevel, ...]:
        return self.entry.levels

    @property
    def peak_level(self) -> BenchLevel | None:
        return self.entry.peak_level

    @property
    def first_failing_level(self) -> BenchLevel | None:
        return self.entry.first_failing_level

    @property
    def memory(self) -> BenchMemory | None:
        return self.entry.memory

    @property
    def queries_per_call(self) -> float | None:
        return self.entry.queries_per_call

    @property
    def errors(self) -> Mapping[str, int]:
        """Calls that raised, by exception type (of the peak level in a sweep)."""
        return self.entry.errors_by_type

    @property
    def calibration(self) -> Calibration:
        return self.entry.calibration

    @property
    def thresholds(self) -> tuple[ThresholdVerdict, ...]:
        """Verdicts on the bench (serial) or on its memory and queries (sweep; each level has
        its own `level.thresholds`)."""
        return self.entry.thresholds

    @property
    def passed(self) -> bool:
        return self.entry.passed

    def to_dict(self) -> dict[str, Any]:
        from surge.report.bench_json import bench_document

        return bench_document(self.entry)

    def to_json(self, *, indent: int | None = 2) -> str:
        """The bench as a JSON document (docs/benchmarks-python.md#json)."""
        import json

        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    def table(self) -> str:
        """The text table `surge bench` prints (times scaled to one unit)."""
        from surge.report.bench_text import bench_tables

        return bench_tables([self.entry])

    def __str__(self) -> str:
        return self.table()


def _merged(fn: Callable[..., Any], options: Mapping[str, Any]) -> dict[str, Any]:
    marked: Mapping[str, Any] = getattr(fn, MARK, {})
    merged = dict(marked)
    merged.update({k: v for k, v in options.items() if v is not None})
    return merged


def benchmark(
    fn: Callable[..., Any],
    *args: Any,
    name: str | None = None,
    kind: BenchKind | str | None = None,
    iterations: int | None = None,
    warmup: int | None = None,
    duration: float | str | None = None,
    rounds: int | None = None,
    setup: Callable[[], Any] | None = None,
    teardown: Callable[..., Any] | None = None,
    concurrency: int | Sequence[int] | None = None,
    thresholds: Any = None,
    memory: bool | int | None = None,
    processes: bool | None = None,
    disable_gc: bool | None = None,
    count_queries: Any = None,
    group: str | None = None,
    extra: Mapping[str, Any] | None = None,
    clock: Clock = time.perf_counter_ns,
    **kwargs: Any,
) -> BenchResult:
    """Benchmark `fn(*args, **kwargs)` (sync or async) and return its BenchResult.

    Options (docs/benchmarks-python.md): `iterations` calls per round (default: calibrated),
    `rounds` (default: as many as fit in `duration`, 1 s), `warmup` rounds (default: about a
    tenth of the duration), `setup`/`teardown` around every round, `concurrency` levels for a
    sweep (`processes=True`: processes instead of threads), `thresholds` (`"p95<5ms"`,
    `surge.Threshold(...)` or a list), `memory` (True or a number of calls), `disable_gc`
    (default True), `count_queries` (SQLAlchemy engines whose queries per call are counted).
    The names of these options cannot be passed through to `fn` as keywords; use
    `functools.partial` for such a function.
    """
    options = {
        "name": name, "kind": kind, "iterations": iterations, "warmup": warmup,
        "duration": duration, "rounds": rounds, "setup": setup, "teardown": teardown,
        "concurrency": concurrency, "thresholds": thresholds, "memory": memory,
        "processes": processes, "disable_gc": disable_gc, "count_queries": count_queries,
        "group": group, "extra": extra,
    }  # fmt: skip
    spec = spec_from_options(fn, args, kwargs, **_merged(fn, options))
    return run_spec(spec, clock=clock)


def run_spec(spec: BenchSpec, *, clock: Clock = time.perf_counter_ns) -> BenchResult:
    ran = run_bench(spec, clock=clock)
    return BenchResult(ran.entry, ran.value)


@overload
def bench(fn: F, /) -> F: ...


@overload
def bench(fn: None = None, /, **options: Any) -> Callable[[F], F]: ...


def bench(fn: Any = None, /, **options: Any) -> Any:
    """Mark a function as a bench: `@surge.bench` or `@surge.bench(kind=..., thresholds=[...])`.

    Takes the options of `surge.benchmark` (not the callable's arguments: give those with
    `setup`, which returns `(args, kwargs)`). The function is returned unchanged.
    """
    unknown = sorted(set(options) - OPTION_NAMES)
    if unknown:
        raise TypeError(
            f"surge.bench: unknown option(s) {', '.join(unknown)}; "
            f"options are: {', '.join(sorted(OPTION_NAMES))}"
        )

    def mark(target: F) -> F:
        if not callable(target):
            raise TypeError(f"@surge.bench decorates a function, got {target!r}")
        spec_from_options(target, **options)  # validate now: errors point at the decorator
        setattr(target, MARK, dict(options))
        return target

    return mark(fn) if fn is not None else mark


def marked_options(fn: Callable[..., Any]) -> Mapping[str, Any] | None:
    """The options a function was marked with by `@surge.bench`, None if it was not."""
    found = getattr(fn, MARK, None)
    return found if isinstance(found, dict) else None
