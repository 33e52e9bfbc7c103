"""The Python API of baselines: `surge.establish_baseline`."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from surge.store.database import Store
from surge.store.model import Baseline, StoreError


def baseline_run_ids(
    store: Store, name: str, *, runs: Sequence[int | str] | None = None, last: int | None = None
) -> list[int]:
    """The runs a baseline of `name` is made of: `runs` (ids or references), else the `last` N
    runs of `name`, else its latest run."""
    if runs is not None and last is not None:
        raise StoreError("give either runs or last, not both")
    if runs is not None:
        return [store.resolve(ref) for ref in runs]
    if last is not None and last < 1:
        raise StoreError(f"last must be at least 1, got {last}")
    found = [s.id for s in store.summaries(name, limit=last or 1)]
    if not found:
        raise StoreError(f"no stored run named {name!r} to make a baseline of (run it first)")
    if last is not None and len(found) < last:
        raise StoreError(
            f"{name!r} has {len(found)} stored run(s), fewer than the {last} asked for"
        )
    return list(reversed(found))  # oldest first


def establish_baseline(
    name: str,
    *,
    runs: Sequence[int | str] | None = None,
    last: int | None = None,
    version: str | None = None,
    store: Store | str | None = None,
    cwd: Path | None = None,
) -> Baseline:
    """Mark stored runs as the baseline of `name` (default: its latest run) and return it.

    `store` is an open Store or a URL (default: $SURGE_STORE, else `.surge/surge.db`).
    Raises StoreError for an unknown run or name.
    """
    if isinstance(store, Store):
        return store.set_baseline(
            name, baseline_run_ids(store, name, runs=runs, last=last), version
        )
    with Store.open(store, cwd=cwd, create=False) as opened:
        return opened.set_baseline(
            name, baseline_run_ids(opened, name, runs=runs, last=last), version
        )
