"""Load shapes: a user's `LoadShape.tick(elapsed_s)` sampled lazily, once per second of the run.

Second s of the run, [s, s+1), has the target `tick(s)`: a number of users, or an arrival rate
held constant over that second. `tick` returning None ends the run at that second; `--duration`
(when given) ends it too, and a second it cuts short counts only up to the cut. Seconds are
sampled in order and each exactly once, whoever asks (the pacer, the user controller, the live
view), because a shape may keep state between calls.

Look-ahead: the users controller and the live view ask for the current second only. The pacer's
`pace(elapsed_s, …)` samples second s only once `s ≤ elapsed_s + LOOKAHEAD_S`, so `tick` runs at
most one second ahead of the run's clock. `due_s(k)` has no clock: it samples as far as arrival
k needs (through any zero-rate seconds before it).

A bad tick result (negative, NaN, infinite, not a number) or an exception inside `tick` raises
`ShapeError` at run time, naming the shape class and the second.
"""

from __future__ import annotations

import math
import numbers
from bisect import bisect_right

from surge.scenario.shape import LoadShape
from surge.schedule.errors import PlanError, ShapeError
from surge.schedule.stages import TargetKind

LOOKAHEAD_S = 1.0


def shape_kind(shape: object) -> TargetKind:
    """The kind a shape sets (its class attribute `kind`); PlanError for anything else."""
    kind = getattr(shape, "kind", TargetKind.USERS.value)
    for member in TargetKind:
        if kind == member.value:
            return member
    name = type(shape).__name__
    raise PlanError(f"load shape {name}: kind must be 'users' or 'rate' (got {kind!r})")


def shape_instance(shape: LoadShape | type[LoadShape]) -> LoadShape:
    """A scenario file hands over the class; the plan needs an instance (made with no args)."""
    if isinstance(shape, type):
        cls = shape
        try:
            shape = cls()
        except Exception as exc:  # the user's constructor: report, don't crash
            raise PlanError(
                f"load shape {cls.__name__}: cannot create it without arguments: {exc}"
            ) from None
    if not callable(getattr(shape, "tick", None)):
        raise PlanError(f"load shape {type(shape).__name__} has no tick(elapsed_s) method")
    return shape


class ShapeSampler:
    """The once-per-second samples of one shape for one run, shared by all its readers."""

    __slots__ = ("_cum", "_end_s", "_values", "duration_s", "kind", "shape")

    def __init__(self, shape: LoadShape, duration_s: float | None = None) -> None:
        self.shape = shape
        self.kind = shape_kind(shape)
        self.duration_s = duration_s
        self._values: list[float] = []  # the target of second s
        self._cum: list[float] = [0.0]  # the integral of the target up to the start of second s
        self._end_s: float | None = None

    @property
    def name(self) -> str:
        return type(self.shape).__name__

    @property
    def end_s(self) -> float | None:
        """When the run ends, once known (tick returned None, or --duration was reached)."""
        return self._end_s

    @property
    def sampled(self) -> tuple[float, ...]:
        """The targets of the seconds sampled so far."""
        return tuple(self._values)

    @property
    def sampled_count(self) -> float:
        """The integral of the target over the seconds sampled so far (arrivals, for a rate)."""
        return self._cum[-1]

    def _tick(self, second: int) -> float | None:
        where = f"load shape {self.name}.tick({second}) at {second}s"
        try:
            value = self.shape.tick(float(second))
        except Exception as exc:  # the user's code: one clear error the engine can report
            raise ShapeError(f"{where} raised {type(exc).__name__}: {exc}") from exc
        if value is None:
            return None
        unit = "users" if self.kind is TargetKind.USERS else "arrivals per second"
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise ShapeError(
                f"{where} returned {value!r} ({type(value).__name__}): return a number of"
                f" {unit}, or None to stop"
            )
        number = float(value)
        if not math.isfinite(number) or number < 0:
            raise ShapeError(f"{where} returned {value!r}: {unit} must be a finite number ≥ 0")
        return number

    def _advance(self, horizon_s: float) -> bool:
        """Sample the next second if the run has not ended and it is within the horizon."""
        if self._end_s is not None:
            return False
        second = len(self._values)
        if self.duration_s is not None and second >= self.duration_s:
            self._end_s = self.duration_s
            return False
        if second > horizon_s:
            return False
        value = self._tick(second)
        if value is None:
            self._end_s = float(second)
            return False
        width = 1.0 if self.duration_s is None else min(1.0, self.duration_s - second)
        self._values.append(value)
        self._cum.append(self._cum[-1] + value * width)
        return True

    def value(self, second: int) -> float | None:
        """The target of second `second` (sampling up to it), None once the run has ended."""
        while len(self._values) <= second:
            if not self._advance(math.inf):
                return None
        return self._values[second]

    def value_at(self, t_s: float) -> float | None:
        if self.duration_s is not None and t_s >= self.duration_s:
            return None
        return self.value(max(math.floor(t_s), 0))

    def count_at(self, second: int) -> float:
        """N(second): the integral of the target up to the start of `second`, sampling up to it
        (the whole run's total once `second` is past the end)."""
        while len(self._cum) <= second and self._advance(math.inf):
            pass
        return self._cum[min(max(second, 0), len(self._cum) - 1)]

    def time_of(self, count: float, horizon_s: float = math.inf) -> float | None:
        """sup{t : N(t) ≤ count} for a rate shape (see `Timeline.time_of`); None when the run
        ends first. When deciding would mean sampling a second beyond `horizon_s`, returns that
        second's start instead — a time later than the horizon, meaning "not before then"."""
        j = bisect_right(self._cum, count, lo=1)
        while j == len(self._cum):
            if not self._advance(horizon_s):
                if self._end_s is not None:
                    return None
                return float(len(self._values))
            j = bisect_right(self._cum, count, lo=len(self._cum) - 1)
        second = j - 1
        return second + (count - self._cum[second]) / self._values[second]
