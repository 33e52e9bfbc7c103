"""`--dry-run`: the plan as text lines — what would be sent, when, and by which worker.

A pure function of the Plan (a load shape is sampled for the seconds shown: that is its dry run).
"""

from __future__ import annotations

import math
from collections.abc import Callable

from surge.metrics.values import LoadModel
from surge.schedule.pacer import ArrivalProcess
from surge.schedule.plan import Plan, PlanSource
from surge.schedule.split import split_plan
from surge.schedule.stages import TargetKind, format_target
from surge.units import format_duration

DEFAULT_DRY_RUN_SECONDS = 60
_INDENT = "  "
_DASH = "\u2013"  # an en dash between two times


def dry_run_lines(
    plan: Plan, workers: int = 1, seconds: int = DEFAULT_DRY_RUN_SECONDS
) -> list[str]:
    """The plan for `surge run … --dry-run`: model, stop condition, stages, per-second targets
    for the first `seconds` seconds (runs of equal targets collapsed), planned arrivals (open),
    the in-flight cap (open) and the split over `workers`."""
    lines = [
        f"model: {_model(plan)}",
        f"load: {plan.describe()}",
        f"stops: {_stop(plan)}",
    ]
    lines += _stage_lines(plan)
    lines += _per_second_lines(plan, seconds)
    if plan.model is LoadModel.OPEN:
        lines.append(f"arrivals: {_arrivals(plan, seconds)}")
        lines.append(f"max in flight: {plan.max_in_flight}")
    lines += _split_lines(plan, workers)
    return lines


def _model(plan: Plan) -> str:
    if plan.model is LoadModel.OPEN:
        return f"open (arrival rate, {plan.arrivals.value} arrivals)"
    return "closed (virtual users)"


def _stop(plan: Plan) -> str:
    if plan.source is PlanSource.SHAPE:
        name = plan.shape.name if plan.shape is not None else "the shape"
        cut = f", or after {_time(plan.duration_s)} (--duration)" if plan.duration_s else ""
        return f"when {name}.tick returns None{cut}"
    if plan.source is PlanSource.STAGES:
        total_s = sum(s.duration_s for s in plan.stages)
        end_s = plan.duration_s or 0.0
        why = "the stages" if end_s >= total_s else "--duration cuts the stages"
        return f"after {_time(end_s)} ({why})"
    if plan.duration_s is None:
        return f"when every user has made {plan.requests_per_user} requests"
    if plan.requests_per_user is not None:
        return (
            f"after {_time(plan.duration_s)} or {plan.requests_per_user} requests per user,"
            " whichever comes first"
        )
    return f"after {_time(plan.duration_s)}"


def _stage_lines(plan: Plan) -> list[str]:
    if not plan.stages:
        return []
    lines = ["stages:"]
    start_s, previous = 0.0, 0.0
    for position, stage in enumerate(plan.stages, start=1):
        end_s = start_s + stage.duration_s
        span = f"{_time(start_s)}{_DASH}{_time(end_s)}"
        move = f"{format_target(previous, stage.kind)} → {_target(stage.target, stage.kind)}"
        lines.append(f"{_INDENT}{position:>2}. {span:<15} {move}")
        start_s, previous = end_s, stage.target
    return lines


def _per_second_lines(plan: Plan, seconds: int) -> list[str]:
    values: list[str] = []
    value_of = _second_value(plan)
    for second in range(max(seconds, 0)):
        value = value_of(second)
        if value is None:
            break
        values.append(value)
    if not values:
        return []
    unit = "arrivals per second" if plan.model is LoadModel.OPEN else "users"
    lines = [f"per second (first {len(values)}s, {unit}):"]
    start = 0
    for i in range(1, len(values) + 1):
        if i == len(values) or values[i] != values[start]:
            span = _time(start) if i - 1 == start else f"{_time(start)}{_DASH}{_time(i - 1)}"
            lines.append(f"{_INDENT}{span}: {values[start]}")
            start = i
    return lines


def _second_value(plan: Plan) -> Callable[[int], str | None]:
    """What second s asks for: users at its start (closed), arrivals during it (open: exact
    for uniform spacing, the expectation for Poisson); None once the run is over."""
    if plan.model is LoadModel.CLOSED:

        def users(second: int) -> str | None:
            if plan.target_at(float(second)) is None:
                return None
            return f"{plan.users_at(float(second))} users"

        return users

    def arrivals(second: int) -> str | None:
        if plan.target_at(float(second)) is None:
            return None
        low, high = _count_at(plan, second), _count_at(plan, second + 1)
        if plan.arrivals is ArrivalProcess.POISSON:
            return f"≈{(high - low) / plan.workers:.4g}/s"
        return f"{_uniform_share(plan, high) - _uniform_share(plan, low)}/s"

    return arrivals


def _count_at(plan: Plan, second: int) -> float:
    """N(second) of the whole run: the arrivals due by then."""
    if plan.timeline is not None:
        return plan.timeline.count_at(float(second))
    assert plan.shape is not None
    return plan.shape.count_at(second)


def _uniform_share(plan: Plan, count: float) -> int:
    """Uniform arrivals this worker has made by the time N reaches `count`."""
    return len(range(plan.worker, math.ceil(count), plan.workers))


def _arrivals(plan: Plan, seconds: int) -> str:
    if plan.source is PlanSource.SHAPE:
        shown = min(seconds, len(plan.shape.sampled) if plan.shape is not None else 0)
        count = _count_at(plan, shown)
        return f"set by the shape as it runs (≈{count:.0f} in the first {shown}s)"
    planned = plan.planned_arrivals or 0.0
    if plan.arrivals is ArrivalProcess.POISSON:
        return f"≈{planned:.0f} (Poisson, seed {plan.seed})"
    return f"{planned:.0f}"


def _split_lines(plan: Plan, workers: int) -> list[str]:
    lines = [f"workers: {workers}"]
    if workers == 1:
        return lines
    for part in split_plan(plan, workers):
        lines.append(f"{_INDENT}worker {part.worker}: {_part(part)}")
    return lines


def _part(part: Plan) -> str:
    if part.model is LoadModel.OPEN:
        stride = f"arrivals {part.worker}, {part.worker + part.workers}, … of the schedule"
        if part.source is PlanSource.SHAPE:
            cap = f"max {part.max_in_flight} in flight"
            return f"1/{part.workers} of the shape's rate ({stride}), {cap}"
        planned = part.planned_arrivals or 0.0
        about = "≈" if part.arrivals is ArrivalProcess.POISSON else ""
        return (
            f"{part.offered_rps or 0:.4g}/s mean, {about}{planned:.0f} arrivals ({stride}),"
            f" max {part.max_in_flight} in flight"
        )
    if part.source is PlanSource.SHAPE:
        return f"1/{part.workers} of the shape's users (the first workers take the remainder)"
    if part.source is PlanSource.STAGES:
        return f"up to {part.users} users"
    return f"{part.users} users"


def _target(value: float, kind: TargetKind) -> str:
    text = format_target(value, kind)
    return f"{text} users" if kind is TargetKind.USERS else text


def _time(seconds: float | None) -> str:
    """Whole seconds as 1m30s; fractions kept (a 2.5s cut shows as 2.5s)."""
    value = seconds or 0.0
    if value == int(value):
        return format_duration(value) if value >= 1 else "0s"
    return f"{value:g}s"
