"""Storing a run's results: the store is opened before any traffic (a bad or unreachable store is
an input error, exit 2), each run is saved as soon as it ends, and a failure to save is a loud
warning that leaves the run's result files and exit code as they are (docs/history.md)."""

from __future__ import annotations

from pathlib import Path

from surge.config import OUTPUT_OPTIONS, RunConfig
from surge.metrics import RunResult
from surge.runner.observer import Observers
from surge.store import Fingerprint, Store, StoreError, fingerprint


def open_run_store(config: RunConfig, cwd: Path | None = None) -> Store | None:
    """The store runs go to, None under no_store. Raises StoreError (exit 2) before traffic."""
    if config.no_store:
        return None
    return Store.open(config.store, cwd=cwd)


def run_fingerprint(result: RunResult, cwd: Path | None = None) -> Fingerprint:
    """The fingerprint of a finished run, from its recorded (already redacted) options."""
    options = {k: v for k, v in result.meta.options.items() if k not in OUTPUT_OPTIONS}
    return fingerprint(options, cwd)


def store_run(store: Store | None, result: RunResult, observers: Observers) -> int | None:
    """Save `result`; returns its id, or None (a warning to the observers) when it could not
    be stored."""
    if store is None:
        return None
    try:
        run_id = store.save(result, run_fingerprint(result))
    except StoreError as exc:
        observers.warning(
            f"run {result.meta.name!r} was NOT stored: {exc} (its result files are still "
            "written; the exit code is unchanged)"
        )
        return None
    observers.info(f"stored as run {run_id} in {store.where} (surge show {run_id})")
    return run_id
