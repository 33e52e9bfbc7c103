"""Storing a run's results: a store given as a database URL (or any store, when the run compares
with a baseline) is opened before any traffic, so a bad or unreachable one is an input error
(exit 2); a SQLite file has its folder made before any traffic and opens when the first run
has ended (loading SQLAlchemy then, not before the first request and not beside the load, where
it would disturb what is measured). Each run is saved as soon as it ends; a failure to open or
to save is a loud warning that leaves the run's result files and exit code as they are
(docs/history.md)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from surge.config import OUTPUT_OPTIONS, RunConfig
from surge.metrics import RunResult
from surge.runner.observer import Observers

if TYPE_CHECKING:
    from surge.store import Fingerprint, Store


def open_run_store(config: RunConfig, cwd: Path | None = None) -> Store | None:
    """The store runs go to, None under no_store. Raises StoreError (exit 2) before traffic."""
    if config.no_store:
        return None
    from surge.store import Store  # SQLAlchemy: loaded only when runs are stored

    return Store.open(config.store, cwd=cwd)


def run_fingerprint(result: RunResult, cwd: Path | None = None) -> Fingerprint:
    """The fingerprint of a finished run, from its recorded (already redacted) options."""
    from surge.store import fingerprint

    options = {k: v for k, v in result.meta.options.items() if k not in OUTPUT_OPTIONS}
    return fingerprint(options, cwd)


def store_run(store: Store | None, result: RunResult, observers: Observers) -> int | None:
    """Save `result`; returns its id, or None (a warning to the observers) when it could not
    be stored."""
    if store is None:
        return None
    from surge.store import StoreError

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


class PendingStore:
    """The store of a run, open or to be opened when first needed (see the module docstring)."""

    def __init__(self, config: RunConfig) -> None:
        self._config = config
        self._store: Store | None = None
        self._error: Exception | None = None
        self._opened = False

    def open_now(self) -> None:
        """Open before any traffic; StoreError when it cannot be."""
        self._opened = True
        self._store = open_run_store(self._config)

    def get(self, observers: Observers) -> Store | None:
        """The open store (opening it now if need be), or None — with one warning when it
        could not be opened."""
        if not self._opened:
            self._opened = True
            try:
                self._store = open_run_store(self._config)
            except Exception as exc:  # StoreError, or a database that fails to open
                observers.warning(
                    f"the run store could not be opened: {exc}; the run is NOT stored (its "
                    "result files are still written; the exit code is unchanged)"
                )
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()


def pending_store(config: RunConfig) -> PendingStore | None:
    """The run's store, opening (see the module docstring); None under no_store. Raises
    StoreError (or OSError for a folder that cannot be made) before any traffic."""
    if config.no_store:
        return None
    from surge.store.location import resolve_url, sqlite_path

    pending = PendingStore(config)
    path = sqlite_path(resolve_url(config.store))
    if path is None or config.compare_to:
        pending.open_now()
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
    return pending
