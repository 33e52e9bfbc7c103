"""Comparing stored runs: the glue between the store (which runs) and compare (the statistics).

`compare_to_baseline` is the Python API (re-exported as `surge.compare_to_baseline`); the CLI's
`surge compare` and `surge run --compare-to` use the same functions.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

from surge.compare import (
    DEFAULT_ALPHA,
    Comparison,
    RunSample,
    Tolerances,
    compare_runs,
    parse_tolerances,
)
from surge.compare.comparison import DEFAULT_SEED
from surge.store import Baseline, Store, StoredRun, StoreError


def samples_of(runs: Sequence[StoredRun]) -> list[RunSample]:
    """Stored runs as comparison inputs (ids and fingerprints kept)."""
    return [RunSample(r.result, r.id, dataclasses.asdict(r.fingerprint)) for r in runs]


def baseline_of(store: Store, name: str) -> Baseline:
    """The baseline of `name`, or a StoreError that says how to make one."""
    found = store.baseline(name)
    if found is None:
        raise StoreError(
            f"{name!r} has no baseline: mark runs as one with `surge baseline set {name}` "
            "(or `--last N`)"
        )
    return found


def latest_candidates(
    store: Store, name: str, baseline: Baseline, last: int | None
) -> list[StoredRun]:
    """The newest `last` runs of `name` (default: as many as the baseline has) that are not part
    of the baseline, oldest first."""
    wanted = last or len(baseline.runs)
    taken = {r.id for r in baseline.runs}
    ids = [s.id for s in store.summaries(name) if s.id not in taken][:wanted]
    if not ids:
        raise StoreError(
            f"{name!r} has no stored run besides its baseline to compare: run it again "
            f"(e.g. `surge run ... --name {name!r} --compare-to {name!r}`)"
        )
    return [store.get(run_id) for run_id in reversed(ids)]


def as_tolerances(tolerances: Tolerances | Sequence[str] | None) -> Tolerances:
    if tolerances is None:
        return Tolerances()
    if isinstance(tolerances, Tolerances):
        return tolerances
    return parse_tolerances(list(tolerances))


def compare_stored(
    baseline: Sequence[StoredRun],
    candidate: Sequence[StoredRun],
    *,
    tolerances: Tolerances | None = None,
    alpha: float = DEFAULT_ALPHA,
    seed: int = DEFAULT_SEED,
    version: str | None = None,
) -> Comparison:
    return compare_runs(
        samples_of(baseline),
        samples_of(candidate),
        tolerances=tolerances,
        alpha=alpha,
        seed=seed,
        baseline_version=version,
    )


def compare_to_baseline(
    name: str,
    *,
    runs: Sequence[int | str] | None = None,
    store: Store | str | None = None,
    tolerances: Tolerances | Sequence[str] | None = None,
    last: int | None = None,
    seed: int = DEFAULT_SEED,
    cwd: Path | None = None,
) -> Comparison:
    """Compare runs of `name` against its baseline.

    `runs` are the candidate runs (ids or references such as `NAME~1`); by default the newest
    runs of `name` outside the baseline, as many as the baseline has (or `last`). `store` is an
    open Store or a URL (default: $SURGE_STORE, else `.surge/surge.db`). `tolerances` is a
    `Tolerances` or `--tolerance` strings (`["p95=15%"]`). Raises StoreError (unknown name, no
    baseline, no candidate) and ToleranceError.
    """
    tol = as_tolerances(tolerances)
    if isinstance(store, Store):
        return _compare_in(store, name, runs, tol, last, seed)
    with Store.open(store, cwd=cwd) as opened:
        return _compare_in(opened, name, runs, tol, last, seed)


def _compare_in(
    store: Store,
    name: str,
    runs: Sequence[int | str] | None,
    tolerances: Tolerances,
    last: int | None,
    seed: int,
) -> Comparison:
    baseline = baseline_of(store, name)
    if runs is not None:
        candidate = [store.get(ref) for ref in runs]
    else:
        candidate = latest_candidates(store, name, baseline, last)
    return compare_stored(
        baseline.runs, candidate, tolerances=tolerances, seed=seed, version=baseline.version
    )
