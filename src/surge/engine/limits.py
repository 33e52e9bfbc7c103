"""The process's open-file limit, as a part of the plan.

Every connection is a file descriptor, so the descriptors a process may open (`RLIMIT_NOFILE`)
bound how many requests it can have in flight. `raise_fd_limit()` lifts the soft limit to the
hard one (what an unprivileged process may do for itself), once, at the start of a run;
`fd_budget()` says how many descriptors are left for connections after those already open and
a reserve for the store, the resource sampler, logs and report files (`RESERVE_FDS`).

A run that still runs out of descriptors (another process's connections, a closed-model run with
more users than descriptors, a stalled server) fails those connections as `fd_exhausted`: that
error is recorded, never raised (see http/classify.py).
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass

RESERVE_FDS = 64  # kept back for the store, the sampler, logs and report files
_UNLIMITED = 1 << 20  # what to assume of RLIM_INFINITY (Linux caps a process at nr_open)


@dataclass(frozen=True, slots=True)
class FdBudget:
    """`limit` the soft RLIMIT_NOFILE, `hard` its ceiling, `open_now` the descriptors open at
    the time, `for_connections` what is left for connections after `RESERVE_FDS`."""

    limit: int
    hard: int
    open_now: int

    @property
    def for_connections(self) -> int:
        return max(1, self.limit - self.open_now - RESERVE_FDS)

    def advice(self) -> str:
        """How to get more descriptors, for a message."""
        if self.limit < self.hard:
            return f"raise it with `ulimit -n {self.hard}`"
        return "raise the hard limit (`ulimit -Hn`, /etc/security/limits.conf, systemd LimitNOFILE)"


def raise_fd_limit() -> None:
    """Raise the soft open-file limit to the hard limit (a no-op where there is none)."""
    try:
        import resource
    except ImportError:  # not on a POSIX system
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = _UNLIMITED if hard == resource.RLIM_INFINITY else hard
    if soft == resource.RLIM_INFINITY or soft >= wanted:
        return
    with contextlib.suppress(ValueError, OSError):  # e.g. above nr_open: keep what we have
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def fd_budget() -> FdBudget:
    """The descriptors this process may open now (see `FdBudget`)."""
    try:
        import resource
    except ImportError:
        return FdBudget(limit=_UNLIMITED, hard=_UNLIMITED, open_now=0)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    soft = _UNLIMITED if soft == resource.RLIM_INFINITY else soft
    hard = _UNLIMITED if hard == resource.RLIM_INFINITY else hard
    return FdBudget(limit=soft, hard=hard, open_now=_open_fds())


def _open_fds() -> int:
    for where in ("/proc/self/fd", "/dev/fd"):
        try:
            return len(os.listdir(where))
        except OSError:
            continue
    return 0
