"""Baselines from Python, on results in hand: the seed flow of a notebook or a test.

    result = surge.run(url, users=10, requests_per_user=50, name="deals")
    surge.establish_baseline("deals", result, version="1.0.0")
    ...
    comparison = surge.compare_to_baseline("deals", surge.run(url, ...), tolerance=15)
    comparison.passed, comparison.changes["GET /api/deals"]["p95"]

The store is the project's: `store=` (an open Store or a URL), else $SURGE_STORE, else
`[tool.surge] store`, else `.surge/surge.db` — where `surge run` put the runs. Loads the store
(SQLAlchemy) and the statistics (SciPy): import it when you need it.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from surge.compare import DEFAULT_ALPHA, Comparison, RunSample, Tolerances, compare_runs
from surge.compare.comparison import DEFAULT_SEED
from surge.compare_api import as_tolerances, baseline_of
from surge.compare_api import compare_to_baseline as compare_stored_to_baseline
from surge.config import load_project
from surge.metrics import RunResult
from surge.runner.store_step import run_fingerprint
from surge.store import ENV_VAR, Baseline, Store, baseline_run_ids

Results = RunResult | Sequence[RunResult]


def project_store_url(cwd: Path | None = None) -> str | None:
    """The store URL a run here uses when none is given: $SURGE_STORE, else `[tool.surge]
    store` (None: the default `.surge/surge.db`)."""
    from_env = os.environ.get(ENV_VAR)
    if from_env:
        return from_env
    _, project = load_project(cwd or Path.cwd())
    store = project.get("store")
    return str(store) if store else None


def open_store(url: str | None = None, *, cwd: Path | None = None, create: bool = True) -> Store:
    """The run store at `url`, else the one `surge run` uses here ($SURGE_STORE, `[tool.surge]
    store`, `.surge/surge.db`). Close it, or use it as a context manager."""
    return Store.open(url or project_store_url(cwd), cwd=cwd, create=create)


@contextmanager
def opened_store(
    store: Store | str | None, cwd: Path | None = None, *, create: bool = True
) -> Iterator[Store]:
    """`store` itself when it is open, else the store at its URL (or the project's)."""
    if isinstance(store, Store):
        yield store
        return
    with open_store(store, cwd=cwd, create=create) as found:
        yield found


def _results(results: Results) -> list[RunResult]:
    return [results] if isinstance(results, RunResult) else list(results)


def stored_id(store: Store, result: RunResult) -> int:
    """The id of `result` in `store`, storing it first when it is not there."""
    found = store.find(result)
    return found if found is not None else store.save(result, run_fingerprint(result))


def establish_baseline(
    name: str,
    results: Results | None = None,
    *,
    runs: Sequence[int | str] | None = None,
    last: int | None = None,
    version: str | None = None,
    store: Store | str | None = None,
    cwd: Path | None = None,
) -> Baseline:
    """Make `results` (RunResults from `surge.run`; stored now if they were not) — or stored
    `runs`, or the `last` N runs of `name`, or its latest run — the baseline of `name`, tagged
    `version`. A baseline set before stays listed in the name's baseline history."""
    with opened_store(store, cwd, create=results is not None) as opened:
        if results is not None:
            if runs is not None or last is not None:
                raise ValueError("give results, runs or last, not several")
            ids = [stored_id(opened, result) for result in _results(results)]
        else:
            ids = baseline_run_ids(opened, name, runs=runs, last=last)
        return opened.set_baseline(name, ids, version)


def tolerances_of(
    tolerance: float | str | Sequence[str] | Tolerances | None,
) -> Tolerances:
    """`15` (15 % for every latency and rate metric), `"p95=10%"`, a list of such, or a
    Tolerances."""
    if isinstance(tolerance, bool):
        raise ValueError(f"tolerance must be a percentage like 15 or '15%', got {tolerance!r}")
    if isinstance(tolerance, int | float):
        return as_tolerances([f"{tolerance:g}%"])
    if isinstance(tolerance, str):
        return as_tolerances([tolerance])
    return as_tolerances(tolerance)


def compare_to_baseline(
    name: str,
    results: Results | None = None,
    *,
    tolerance: float | str | Sequence[str] | Tolerances | None = None,
    tolerances: Tolerances | Sequence[str] | None = None,
    runs: Sequence[int | str] | None = None,
    last: int | None = None,
    store: Store | str | None = None,
    seed: int = DEFAULT_SEED,
    alpha: float = DEFAULT_ALPHA,
    cwd: Path | None = None,
) -> Comparison:
    """Compare `results` (RunResults in hand; stored or not) — or stored `runs`, or the newest
    runs of `name` outside its baseline — with the baseline of `name`. `tolerance=15` accepts
    15 % on every latency and rate metric; `tolerances` takes `--tolerance` strings. The
    verdict is `comparison.verdict`; `comparison.changes` has each metric's change in %."""
    chosen = tolerances_of(tolerance if tolerance is not None else tolerances)
    if results is None:
        with opened_store(store, cwd, create=False) as opened:
            return compare_stored_to_baseline(
                name, runs=runs, store=opened, tolerances=chosen, last=last, seed=seed
            )
    with opened_store(store, cwd) as opened:
        baseline = baseline_of(opened, name)
        candidate = [
            RunSample(r, opened.find(r), dataclasses.asdict(run_fingerprint(r, cwd)))
            for r in _results(results)
        ]
        base = [RunSample(r.result, r.id, dataclasses.asdict(r.fingerprint)) for r in baseline.runs]
    return compare_runs(
        base,
        candidate,
        tolerances=chosen,
        alpha=alpha,
        seed=seed,
        baseline_version=baseline.version,
    )
