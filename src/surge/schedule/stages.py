"""Stages: `--stages '30s:100,1m:100,10s:500,30s:0'` — ramps, steps, spikes and soaks as data.

A stage is `DURATION:TARGET`. The target is a number of users (`100`, closed model) or an arrival
rate (`50/s`, open model). Targets move linearly from the previous stage's target (0 before the
first stage) to the stage's own over its duration; a `0s` stage is a jump. The stages compile
into a `Timeline`: the target as a piecewise-linear function of time, with the cumulative count
(the integral of a rate) and its exact inverse, which is what the open-model pacer needs.
"""

from __future__ import annotations

import enum
import math
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass

from surge.schedule.errors import PlanError
from surge.units import format_duration, parse_duration

STAGES_OPTION = "--stages"
_EPSILON = 1e-9  # float slack when turning a ramped user target into a whole number


class TargetKind(enum.Enum):
    """What a stage or load shape sets: a number of users (closed) or an arrival rate (open)."""

    USERS = "users"
    RATE = "rate"


@dataclass(frozen=True, slots=True)
class Stage:
    """One `DURATION:TARGET` stage as the user wrote it (parsed)."""

    duration_s: float
    target: float
    kind: TargetKind

    def __str__(self) -> str:
        return f"{format_duration(self.duration_s)}:{format_target(self.target, self.kind)}"


@dataclass(frozen=True, slots=True)
class Segment:
    """The target moving linearly from `from_target` to `to_target` over [start_s, end_s)."""

    start_s: float
    end_s: float
    from_target: float
    to_target: float

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s

    @property
    def area(self) -> float:
        """The integral of the target over the segment (arrivals, for a rate)."""
        return (self.from_target + self.to_target) / 2 * self.duration_s

    def value_at(self, t_s: float) -> float:
        if self.duration_s <= 0:
            return self.to_target
        frac = (t_s - self.start_s) / self.duration_s
        return self.from_target + (self.to_target - self.from_target) * frac

    def count_to(self, t_s: float) -> float:
        """The integral of the target from the segment's start to `t_s` (inside the segment)."""
        x = min(max(t_s - self.start_s, 0.0), self.duration_s)
        if x <= 0:
            return 0.0
        return (self.from_target + self.value_at(self.start_s + x)) / 2 * x

    def solve(self, q: float) -> float:
        """The time at which the integral from the start reaches `q` (0 ≤ q < area).

        The rate is linear, so the integral is a quadratic: a·x² + b·x = q with b the rate at
        the start and a half its slope; the root is written as 2q / (b + √(b² + 4aq)), which is
        stable for rising, falling and constant rates alike.
        """
        if q <= 0:
            return self.start_s
        d = self.duration_s
        a = (self.to_target - self.from_target) / (2 * d)
        b = self.from_target
        root = math.sqrt(max(b * b + 4 * a * q, 0.0))
        x = 2 * q / (b + root) if b + root > 0 else d
        return self.start_s + min(x, d)


@dataclass(frozen=True, slots=True)
class Timeline:
    """A target over time: back-to-back segments from 0 to `end_s`; build with `Timeline.of`.

    For a rate, `count_at(t)` is N(t), the arrivals due by t, and `time_of(c)` its inverse
    sup{t : N(t) ≤ c} — the moment the count passes c, so a zero-rate stretch is skipped (an
    arrival never falls inside it) and arrival 0 of a schedule that starts idle comes when the
    rate first rises above zero.
    """

    segments: tuple[Segment, ...]
    starts: tuple[float, ...]
    cum_ends: tuple[float, ...]

    @classmethod
    def of(cls, segments: Sequence[Segment]) -> Timeline:
        cum: list[float] = []
        total = 0.0
        for seg in segments:
            total += seg.area
            cum.append(total)
        return cls(tuple(segments), tuple(s.start_s for s in segments), tuple(cum))

    @property
    def end_s(self) -> float:
        return self.segments[-1].end_s if self.segments else 0.0

    @property
    def total(self) -> float:
        """N(end): the integral of the target over the whole timeline."""
        return self.cum_ends[-1] if self.cum_ends else 0.0

    @property
    def peak(self) -> float:
        return max((max(s.from_target, s.to_target) for s in self.segments), default=0.0)

    def _index(self, t_s: float) -> int:
        """The segment covering t_s (the last one whose start is ≤ t_s, skipping jumps)."""
        i = bisect_right(self.starts, t_s) - 1
        while i > 0 and self.segments[i].duration_s <= 0:
            i -= 1
        return max(i, 0)

    def value_at(self, t_s: float) -> float | None:
        """The target at t_s, None from `end_s` on (the timeline is over)."""
        if not self.segments or t_s >= self.end_s:
            return None
        return self.segments[self._index(max(t_s, 0.0))].value_at(max(t_s, 0.0))

    def count_at(self, t_s: float) -> float:
        if not self.segments or t_s <= 0:
            return 0.0
        if t_s >= self.end_s:
            return self.total
        i = self._index(t_s)
        before = self.cum_ends[i - 1] if i > 0 else 0.0
        return before + self.segments[i].count_to(t_s)

    def time_of(self, count: float, horizon_s: float = math.inf) -> float | None:
        """sup{t : N(t) ≤ count}, or None when the timeline ends first. `horizon_s` is unused
        here (everything is known); it matches the lazily sampled shape's signature."""
        del horizon_s
        i = bisect_right(self.cum_ends, count)
        if i >= len(self.segments):
            return None
        before = self.cum_ends[i - 1] if i > 0 else 0.0
        return self.segments[i].solve(count - before)


def format_target(value: float, kind: TargetKind) -> str:
    """`100` users or `50/s`, as the stage syntax writes them."""
    if kind is TargetKind.RATE:
        return f"{value:g}/s"
    return f"{value:g}"


def _parse_target(text: str) -> tuple[float, TargetKind]:
    raw = text.strip().lower().replace(" ", "")
    kind = TargetKind.USERS
    if raw.endswith("/s"):
        kind, raw = TargetKind.RATE, raw[:-2]
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(
            f"target {text.strip()!r} is not a number of users (100) or a rate (50/s)"
        ) from None
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"target {text.strip()!r} must be a finite number ≥ 0")
    if kind is TargetKind.USERS and value != int(value):
        raise ValueError(f"target {text.strip()!r}: users are whole numbers (a rate ends in /s)")
    return value, kind


def _stages_error(detail: str, item: int | None = None) -> PlanError:
    return PlanError(f"{STAGES_OPTION}: {detail}", option="stages", detail=detail, item=item)


def _parse_one(text: str, position: int) -> Stage:
    where = f"stage {position} {text.strip()!r}"
    duration_text, colon, target_text = text.partition(":")
    if not colon or not duration_text.strip() or not target_text.strip():
        raise _stages_error(f"{where} is not DURATION:TARGET (e.g. 30s:100 or 1m:50/s)", position)
    try:
        duration_s = parse_duration(duration_text)
        target, kind = _parse_target(target_text)
    except ValueError as exc:
        raise _stages_error(f"{where}: {exc}", position) from None
    if not math.isfinite(duration_s):
        raise _stages_error(f"{where}: the duration must be finite", position)
    return Stage(duration_s, target, kind)


def parse_stages(stages: str | Sequence[str | Stage]) -> tuple[Stage, ...]:
    """Parse `30s:100,1m:50` (or a list of such strings, or Stages, as a config file gives them).

    Raises PlanError naming `--stages`, the stage's position (from 1) and its text: for a bad
    stage, a mix of user and rate targets, or stages that last no time at all.
    """
    items: Sequence[str | Stage] = stages.split(",") if isinstance(stages, str) else stages
    if not items or (isinstance(stages, str) and not stages.strip()):
        raise _stages_error("no stages given (e.g. 30s:100,1m:100,10s:0)")
    parsed: list[Stage] = []
    for position, item in enumerate(items, start=1):
        stage = item if isinstance(item, Stage) else _parse_one(item, position)
        if parsed and stage.kind is not parsed[0].kind:
            first = parsed[0].kind.value
            raise _stages_error(
                f"stage {position} {str(item).strip()!r} sets {stage.kind.value} but stage 1 "
                f"sets {first}: all stages must be users (100) or all rates (50/s)",
                position,
            )
        parsed.append(stage)
    if sum(s.duration_s for s in parsed) <= 0:
        raise _stages_error("the stages last no time at all (every duration is 0)")
    return tuple(parsed)


def stage_segments(stages: Sequence[Stage], cut_s: float | None = None) -> tuple[Segment, ...]:
    """The segments of `stages`, each ramping from the previous target (0 at first); when
    `cut_s` is given the timeline ends there (a segment crossing it is cut at its value there)."""
    out: list[Segment] = []
    start_s, previous = 0.0, 0.0
    for stage in stages:
        seg = Segment(start_s, start_s + stage.duration_s, previous, stage.target)
        if cut_s is not None and seg.end_s > cut_s:
            if cut_s > seg.start_s:
                out.append(Segment(seg.start_s, cut_s, previous, seg.value_at(cut_s)))
            break
        out.append(seg)
        start_s, previous = seg.end_s, stage.target
    return tuple(out)


def whole_users(target: float) -> int:
    """Users for a (possibly ramping, fractional) target: rounded down, so the run never has
    more users than asked for and a user starts the moment the target reaches it."""
    return max(math.floor(target + _EPSILON), 0)
