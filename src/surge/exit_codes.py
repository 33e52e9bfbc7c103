"""Exit codes: a public contract (users' CI scripts branch on them). See docs/exit-codes.md.

A module of its own at the bottom of the package, so that a shell can exit with one without
loading anything else.
"""

from __future__ import annotations

import enum

SIGNALS = ("SIGINT", "SIGTERM")


class ExitCode(enum.IntEnum):
    OK = 0
    THRESHOLD_FAILED = 1
    USAGE = 2
    NO_SUCCESS = 3
    GENERATOR_SATURATED = 4
    COMPARE_INCONCLUSIVE = 5  # surge compare --strict: a comparison could not decide
    WORKER_LOST = 6  # --fail-on-worker-loss: a worker died mid-run
    INTERNAL_ERROR = 7  # an error surge did not expect ended the run (partial results kept)
    INTERRUPTED = 130
    TERMINATED = 143


def for_signal(name: str | None) -> ExitCode | None:
    """The exit code of a run ended by the named signal, None when no signal ended it."""
    if name is None:
        return None
    return ExitCode.TERMINATED if name == "SIGTERM" else ExitCode.INTERRUPTED
