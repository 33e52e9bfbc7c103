"""Load plans: who runs when, at which rate, which user class, and when the run ends.

A Plan is plain data computed from the load profile (see `compile_plan`); the engine runs it,
`--dry-run` prints it, and tests assert on it without sockets. Two load models:

- CLOSED: a number of virtual users, each waiting for its response before the next request.
  Either fixed (`users`, spread over `ramp_up_s` by `start_offsets_s`) or staged / shaped, when
  the engine follows `users_at(t)`.
- OPEN: arrivals at a scheduled rate (`--rate`, rate stages or a rate shape), whether or not
  earlier ones finished; the engine walks `pacer()` and never has more than `max_in_flight`
  arrivals running.

A plan may be one worker's slice of a run (`worker` of `workers`, see `split_plan`): its users,
user targets and arrivals are that worker's share, and the slices add up to the whole exactly.
"""

from __future__ import annotations

import enum
import math
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from surge.metrics.values import LoadModel
from surge.scenario.shape import LoadShape
from surge.schedule.errors import PlanError as PlanError
from surge.schedule.pacer import ArrivalProcess, Pacer
from surge.schedule.shapes import LOOKAHEAD_S, ShapeSampler
from surge.schedule.stages import Stage, Timeline, whole_users

DEFAULT_DURATION_S = 10.0


@dataclass(frozen=True, slots=True)
class LoadProfile:
    """The load knobs as the user gave them (already parsed into numbers).

    `rate` is arrivals per second (requests in URL mode, task iterations for scripted users);
    `stages` the `--stages` text or its items (strings like `30s:100`, or Stages); `shape` a
    LoadShape instance or class; `seed` seeds Poisson arrivals (None: a fresh one per plan).
    `users` is ignored (and the plan says so) when stages, a shape or a rate set the load.
    """

    users: int = 1
    ramp_up_s: float = 0.0
    duration_s: float | None = None
    requests_per_user: int | None = None
    think_time_s: float = 0.0
    rate: float | None = None
    arrivals: ArrivalProcess = ArrivalProcess.UNIFORM
    max_in_flight: int | None = None
    stages: str | Sequence[str | Stage] | None = None
    shape: LoadShape | type[LoadShape] | None = None
    seed: int | None = None


class PlanSource(enum.Enum):
    """What sets the load over time."""

    FIXED = "fixed"  # --users (closed) or --rate (open): one number for the whole run
    STAGES = "stages"  # --stages: a piecewise-linear timeline
    SHAPE = "shape"  # a LoadShape, sampled once per second


@dataclass(frozen=True, slots=True)
class Plan:
    """One run's load (or one worker's slice of it) as data.

    `duration_s` None means: until every user has made `requests_per_user` requests (closed,
    fixed), or until the shape's tick returns None. `users` is the fixed user count (closed,
    fixed), the peak for user stages, 0 when not known ahead (a users shape, the open model).
    `start_offsets_s` is empty unless the users are fixed: staged and shaped runs follow
    `users_at`. `timeline` is the target over time for stages (cut by `--duration`) and for a
    constant `--rate`; `shape` the sampler every reader of a shaped plan shares.
    `class_cycle` is one period of the smooth weighted round-robin over the user classes.
    """

    users: int
    ramp_up_s: float
    duration_s: float | None
    requests_per_user: int | None
    think_time_s: float
    start_offsets_s: tuple[float, ...]
    user_classes: tuple[int, ...]
    model: LoadModel = LoadModel.CLOSED
    source: PlanSource = PlanSource.FIXED
    stages: tuple[Stage, ...] = ()
    timeline: Timeline | None = None
    shape: ShapeSampler | None = None
    rate: float | None = None
    arrivals: ArrivalProcess = ArrivalProcess.UNIFORM
    max_in_flight: int | None = None
    seed: int = 0
    class_cycle: tuple[int, ...] = (0,)
    worker: int = 0
    workers: int = 1
    notes: tuple[str, ...] = ()

    # -- what the engine follows ---------------------------------------------------------

    def pacer(self, lookahead_s: float = LOOKAHEAD_S) -> Pacer:
        """A fresh pacer over this worker's arrivals (open model only)."""
        curve = self.timeline if self.timeline is not None else self.shape
        if self.model is not LoadModel.OPEN or curve is None:
            raise ValueError("only open-model plans have a pacer")
        return Pacer(
            curve,
            self.arrivals,
            self.seed,
            stride=self.workers,
            offset=self.worker,
            lookahead_s=lookahead_s,
        )

    def arrivals_due(self, until_s: float) -> int | None:
        """How many of this worker's arrivals fall due by `until_s` seconds into the run (open
        model with a rate or stages; None in the closed model and for a load shape, whose
        future the plan does not know): exact for uniform spacing and for Poisson arrivals (the
        same draws from the seed)."""
        if self.model is not LoadModel.OPEN or self.source is PlanSource.SHAPE:
            return None
        pacer = self.pacer()

        def due(k: int) -> bool:
            at = pacer.due_s(k)
            return at is not None and at <= until_s

        if self.arrivals is ArrivalProcess.POISSON:  # draws come in order: count them in order
            k = 0
            while due(k):
                k += 1
            return k
        return count_while(due)

    def users_at(self, elapsed_s: float) -> int:
        """The users this worker should have running at `elapsed_s` (closed model; 0 in the
        open model and once the run is over). Ramping targets are rounded down."""
        if self.model is LoadModel.OPEN:
            return 0
        if self.duration_s is not None and elapsed_s >= self.duration_s:
            return 0
        if self.source is PlanSource.FIXED:
            return bisect_right(self.start_offsets_s, elapsed_s)
        total = self._global_target(elapsed_s)
        return 0 if total is None else share(whole_users(total), self.worker, self.workers)

    def target_at(self, elapsed_s: float) -> float | None:
        """The load this worker is asked for at `elapsed_s` — users (closed) or arrivals per
        second (open) — for the live view and snapshots; None once the run is over."""
        if self.duration_s is not None and elapsed_s >= self.duration_s:
            return None
        if self.model is LoadModel.OPEN:
            rate = self._global_target(elapsed_s)
            return None if rate is None else rate / self.workers
        if self.source is PlanSource.SHAPE and self._global_target(elapsed_s) is None:
            return None
        return float(self.users_at(elapsed_s))

    def class_of(self, index: int) -> int:
        """The user class of this worker's user `index` (closed) or arrival `index` (open):
        the smooth weighted round-robin sequence at the matching single-process position, so
        a 3:1 weighting is exactly 3:1 over every 4 users or arrivals of the whole run."""
        g = self.worker + index * self.workers
        return self.class_cycle[g % len(self.class_cycle)]

    def _global_target(self, elapsed_s: float) -> float | None:
        if self.timeline is not None:
            return self.timeline.value_at(elapsed_s)
        if self.shape is not None:
            return self.shape.value_at(elapsed_s)
        return None

    # -- what reports and the dry run show -----------------------------------------------

    @property
    def peak_users(self) -> int | None:
        """This worker's most users at once (closed); None for a shape or the open model."""
        if self.model is LoadModel.OPEN or self.source is PlanSource.SHAPE:
            return None
        return self.users

    @property
    def peak_rate(self) -> float | None:
        """The highest arrival rate this worker is asked for (open, known ahead), else None."""
        if self.model is not LoadModel.OPEN or self.timeline is None:
            return None
        return self.timeline.peak / self.workers

    @property
    def planned_arrivals(self) -> float | None:
        """This worker's arrivals: exact for uniform spacing, the expectation for Poisson;
        for a shape, over the seconds sampled so far (the whole run once it has ended)."""
        if self.model is not LoadModel.OPEN:
            return None
        if self.timeline is not None:
            total = self.timeline.total
        elif self.shape is not None:
            total = self.shape.sampled_count
        else:
            return None
        if self.arrivals is ArrivalProcess.POISSON:
            return total / self.workers
        return float(len(range(self.worker, math.ceil(total), self.workers)))

    @property
    def offered_rps(self) -> float | None:
        """The mean planned arrival rate of this worker (open): planned arrivals / duration.
        None in the closed model (pacing, if any, is added by the caller)."""
        arrivals = self.planned_arrivals
        if arrivals is None:
            return None
        if self.timeline is not None:
            span_s = self.timeline.end_s
        else:
            assert self.shape is not None
            span_s = float(len(self.shape.sampled))
            if self.duration_s is not None:
                span_s = min(span_s, self.duration_s)
        return arrivals / span_s if span_s > 0 else None

    def describe(self) -> str:
        """One line: the load, how the run stops, and anything of the profile it ignores."""
        if self.model is LoadModel.OPEN:
            text = self._describe_open()
        elif self.source is PlanSource.FIXED:
            text = self._describe_fixed()
        elif self.source is PlanSource.STAGES:
            text = f"{len(self.stages)} user stages up to {self.users} users, for {self._for()}"
        else:
            text = f"users from load shape {self._shape_name()}, {self._shape_stop()}"
        if self.workers > 1:
            text = f"worker {self.worker}/{self.workers}: {text}"
        return "; ".join((text, *self.notes))

    def _describe_fixed(self) -> str:
        stop = (
            f"for {self.duration_s:g}s"
            if self.duration_s is not None
            else f"until {self.requests_per_user} requests per user"
        )
        if self.duration_s is not None and self.requests_per_user is not None:
            stop += f" or {self.requests_per_user} requests per user"
        ramp = f", ramp-up {self.ramp_up_s:g}s" if self.ramp_up_s else ""
        return f"{self.users} users{ramp}, {stop}"

    def _describe_open(self) -> str:
        spacing = self.arrivals.value
        cap = f"up to {self.max_in_flight} in flight"
        if self.source is PlanSource.SHAPE:
            load = f"rate from load shape {self._shape_name()}, {spacing} arrivals"
            return f"open model: {load}, {self._shape_stop()}, {cap}"
        if self.source is PlanSource.STAGES:
            load = f"{len(self.stages)} rate stages up to {self.peak_rate or 0:g}/s"
        else:
            load = f"{(self.rate or 0) / self.workers:g}/s"
        count = self.planned_arrivals or 0.0
        about = f"≈{count:.0f}" if self.arrivals is ArrivalProcess.POISSON else f"{count:.0f}"
        return f"open model: {load}, {spacing} arrivals for {self._for()} ({about} arrivals), {cap}"

    def _for(self) -> str:
        return f"{self.duration_s or 0:g}s"

    def _shape_name(self) -> str:
        return self.shape.name if self.shape is not None else "?"

    def _shape_stop(self) -> str:
        if self.duration_s is not None:
            return f"for {self.duration_s:g}s or until it returns None"
        return "until it returns None"


def count_while(holds: Callable[[int], bool]) -> int:
    """The number of k = 0, 1, 2 … for which `holds(k)`, for a predicate true up to some k and
    false from there on (by doubling, then bisection)."""
    if not holds(0):
        return 0
    hi = 1
    while holds(hi):
        hi *= 2
    lo = hi // 2  # holds(lo), not holds(hi)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if holds(mid):
            lo = mid
        else:
            hi = mid
    return lo + 1


def share(total: int, worker: int, workers: int) -> int:
    """Worker `worker`'s part of `total` split over `workers`: floor, plus one for each of the
    first `total % workers` workers — exact (the parts add up) at every instant."""
    return total // workers + (1 if worker < total % workers else 0)


def ramp_offsets(users: int, ramp_up_s: float) -> tuple[float, ...]:
    """User i starts at ramp_up_s * i / users: evenly spread, the first at once."""
    return tuple(ramp_up_s * i / users for i in range(users))


def assign_classes(users: int, weights: Sequence[int]) -> tuple[int, ...]:
    """Class index per user by smooth weighted round-robin: any prefix of the sequence is as
    close to the weight ratio as integers allow (3:1 over 8 users is exactly 6:2). The sequence
    repeats every sum(weights) users, each class appearing exactly its weight times."""
    total = sum(weights)
    current = [0] * len(weights)
    out: list[int] = []
    for _ in range(users):
        for i, w in enumerate(weights):
            current[i] += w
        best = max(range(len(weights)), key=lambda i: current[i])
        current[best] -= total
        out.append(best)
    return tuple(out)
