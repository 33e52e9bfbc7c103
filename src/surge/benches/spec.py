"""A bench, fully specified and validated before anything runs: `BenchSpec`.

`spec_from_options` turns what a user wrote (`surge.benchmark(...)` keywords, `@surge.bench(...)`
options) into a frozen spec, raising ValueError/TypeError that says which option was wrong and
how to write it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from surge.benches.calls import Call, flavor_of
from surge.benches.memory import DEFAULT_MEMORY_CALLS
from surge.benches.queries import engines_of
from surge.benches.serial import MAX_ROUNDS, MIN_ROUNDS, Plan
from surge.metrics.bench import BenchKind, Flavor
from surge.thresholds import Threshold, ThresholdError, ThresholdSpec, parse_threshold
from surge.thresholds.bench import validate_bench
from surge.units import parse_duration

DEFAULT_DURATION_S = 1.0
MAX_CONCURRENCY = 10_000


def _no_extra() -> Mapping[str, Any]:
    return {}


@dataclass(frozen=True, slots=True)
class BenchSpec:
    """What to run and how: the call, the sampling plan, a sweep, memory, queries, thresholds."""

    call: Call
    name: str
    kind: BenchKind = BenchKind.CALLABLE
    plan: Plan = field(default_factory=Plan)
    concurrency: tuple[int, ...] = ()
    processes: bool = False
    thresholds: tuple[ThresholdSpec, ...] = ()
    memory_calls: int = 0
    count_queries: tuple[Any, ...] = ()
    group: str | None = None
    extra: Mapping[str, Any] = field(default_factory=_no_extra)

    @property
    def flavor(self) -> Flavor:
        return self.call.flavor

    @property
    def sweep(self) -> bool:
        return bool(self.concurrency)


def name_of(fn: Callable[..., Any]) -> str:
    return str(getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None) or repr(fn))


def kind_of(value: BenchKind | str) -> BenchKind:
    if isinstance(value, BenchKind):
        return value
    try:
        return BenchKind(str(value).lower())
    except ValueError:
        known = ", ".join(k.value for k in BenchKind)
        raise ValueError(
            f"kind: unknown kind {value!r}; use surge.Kind.X or one of: {known}"
        ) from None


def thresholds_of(value: Any, where: str) -> tuple[ThresholdSpec, ...]:
    """`p95<5ms`, a surge.Threshold, or a list of either, as ThresholdSpecs (ValueError)."""
    if value is None:
        return ()
    items: Iterable[Any] = (value,) if isinstance(value, str | Threshold) else value
    specs: list[ThresholdSpec] = []
    try:
        for item in items:
            if isinstance(item, Threshold):
                specs.extend(item.specs(where=where))
            elif isinstance(item, str):
                specs.append(parse_threshold(item, where=where))
            else:
                raise ThresholdError(
                    "a threshold is an expression like 'p95<5ms' or a surge.Threshold(...), "
                    f"got {type(item).__name__} {item!r}",
                    where=where,
                )
        validate_bench(specs)
    except ThresholdError as exc:
        raise ValueError(str(exc)) from None
    return tuple(specs)


def concurrency_of(value: int | Sequence[int] | None) -> tuple[int, ...]:
    if value is None:
        return ()
    levels = (value,) if isinstance(value, int) else tuple(value)
    for level in levels:
        if (
            isinstance(level, bool)
            or not isinstance(level, int)
            or not 1 <= level <= MAX_CONCURRENCY
        ):
            raise ValueError(
                f"concurrency: levels are whole numbers from 1 to {MAX_CONCURRENCY}, "
                f"e.g. [1, 5, 10, 20, 50]; got {level!r}"
            )
    if not levels:
        raise ValueError("concurrency: give at least one level, e.g. [1, 5, 10]")
    return tuple(sorted(set(levels)))


def memory_calls_of(value: bool | int | None) -> int:
    if value is None or value is False:
        return 0
    if value is True:
        return DEFAULT_MEMORY_CALLS
    if isinstance(value, int) and value >= 1:
        return value
    raise ValueError(f"memory: True, False or a number of calls (at least 1), got {value!r}")


def duration_of(value: float | str | None) -> float:
    if value is None:
        return DEFAULT_DURATION_S
    try:
        seconds = parse_duration(value)
    except ValueError as exc:
        raise ValueError(f"duration: {exc}") from None
    if seconds <= 0:
        raise ValueError(f"duration must be more than 0, got {value!r}")
    return seconds


def spec_from_options(
    fn: Callable[..., Any],
    args: Sequence[Any] = (),
    kwargs: Mapping[str, Any] | None = None,
    **options: Any,
) -> BenchSpec:
    """A validated BenchSpec from `surge.benchmark` / `@surge.bench` options; the pytest
    plugin's fixture also passes `min_rounds`, `exact` (pedantic) and `raise_errors`."""
    if not callable(fn):
        raise TypeError(f"surge.benchmark needs a callable, got {type(fn).__name__} {fn!r}")
    setup, teardown = options.get("setup"), options.get("teardown")
    for label, hook in (("setup", setup), ("teardown", teardown)):
        if hook is not None and not callable(hook):
            raise TypeError(f"{label} must be a callable, got {hook!r}")
    call = Call(fn, tuple(args), dict(kwargs or {}), setup, teardown)
    name = options.get("name") or name_of(fn)
    min_rounds = options.get("min_rounds") or MIN_ROUNDS
    plan = Plan(
        rounds=options.get("rounds"),
        iterations=options.get("iterations"),
        warmup=options.get("warmup"),
        duration_s=duration_of(options.get("duration")),
        min_rounds=min_rounds,
        max_rounds=max(MAX_ROUNDS, min_rounds),
        disable_gc=bool(options.get("disable_gc", True)),
        exact=bool(options.get("exact", False)),
        raise_errors=bool(options.get("raise_errors", False)),
    )
    processes = bool(options.get("processes", False))
    concurrency = concurrency_of(options.get("concurrency"))
    if processes and flavor_of(fn) is Flavor.ASYNC:
        raise ValueError("processes=True runs sync callables; an async callable sweeps as tasks")
    if processes and not concurrency:
        raise ValueError("processes=True needs concurrency levels, e.g. concurrency=[1, 2, 4]")
    queries = options.get("count_queries")
    return BenchSpec(
        call=call,
        name=str(name),
        kind=kind_of(options.get("kind") or BenchKind.CALLABLE),
        plan=plan,
        concurrency=concurrency,
        processes=processes,
        thresholds=thresholds_of(options.get("thresholds"), f"bench {name!r}"),
        memory_calls=memory_calls_of(options.get("memory")),
        count_queries=() if queries is None else engines_of(queries),
        group=options.get("group"),
        extra=dict(options.get("extra") or {}),
    )
