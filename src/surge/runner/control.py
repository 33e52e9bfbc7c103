"""The run control: a handle a shell (the dashboard, a test, a notebook) holds to steer a run.

    control = surge.RunControl()
    threading.Thread(target=surge.run, args=(url,), kwargs={"duration": "1m", "control": control})
    ...
    control.set_users(50)      # closed model: the users from now on
    control.set_rate(200)      # open model: arrivals per second from now on
    control.stop()             # end the run now (its in-flight requests get the graceful stop)

Every method may be called from any thread while a run is in progress (between `on_start` and
`on_end` of an observer). Changes apply to the job running now and show in the next per-second
snapshots' `target`; `stop` also ends the remaining jobs (repeats, further TOML scenarios).
"""

from __future__ import annotations

import math
import threading

from surge.runner.steering import ControlError, Steering

STOPPED = "stopped through the run control"


class RunControl:
    """Stop a run, or change its target users (closed model) or rate (open model), mid-run."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._steering: Steering | None = None
        self._stop_reason: str | None = None
        self._cluster = False

    @property
    def stopped(self) -> bool:
        """True once `stop` was called."""
        return self._stop_reason is not None

    @property
    def stop_reason(self) -> str | None:
        return self._stop_reason

    @property
    def running(self) -> bool:
        """True while a job is in progress under this control."""
        return self._steering is not None or self._cluster

    def stop(self, reason: str = STOPPED) -> None:
        """End the run now, and the jobs that would follow it."""
        with self._lock:
            if self._stop_reason is None:
                self._stop_reason = reason
            steering = self._steering
        if steering is not None:
            steering.stop(reason)

    def set_users(self, users: int) -> None:
        """Closed model: run `users` virtual users from now until the schedule ends."""
        if isinstance(users, bool) or not isinstance(users, int) or users < 0:
            raise ValueError(f"users must be a whole number of 0 or more, got {users!r}")
        self._current().set_users(users)

    def set_rate(self, rate_per_s: float) -> None:
        """Open model: start `rate_per_s` arrivals per second from now until the schedule ends."""
        if (
            isinstance(rate_per_s, bool)
            or not isinstance(rate_per_s, int | float)
            or not math.isfinite(rate_per_s)
            or rate_per_s <= 0
        ):
            raise ValueError(
                f"the rate must be a number of arrivals per second > 0, got {rate_per_s!r}"
            )
        self._current().set_rate(float(rate_per_s))

    def _current(self) -> Steering:
        with self._lock:
            steering, cluster = self._steering, self._cluster
        if cluster:
            raise ControlError(
                "changing users or rate mid-run works on in-process runs; this run has several "
                "workers (stop works)"
            )
        if steering is None:
            raise ControlError("no run is in progress under this control")
        return steering

    # -- the runner's side ------------------------------------------------------------------

    def attach(self, steering: Steering | None) -> None:
        """A job starts (`steering` None: it runs on several workers). A stop asked for
        earlier stops it at once."""
        with self._lock:
            self._steering, self._cluster = steering, steering is None
            reason = self._stop_reason
        if steering is not None and reason is not None:
            steering.stop(reason)

    def detach(self) -> None:
        with self._lock:
            self._steering, self._cluster = None, False
