"""Concurrency levels on processes (`processes=True`): CPU-bound callables, free of the GIL.

One pool of spawned processes, as many as the highest level, serves every level. Each caller
receives the callable by reference (module, qualified name and file, so that a bench file loaded
by path is found again in the child), waits for a common start time on the shared monotonic
clock (`perf_counter_ns` is CLOCK_MONOTONIC: the same in every process of the machine), calls
until the level's deadline and sends its log back.
"""

from __future__ import annotations

import importlib
import importlib.util
import itertools
import multiprocessing
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from surge.benches.calls import Call
from surge.benches.sweep import CallerLog, LevelWindow, run_caller

START_DELAY_S = 0.2  # callers are handed a start time this far ahead, so all start together
_PING_S = 0.05


@dataclass(frozen=True, slots=True)
class FunctionRef:
    """A module-level function by name, found again in a spawned process."""

    module: str
    qualname: str
    path: str | None

    def resolve(self) -> Callable[..., Any]:
        module = sys.modules.get(self.module) or _load(self.module, self.path)
        target: Any = module
        for part in self.qualname.split("."):
            target = getattr(target, part)
        fn = getattr(target, "__wrapped_bench__", target)
        assert callable(fn)
        return fn  # type: ignore[no-any-return]


def _load(name: str, path: str | None) -> ModuleType:
    try:
        return importlib.import_module(name)
    except ImportError:
        if path is None:
            raise
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def reference(fn: Callable[..., Any]) -> FunctionRef | Callable[..., Any]:
    """A FunctionRef for a module-level function, else the callable itself (pickled as is)."""
    qualname = getattr(fn, "__qualname__", "")
    module_name = getattr(fn, "__module__", None)
    if not module_name or "<" in qualname:
        return fn
    module = sys.modules.get(module_name)
    path = getattr(module, "__file__", None)
    return FunctionRef(module_name, qualname, path)


def _ping() -> None:
    time.sleep(_PING_S)


def _caller(
    target: Any, args: Sequence[Any], kwargs: dict[str, Any], window: LevelWindow
) -> CallerLog:
    fn = target.resolve() if isinstance(target, FunctionRef) else target
    clock = time.perf_counter_ns
    pause = (window.start_ns - clock()) / 1e9
    if pause > 0:
        time.sleep(pause)
    return run_caller(Call(fn, args, kwargs), window, clock, itertools.count())


class ProcessPool:
    """Spawned worker processes for every level of one sweep (a context manager)."""

    def __init__(self, size: int) -> None:
        context = multiprocessing.get_context("spawn")
        self._pool = ProcessPoolExecutor(max_workers=size, mp_context=context)
        list(self._pool.map(_noop_wait, range(size)))  # start every process before timing

    def level(
        self,
        call: Call,
        concurrency: int,
        *,
        duration_s: float,
        warmup_share: float = 0.1,
        max_calls: int | None = None,
    ) -> tuple[LevelWindow, list[CallerLog]]:
        start = time.perf_counter_ns() + int(START_DELAY_S * 1e9)
        record_from = start + int(duration_s * warmup_share * 1e9)
        per_caller = None if max_calls is None else -(-max_calls // concurrency)
        window = LevelWindow(start, record_from, record_from + int(duration_s * 1e9), per_caller)
        target = reference(call.fn)
        futures = [
            self._pool.submit(_caller, target, tuple(call.args), dict(call.kwargs), window)
            for _ in range(concurrency)
        ]
        return window, [f.result() for f in futures]

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> ProcessPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _noop_wait(_: int) -> None:
    _ping()
