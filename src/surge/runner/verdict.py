"""The exit verdict of a whole run (all its results, the signal that ended it, the comparison),
as functions any producer of RunResults calls."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from surge.config import RunConfig
from surge.engine.run import RunOutcome
from surge.metrics import ExitCode, RunResult, exit_code_of, for_signal
from surge.monitor import HealthRules
from surge.runner.observer import Observers

if TYPE_CHECKING:
    from surge.compare import Comparison

# A regression fails a CI step like a failed threshold does: exit code 1.
REGRESSION_EXIT = ExitCode.THRESHOLD_FAILED


def run_exit_code(
    results: Sequence[RunResult], signal_name: str | None, config: RunConfig
) -> ExitCode:
    """The exit code of the results under the run's policies (docs/exit-codes.md)."""
    return exit_code_of(
        results,
        signal_name,
        allow_saturated=config.allow_saturated,
        fail_on_worker_loss=config.fail_on_worker_loss,
    )


def health_rules(config: RunConfig) -> HealthRules:
    """The generator-health rules of a run's options (`--max-schedule-lag`; 0 turns it off)."""
    limit_ms = config.max_schedule_lag * 1000.0
    return HealthRules(schedule_lag_p99_ms=limit_ms if limit_ms > 0 else None)


def comparison_exit(comparison: Comparison, *, strict: bool) -> ExitCode:
    """1 when a finding regressed; 5 for an inconclusive verdict under `strict`; else 0."""
    from surge.compare import Verdict

    if comparison.verdict is Verdict.REGRESSED:
        return REGRESSION_EXIT
    if comparison.verdict is Verdict.INCONCLUSIVE and strict:
        return ExitCode.COMPARE_INCONCLUSIVE
    return ExitCode.OK


def no_success_hint(result: RunResult) -> str:
    """Why a run had no success, for its exit code 3."""
    errors = dict(result.total.errors)
    if not errors:
        return f"{result.meta.name}: no request completed"
    top = max(errors, key=lambda k: errors[k])
    return (
        f"{result.meta.name}: no request succeeded ({result.total.failures:,} failed, "
        f"mostly {top}) against {result.meta.target} — is the server up and the URL right?"
    )


def failed_starts(outcome: RunOutcome) -> tuple[str, ...]:
    """One message per user class whose every user failed on_start."""
    return tuple(
        f"every user of class {c.name} failed on_start ({c.users:,} of {c.users:,}; "
        f"{c.first_error}): none of its tasks ran"
        for c in outcome.failed_classes
    )


def user_code_verdict(
    signal_name: str | None,
    error: str | None,
    failed: Sequence[str],
    code: ExitCode,
    observers: Observers,
) -> ExitCode:
    """A fault in the user's code outranks the run's own verdict (after a signal): a task that
    never yields is a usage error (2); a class none of whose users could start fails (3)."""
    if for_signal(signal_name) is not None or code is ExitCode.INTERNAL_ERROR:
        return code
    if error is not None:
        observers.error(error)
        return ExitCode.USAGE
    for message in failed:
        observers.error(message)
    if failed and code is not ExitCode.WORKER_LOST:
        return ExitCode.NO_SUCCESS
    return code
