"""The verdict of results as an exit code (docs/exit-codes.md): `RunResult.exit_code` and every
shell use these same rules."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from surge.exit_codes import SIGNALS, ExitCode, for_signal

__all__ = [
    "CRASH_PREFIX",
    "SIGNALS",
    "ExitCode",
    "exit_code_of",
    "for_signal",
    "result_exit_code",
    "signal_of",
]
CRASH_PREFIX = "internal error: "
"""How `abort_reason` starts for a run that an error surge did not expect ended (exit 7)."""


class _Meta(Protocol):
    @property
    def aborted(self) -> bool: ...
    @property
    def abort_reason(self) -> str | None: ...
    @property
    def options(self) -> Mapping[str, Any]: ...


class _Total(Protocol):
    @property
    def requests(self) -> int: ...
    @property
    def successes(self) -> int: ...


class _Generator(Protocol):
    @property
    def saturated(self) -> bool: ...


class Judged(Protocol):
    """What the verdict reads of a RunResult."""

    @property
    def meta(self) -> _Meta: ...
    @property
    def total(self) -> _Total: ...
    @property
    def generator(self) -> _Generator | None: ...
    @property
    def degraded(self) -> bool: ...
    @property
    def thresholds_passed(self) -> bool: ...


def signal_of(result: Judged) -> str | None:
    """The signal (SIGINT/SIGTERM) that ended the run, None when none did."""
    reason = result.meta.abort_reason
    return reason if result.meta.aborted and reason in SIGNALS else None


def crashed(result: Judged) -> bool:
    """Whether an error surge did not expect ended the run (see CRASH_PREFIX)."""
    reason = result.meta.abort_reason
    return result.meta.aborted and reason is not None and reason.startswith(CRASH_PREFIX)


def exit_code_of(
    results: Sequence[Judged],
    signal_name: str | None,
    *,
    allow_saturated: bool = False,
    fail_on_worker_loss: bool = False,
) -> ExitCode:
    """The exit code of a run's results; the first that applies wins: a signal (130/143), an
    error surge did not expect (7), a worker lost (6, under fail_on_worker_loss, or when no
    worker got to complete a request), no request succeeded (3), a saturated generator (4,
    unless allowed), a failed threshold (1), else 0."""
    interrupted = for_signal(signal_name)
    if interrupted is not None:
        return interrupted
    if any(crashed(r) for r in results):
        return ExitCode.INTERNAL_ERROR
    if any(r.degraded and (fail_on_worker_loss or r.total.requests == 0) for r in results):
        return ExitCode.WORKER_LOST
    if any(r.total.successes == 0 for r in results):
        return ExitCode.NO_SUCCESS
    saturated = any(r.generator is not None and r.generator.saturated for r in results)
    if saturated and not allow_saturated:
        return ExitCode.GENERATOR_SATURATED
    if not all(r.thresholds_passed for r in results):
        return ExitCode.THRESHOLD_FAILED
    return ExitCode.OK


def result_exit_code(result: Judged) -> ExitCode:
    """One result's exit code, under the policies it ran with (its recorded options)."""
    options = result.meta.options
    return exit_code_of(
        [result],
        signal_of(result),
        allow_saturated=bool(options.get("allow_saturated")),
        fail_on_worker_loss=bool(options.get("fail_on_worker_loss")),
    )
