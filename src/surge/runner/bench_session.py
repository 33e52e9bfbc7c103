"""A run of the benches of a file (`surge bench FILE.py`): discovered and checked before anything
runs, measured one after another, then put through the same post-run steps as a load run — the
store, `compare_to`, the report files and the exit verdict — as one RunResult of mode `bench`.

A signal (SIGINT, SIGTERM) stops after the bench in progress is abandoned: the benches finished
so far are stored and written, marked aborted, and the exit code is 130/143 as for `surge run`.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any, TextIO

from surge.benches import BenchResult, run_spec
from surge.benches.discover import DiscoveryError, discover
from surge.benches.record import run_result
from surge.benches.spec import BenchSpec, thresholds_of
from surge.config import RunConfig
from surge.metrics import RunResult
from surge.runner.jobs import InputError
from surge.runner.observer import Observers, RunObserver
from surge.runner.reports import write_reports
from surge.runner.session import Runs, _open_store, _prepare_compare
from surge.runner.store_step import store_run
from surge.runner.verdict import run_exit_code
from surge.thresholds import ThresholdError
from surge.thresholds.bench import validate_bench


class _Terminated(Exception):
    """SIGTERM while benches run (SIGINT arrives as KeyboardInterrupt)."""


def plan_benches(
    path: Path, pattern: str | None, config: RunConfig, duration_s: float | None = None
) -> list[BenchSpec]:
    """The file's benches, with `config.threshold` added to each and `duration_s` as the
    default duration; InputError (exit 2) for a bad file, option or threshold."""
    defaults: dict[str, Any] = {}
    if duration_s is not None:
        defaults["duration"] = duration_s
    try:
        specs = discover(path, pattern, defaults)
        extra = thresholds_of(list(config.threshold), "--threshold")
        validate_bench(extra, [s.name for s in specs])
    except (DiscoveryError, ValueError, ThresholdError) as exc:
        raise InputError(str(exc)) from None
    if not extra:
        return specs
    return [replace(spec, thresholds=spec.thresholds + extra) for spec in specs]


@contextmanager
def _sigterm_raises() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: object) -> None:
        raise _Terminated

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def measure(
    specs: Sequence[BenchSpec], observers: Observers
) -> tuple[list[BenchResult], str | None]:
    """Every bench in turn; the signal that stopped them, if any."""
    results: list[BenchResult] = []
    with _sigterm_raises():
        for index, spec in enumerate(specs, start=1):
            observers.info(f"bench {index}/{len(specs)}: {spec.name}")
            try:
                results.append(run_spec(spec))
            except KeyboardInterrupt:
                return results, "SIGINT"
            except _Terminated:
                return results, "SIGTERM"
    return results, None


def bench_result(
    results: Sequence[BenchResult],
    path: Path,
    pattern: str | None,
    config: RunConfig,
    signal_name: str | None,
    duration_s: float | None = None,
) -> RunResult:
    options: dict[str, Any] = {
        "file": str(path),
        "pattern": pattern,
        "duration": duration_s,
        "threshold": list(config.threshold),
        "benches": [r.name for r in results],
    }
    options.update({k: v for k, v in config.as_options().items() if k in _RECORDED})
    return run_result(
        [r.entry for r in results],
        name=config.name or path.stem,
        target=str(path),
        options=options,
        aborted=signal_name is not None,
        abort_reason=signal_name,
    )


_RECORDED = ("name", "compare_to", "tolerance", "out", "csv", "junit", "html", "report_text")


def run_bench_file(
    path: Path,
    pattern: str | None,
    config: RunConfig,
    observers: Iterable[RunObserver] = (),
    *,
    duration_s: float | None = None,
    stdout: TextIO | None = None,
) -> tuple[Runs, tuple[BenchResult, ...]]:
    """Run the benches of `path` under `config` and the post-run steps of every run; the Runs
    (exit code, store id, comparison) and the benches' own results."""
    told = Observers(observers)
    specs = plan_benches(path, pattern, config, duration_s)
    pending = _open_store(config)
    step = _prepare_compare(pending, config, told)
    try:
        results, signal_name = measure(specs, told)
        result = bench_result(results, path, pattern, config, signal_name, duration_s)
        store = pending.get(told) if pending is not None else None
        run_id = store_run(store, result, told)
        stored = (run_id,) if run_id is not None else ()
        write_reports([result], config, told, stdout)
        code = run_exit_code([result], signal_name, config)
        comparison = None
        if step is not None and store is not None:
            from surge.runner.compare_step import finish_compare_to

            code, comparison = finish_compare_to(step, store, stored, code, told)
    finally:
        if pending is not None:
            pending.close()
    return Runs((result,), stored, signal_name, code, comparison), tuple(results)
