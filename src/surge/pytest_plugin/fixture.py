"""The `surge_benchmark` fixture (and `benchmark`, when pytest-benchmark is absent): pytest-
benchmark's calls, measured by surge's bench engine.

    def test_render(benchmark):
        html = benchmark(render, page)          # fn's result
        assert benchmark.stats.mean < 0.001     # seconds, as pytest-benchmark

`benchmark(fn, *args, **kwargs)` is a calibrated bench of `surge.benchmark`; `pedantic(...)` is
exactly the rounds asked for (the engine's `exact` plan); `sweep(fn, concurrency=[...])` a
concurrency sweep. A call that raises fails the test with its exception, as pytest-benchmark
does. Options come from `@pytest.mark.benchmark(...)` over the session's settings.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pytest

from surge.benches import BenchResult, BenchSpec, Call, bench_loop, run_spec, spec_from_options
from surge.benches.calls import close_bench_loop
from surge.metrics.bench import Flavor
from surge.pytest_plugin.stats import Metadata, stats_of
from surge_pytest.options import XDIST_GROUP

if TYPE_CHECKING:
    from surge.pytest_plugin.session import SurgeSession

# pytest-benchmark's marker keywords surge honours, and those it accepts without effect
MARK_OPTIONS = frozenset(
    {"group", "min_rounds", "max_time", "warmup", "disable_gc", "kind", "thresholds"}
)
MARK_IGNORED = frozenset(
    {"min_time", "timer", "precision", "confidence", "calibration_precision",
     "warmup_iterations", "cprofile"}
)  # fmt: skip


class FixtureAlreadyUsed(Exception):
    """A test used its benchmark fixture twice (pytest-benchmark's rule: one bench a test)."""


def marker_options(node: pytest.Item) -> dict[str, Any]:
    """`@pytest.mark.benchmark(...)`'s keywords; ValueError for one neither tool knows."""
    marker = node.get_closest_marker("benchmark")
    if marker is None:
        return {}
    if marker.args:
        raise ValueError("the benchmark mark takes keyword arguments only, e.g. group='io'")
    unknown = sorted(set(marker.kwargs) - MARK_OPTIONS - MARK_IGNORED)
    if unknown:
        known = ", ".join(sorted(MARK_OPTIONS))
        raise ValueError(f"benchmark mark can't have {unknown[0]!r} keyword argument ({known})")
    return {k: v for k, v in marker.kwargs.items() if k in MARK_OPTIONS}


def _warmup(value: Any) -> int | None:
    if value is True or value is None:
        return None
    if value is False:
        return 0
    return int(value)


def _in_worker_thread(fn: Callable[[], Any]) -> Any:
    """Run `fn` on a thread of its own (the test runs an event loop on this one), closing the
    bench loop an async bench made there."""

    def run() -> Any:
        try:
            return fn()
        finally:
            close_bench_loop()

    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="surge-bench") as pool:
        return pool.submit(run).result()


def off_loop(fn: Callable[[], Any]) -> Any:
    """`fn()` here, or on a thread of its own when this thread runs an event loop (an async
    test): the bench engine runs its own loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return fn()
    return _in_worker_thread(fn)


class BenchmarkFixture:
    """One test's benchmark: call it, or `pedantic`, or `sweep` — once."""

    def __init__(self, request: pytest.FixtureRequest, session: SurgeSession) -> None:
        node = request.node
        self._node = node
        self._session = session
        self.name: str = node.name
        self.fullname: str = node.nodeid.removesuffix("@" + XDIST_GROUP)
        callspec = getattr(node, "callspec", None)
        self.param: str | None = callspec.id if callspec is not None else None
        self.params: dict[str, Any] | None = dict(callspec.params) if callspec else None
        self._marked = marker_options(node)
        self.group: str | None = self._marked.get("group")
        self.extra_info: dict[str, Any] = {}
        self.stats: Metadata | None = None
        self.result: BenchResult | None = None
        self.disabled: bool = session.settings.disable
        self._mode: str | None = None

    @property
    def enabled(self) -> bool:
        return not self.disabled

    # -- pytest-benchmark's calls

    def __call__(self, function_to_benchmark: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        self._use("benchmark(...)")
        if self.disabled:
            return self._once(Call(function_to_benchmark, args, kwargs))
        spec = self._spec(function_to_benchmark, args, kwargs)
        return self._measure(spec).value

    def pedantic(
        self,
        target: Callable[..., Any],
        args: Sequence[Any] = (),
        kwargs: Mapping[str, Any] | None = None,
        setup: Callable[[], Any] | None = None,
        teardown: Callable[..., Any] | None = None,
        rounds: int = 1,
        warmup_rounds: int = 0,
        iterations: int = 1,
    ) -> Any:
        """Exactly `warmup_rounds` then `rounds` rounds of `iterations` calls; `setup` before
        each round (it may return `(args, kwargs)`), `teardown` after. Returns the last call's
        value."""
        self._use("benchmark.pedantic(...)")
        for label, value, low in (("iterations", iterations, 1), ("rounds", rounds, 1),
                                  ("warmup_rounds", warmup_rounds, 0)):  # fmt: skip
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ValueError(f"Must have positive int for `{label}`.")
        if iterations > 1 and setup is not None:
            raise ValueError("Can't use more than 1 `iterations` with a `setup` function.")
        hook = _setup_checked(setup, bool(args or kwargs))
        call = Call(target, tuple(args), dict(kwargs or {}), hook, teardown)
        if self.disabled:
            return self._once(call)
        spec = self._spec(
            target, args, kwargs or {}, setup=hook, teardown=teardown, rounds=rounds,
            warmup=warmup_rounds, iterations=iterations, exact=True,
        )  # fmt: skip
        return self._measure(spec).value

    def sweep(
        self,
        fn: Callable[..., Any],
        *args: Any,
        concurrency: int | Sequence[int],
        duration: float | str | None = None,
        processes: bool = False,
        thresholds: Any = None,
        **kwargs: Any,
    ) -> BenchResult | None:
        """A concurrency sweep (surge): `fn` with that many callers at once, level by level.
        Returns the BenchResult (`levels`, `peak_level`); `stats` are the peak level's."""
        self._use("benchmark.sweep(...)")
        if self.disabled:
            self._once(Call(fn, args, kwargs))
            return None
        spec = self._spec(
            fn, args, kwargs, concurrency=concurrency, processes=processes,
            duration=duration if duration is not None else self._duration(),
            thresholds=[*self._thresholds(), *_listed(thresholds)], raise_errors=False,
        )  # fmt: skip
        return self._measure(spec)

    # -- the rest

    def _use(self, mode: str) -> None:
        if self._mode is not None:
            raise FixtureAlreadyUsed(
                f"Fixture can only be used once. Previously it was used in {self._mode} mode. "
                "(one bench a test; surge.benchmark(...) measures more)"
            )
        self._mode = mode

    def _duration(self) -> float | None:
        marked = self._marked.get("max_time")
        return marked if marked is not None else self._session.settings.max_time

    def _thresholds(self) -> list[Any]:
        return _listed(self._marked.get("thresholds"))

    def _spec(
        self, fn: Callable[..., Any], args: Sequence[Any], kwargs: Mapping[str, Any], **options: Any
    ) -> BenchSpec:
        settings = self._session.settings
        marked = self._marked
        base: dict[str, Any] = {
            "name": self.fullname,
            "kind": marked.get("kind"),
            "group": self.group,
            "duration": self._duration(),
            "min_rounds": marked.get("min_rounds", settings.min_rounds),
            "warmup": _warmup(marked["warmup"]) if "warmup" in marked else settings.warmup,
            "disable_gc": marked.get("disable_gc", True) is not False,
            "thresholds": self._thresholds(),
            "raise_errors": True,
        }
        base.update(options)
        if base.get("exact"):
            base.pop("duration")
        return spec_from_options(fn, args, kwargs, **base)

    def _measure(self, spec: BenchSpec) -> BenchResult:
        result: BenchResult = off_loop(lambda: run_spec(spec))
        self.result = result
        self.stats = Metadata(
            name=self.name,
            fullname=self.fullname,
            group=self.group,
            param=self.param,
            params=self.params,
            extra_info=self.extra_info,
            stats=stats_of(result.entry),
            options={"max_time": spec.plan.duration_s, "min_rounds": spec.plan.min_rounds,
                     "warmup": spec.plan.warmup, "disable_gc": spec.plan.disable_gc},
        )  # fmt: skip
        self._record_properties(result)
        if not result.passed:
            from surge.report.bench_text import details

            lines = "\n".join(details(result.entry))
            raise AssertionError(f"{self.name}: a threshold failed\n{lines}")
        return result

    def _once(self, call: Call) -> Any:
        prepared = call.prepared()
        try:
            if call.flavor is Flavor.ASYNC:
                return off_loop(lambda: prepared.once(bench_loop()))
            return prepared.once(None)
        finally:
            prepared.finish()

    def _record_properties(self, result: BenchResult) -> None:
        s = result.stats
        figures = {
            "surge_mean_s": s.mean_ms / 1e3, "surge_median_s": s.median_ms / 1e3,
            "surge_p95_s": s.p95_ms / 1e3, "surge_p99_s": s.p99_ms / 1e3,
            "surge_ops": s.ops, "surge_rounds": s.rounds,
        }  # fmt: skip
        for key, value in figures.items():
            self._node.user_properties.append((key, f"{value:.6g}"))

    def close(self) -> None:
        """At the test's end: the bench (with `extra_info` as the test left it) joins the
        session's run."""
        if self.result is not None:
            self._session.record(self.result, self.extra_info, self.params)


def _listed(value: Any) -> list[Any]:
    if value is None:
        return []
    return [value] if isinstance(value, str) or not isinstance(value, list | tuple) else list(value)


def _setup_checked(setup: Callable[[], Any] | None, has_args: bool) -> Callable[[], Any] | None:
    if setup is None or not has_args:
        return setup

    def checked() -> Any:
        made = setup()
        if made:
            raise TypeError("Can't use `args` or `kwargs` if `setup` returns the arguments.")
        return made

    return checked
