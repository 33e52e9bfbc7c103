"""The compare step of a run (`--compare-to NAME`): checked before any traffic (the baseline
exists, the tolerances parse), then this run's stored results compared with the baseline and the
verdict combined into the exit code. Loads the statistics (numpy, scipy): imported only when a
comparison is asked for."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from surge.compare import Comparison, ToleranceError, Tolerances, parse_tolerances
from surge.compare_api import baseline_of, compare_stored
from surge.config import RunConfig
from surge.metrics import ExitCode
from surge.runner.jobs import InputError
from surge.runner.observer import Level, Observers
from surge.runner.verdict import comparison_exit
from surge.store import Store, StoreError


@dataclass(frozen=True, slots=True)
class CompareStep:
    """A comparison checked before any traffic: the baseline exists, the tolerances parse."""

    name: str
    tolerances: Tolerances
    strict: bool


def tolerances_of(items: Sequence[str]) -> Tolerances:
    try:
        return parse_tolerances(list(items))
    except ToleranceError as exc:
        raise InputError(str(exc)) from None


def prepare_compare_to(store: Store | None, config: RunConfig) -> CompareStep | None:
    """None without compare_to; raises InputError (exit 2, before traffic)."""
    name = config.compare_to
    if not name:
        return None
    if store is None:
        raise InputError("--compare-to needs the run store: drop --no-store")
    tolerances = tolerances_of(config.tolerance)
    try:
        baseline_of(store, name)
    except StoreError as exc:
        raise InputError(str(exc)) from None
    return CompareStep(name, tolerances, config.strict)


def finish_compare_to(
    step: CompareStep,
    store: Store,
    stored_ids: Sequence[int],
    code: ExitCode,
    observers: Observers,
) -> tuple[ExitCode, Comparison | None]:
    """Compare this run's stored results with the baseline and combine the exit codes: a signal
    skips the comparison; an exit the run already earned (6, 3, 4, 1) stands; else the
    comparison's (1 on a regression, 5 on inconclusive under strict)."""
    if code in (ExitCode.INTERRUPTED, ExitCode.TERMINATED):
        return code, None
    if not stored_ids:
        observers.warning("no run was stored: nothing to compare")
        return code, None
    try:
        baseline = baseline_of(store, step.name)
        candidate = [store.get(run_id) for run_id in stored_ids]
    except StoreError as exc:
        observers.notice(Level.ERROR, str(exc))
        return (code if code is not ExitCode.OK else ExitCode.USAGE), None
    comparison = compare_stored(
        baseline.runs, candidate, tolerances=step.tolerances, version=baseline.version
    )
    if code is not ExitCode.OK:
        return code, comparison
    return comparison_exit(comparison, strict=step.strict), comparison
