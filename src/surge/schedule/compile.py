"""Compiling a LoadProfile into a Plan: validation (errors name the option) and layout.

What sets the load, in order: a load shape, `--stages`, `--rate`, else `--users`. Rate stages,
`--rate` and a rate shape make the run OPEN; user stages, a users shape and `--users` CLOSED.
Options that cannot mean anything together are PlanErrors that say why; `--users` next to
something else that sets the load is ignored and the plan's description says so.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import replace

from surge.metrics.values import LoadModel
from surge.schedule.errors import PlanError
from surge.schedule.pacer import ArrivalProcess
from surge.schedule.plan import (
    DEFAULT_DURATION_S,
    LoadProfile,
    Plan,
    PlanSource,
    assign_classes,
    ramp_offsets,
)
from surge.schedule.shapes import ShapeSampler, shape_instance
from surge.schedule.stages import (
    Segment,
    Stage,
    TargetKind,
    Timeline,
    parse_stages,
    stage_segments,
    whole_users,
)

MIN_MAX_IN_FLIGHT = 100
LATENCY_ALLOWANCE_S = 2.0  # the default in-flight cap covers this much latency at peak rate
SHAPE_MAX_IN_FLIGHT = 10_000  # a rate shape's peak is unknown before the run

_OPEN_ONLY = "applies to the open model only: give --rate or rate stages (e.g. 30s:50/s)"


def compile_plan(profile: LoadProfile, weights: Sequence[int] = (1,)) -> Plan:
    """Validate the profile and lay out the load. Raises PlanError naming the bad option."""
    _check_numbers(profile, weights)
    cycle = assign_classes(sum(weights), weights)
    if profile.shape is not None:
        plan = _shape_plan(profile)
    elif profile.stages is not None:
        plan = _staged_plan(profile, parse_stages(profile.stages), cycle)
    elif profile.rate is not None:
        plan = _rate_plan(profile)
    else:
        plan = _fixed_plan(profile, weights)
    if plan.model is LoadModel.OPEN:
        _check_open(profile)
    else:
        _check_closed(profile)
    return replace(plan, class_cycle=cycle)


def _check_numbers(profile: LoadProfile, weights: Sequence[int]) -> None:
    if profile.users < 1:
        raise PlanError(f"--users must be at least 1 (got {profile.users})")
    if profile.ramp_up_s < 0:
        raise PlanError(f"--ramp-up must not be negative (got {profile.ramp_up_s:g})")
    if profile.think_time_s < 0:
        raise PlanError(f"--think-time must not be negative (got {profile.think_time_s:g})")
    if profile.requests_per_user is not None and profile.requests_per_user < 1:
        raise PlanError(f"--requests-per-user must be at least 1 (got {profile.requests_per_user})")
    if profile.duration_s is not None and not 0 < profile.duration_s < math.inf:
        raise PlanError(f"--duration must be positive (got {profile.duration_s:g})")
    if profile.rate is not None and not 0 < profile.rate < math.inf:
        raise PlanError(
            f"--rate must be a positive number of arrivals per second (got {profile.rate:g})"
        )
    if profile.max_in_flight is not None and profile.max_in_flight < 1:
        raise PlanError(f"--max-in-flight must be at least 1 (got {profile.max_in_flight})")
    if not weights or any(w < 1 for w in weights):
        raise PlanError("user class weights must be at least 1")
    if profile.shape is not None and profile.stages is not None:
        raise PlanError("--stages and a load shape both set the load: use one of them")
    if profile.shape is not None and profile.rate is not None:
        raise PlanError("--rate and a load shape both set the load: use one of them")


def _check_open(profile: LoadProfile) -> None:
    """Closed-model knobs that mean nothing when a rate paces the arrivals."""
    if profile.requests_per_user is not None:
        what = "--rate" if profile.rate is not None else "an arrival rate"
        raise PlanError(
            f"--requests-per-user cannot be combined with {what}: in the open model arrivals"
            " come at the rate, not per user; bound the run with --duration or --stages instead"
        )
    if profile.ramp_up_s > 0:
        raise PlanError(
            "--ramp-up does not apply to an arrival rate: ramp it with --stages"
            " (e.g. '30s:100/s,1m:100/s')"
        )
    if profile.think_time_s > 0:
        raise PlanError(
            "--think-time does not apply to the open model: the arrival rate paces the load"
        )


def _check_closed(profile: LoadProfile) -> None:
    if profile.arrivals is not ArrivalProcess.UNIFORM:
        raise PlanError(f"--arrivals {profile.arrivals.value} {_OPEN_ONLY}")
    if profile.max_in_flight is not None:
        raise PlanError(f"--max-in-flight {_OPEN_ONLY}")
    if profile.stages is None and profile.shape is None:
        return
    what = "--stages" if profile.stages is not None else "a load shape"
    if profile.requests_per_user is not None:
        raise PlanError(
            f"--requests-per-user cannot be combined with {what}: it sets the run's length"
        )
    if profile.ramp_up_s > 0:
        raise PlanError(
            f"--ramp-up cannot be combined with {what}: ramp with a stage instead (e.g. 30s:100)"
        )


def _users_note(profile: LoadProfile, why: str) -> tuple[str, ...]:
    """`--users` is ignored when something else sets the load; the default (1) goes unsaid."""
    return (f"--users {profile.users} ignored: {why}",) if profile.users != 1 else ()


def _default_max_in_flight(peak_rate: float) -> int:
    """Enough for LATENCY_ALLOWANCE_S of latency at the peak rate, never under 100."""
    return max(MIN_MAX_IN_FLIGHT, math.ceil(peak_rate * LATENCY_ALLOWANCE_S))


def _seed(profile: LoadProfile) -> int:
    """Poisson arrivals need one seed that every worker shares; uniform ones need none."""
    if profile.arrivals is not ArrivalProcess.POISSON:
        return 0
    if profile.seed is not None:
        return profile.seed
    return random.SystemRandom().randrange(2**63)


def _open_plan(
    profile: LoadProfile,
    source: PlanSource,
    duration_s: float | None,
    max_in_flight: int,
    *,
    timeline: Timeline | None = None,
    shape: ShapeSampler | None = None,
    stages: tuple[Stage, ...] = (),
    notes: tuple[str, ...] = (),
) -> Plan:
    return Plan(
        users=0,
        ramp_up_s=0.0,
        duration_s=duration_s,
        requests_per_user=None,
        think_time_s=0.0,
        start_offsets_s=(),
        user_classes=(),
        model=LoadModel.OPEN,
        source=source,
        stages=stages,
        timeline=timeline,
        shape=shape,
        rate=profile.rate,
        arrivals=profile.arrivals,
        max_in_flight=profile.max_in_flight or max_in_flight,
        seed=_seed(profile),
        notes=_users_note(profile, "the open model starts virtual users on demand") + notes,
    )


def _rate_plan(profile: LoadProfile) -> Plan:
    rate = profile.rate
    assert rate is not None
    duration_s = profile.duration_s if profile.duration_s is not None else DEFAULT_DURATION_S
    timeline = Timeline.of((Segment(0.0, duration_s, rate, rate),))
    return _open_plan(
        profile, PlanSource.FIXED, duration_s, _default_max_in_flight(rate), timeline=timeline
    )


def _stage_duration_notes(stages: Sequence[Stage], duration_s: float | None) -> tuple[str, ...]:
    total_s = sum(s.duration_s for s in stages)
    if duration_s is None or duration_s == total_s:
        return ()
    if duration_s < total_s:
        return (f"--duration {duration_s:g}s cuts the stages ({total_s:g}s)",)
    return (f"--duration {duration_s:g}s is longer than the stages: the run ends with them",)


def _staged_plan(profile: LoadProfile, stages: tuple[Stage, ...], cycle: Sequence[int]) -> Plan:
    timeline = Timeline.of(stage_segments(stages, profile.duration_s))
    notes = _stage_duration_notes(stages, profile.duration_s)
    if stages[0].kind is TargetKind.RATE:
        if profile.rate is not None:
            raise PlanError("--rate and rate --stages both set the arrival rate: use one of them")
        if timeline.total <= 0:
            raise PlanError(
                "--stages schedule no arrivals: every rate is 0 while the run lasts",
                option="stages",
                detail="the stages schedule no arrivals: every rate is 0 while the run lasts",
            )
        return _open_plan(
            profile,
            PlanSource.STAGES,
            timeline.end_s,
            _default_max_in_flight(timeline.peak),
            timeline=timeline,
            stages=stages,
            notes=notes,
        )
    if profile.rate is not None:
        raise PlanError(
            "--rate cannot be combined with user stages (e.g. 30s:100): give the stages as"
            " rates (30s:100/s) or drop --rate"
        )
    peak = whole_users(timeline.peak)
    if peak < 1:
        raise PlanError(
            "--stages never start a user: every target is 0 while the run lasts",
            option="stages",
            detail="the stages never start a user: every target is 0 while the run lasts",
        )
    return Plan(
        users=peak,
        ramp_up_s=0.0,
        duration_s=timeline.end_s,
        requests_per_user=None,
        think_time_s=profile.think_time_s,
        start_offsets_s=(),
        user_classes=tuple(cycle[i % len(cycle)] for i in range(peak)),
        source=PlanSource.STAGES,
        stages=stages,
        timeline=timeline,
        notes=_users_note(profile, "the stages set the users") + notes,
    )


def _shape_plan(profile: LoadProfile) -> Plan:
    assert profile.shape is not None
    sampler = ShapeSampler(shape_instance(profile.shape), profile.duration_s)
    if sampler.kind is TargetKind.RATE:
        return _open_plan(
            profile, PlanSource.SHAPE, profile.duration_s, SHAPE_MAX_IN_FLIGHT, shape=sampler
        )
    return Plan(
        users=0,
        ramp_up_s=0.0,
        duration_s=profile.duration_s,
        requests_per_user=None,
        think_time_s=profile.think_time_s,
        start_offsets_s=(),
        user_classes=(),
        source=PlanSource.SHAPE,
        shape=sampler,
        notes=_users_note(profile, f"load shape {sampler.name} sets the users"),
    )


def _fixed_plan(profile: LoadProfile, weights: Sequence[int]) -> Plan:
    duration_s = profile.duration_s
    if duration_s is None and profile.requests_per_user is None:
        duration_s = DEFAULT_DURATION_S
    return Plan(
        users=profile.users,
        ramp_up_s=profile.ramp_up_s,
        duration_s=duration_s,
        requests_per_user=profile.requests_per_user,
        think_time_s=profile.think_time_s,
        start_offsets_s=ramp_offsets(profile.users, profile.ramp_up_s),
        user_classes=assign_classes(profile.users, weights),
    )
