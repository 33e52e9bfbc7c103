"""Storing the runs of `surge run`: the store is opened before any traffic (a bad or unreachable
store is an input error, exit 2), each run is saved as soon as it ends, and a failure to save is
a loud warning that leaves the run's result files and exit code as they are (docs/history.md)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

from surge.metrics import RunResult
from surge.store import Fingerprint, Store, StoreError, fingerprint

# Options that choose outputs, names and verdict policies, not the load: left out of a run's
# fingerprint so that comparing two runs does not warn about them.
OUTPUT_OPTIONS = frozenset(
    {
        "out", "csv", "junit", "html", "report_text", "quiet", "dry_run", "redact", "name",
        "store", "no_store", "repeat", "compare_to", "tolerance", "strict", "allow_saturated",
    }
)  # fmt: skip


def open_run_store(options: Mapping[str, Any], cwd: Path | None = None) -> Store | None:
    """The store runs go to, None under --no-store. Raises StoreError (exit 2) before traffic."""
    if options.get("no_store"):
        return None
    return Store.open(options.get("store"), cwd=cwd)


def run_fingerprint(result: RunResult, cwd: Path | None = None) -> Fingerprint:
    """The fingerprint of a finished run, from its recorded (already redacted) options."""
    options = {k: v for k, v in result.meta.options.items() if k not in OUTPUT_OPTIONS}
    return fingerprint(options, cwd)


def store_run(store: Store | None, result: RunResult, console: Console) -> int | None:
    """Save `result`; returns its id, or None (warned on stderr) when it could not be stored."""
    if store is None:
        return None
    try:
        run_id = store.save(result, run_fingerprint(result))
    except StoreError as exc:
        Console(stderr=True, highlight=False, soft_wrap=True).print(
            f"[bold yellow]surge: warning:[/] run {escape(result.meta.name)!r} was NOT stored: "
            f"{escape(str(exc))} (its result files are still written; the exit code is unchanged)"
        )
        return None
    console.print(f"stored as run {run_id} in {escape(store.where)} (surge show {run_id})")
    return run_id
