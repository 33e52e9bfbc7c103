"""Offered versus achieved load: did the run deliver the rate it was asked for?

A latency figure only means something at the rate it was measured. In the open model the plan
offers an arrival rate; in the closed model with pacing (`constant_pacing`, `--think-time`) the
users offer users / pacing interval. When the system under test (target plus generator) could not
sustain that, the summary must say so instead of presenting the latencies of a lighter load.
These are pure functions of numbers the CLI already has; nothing here measures anything.
"""

from __future__ import annotations

from collections.abc import Sequence

from surge.metrics.values import Arrivals, LoadModel, LoadSummary, TimelinePoint

DEFAULT_TOLERANCE = 0.05


def started_arrivals(arrivals: Arrivals) -> int:
    """Open-model arrivals that were started: everything scheduled but the dropped ones."""
    return arrivals.completed + arrivals.failed + arrivals.in_flight_at_end


def summarize_load(
    model: LoadModel,
    offered_rps: float | None,
    duration_s: float,
    arrivals: Arrivals,
    started: int | None = None,
    tolerance: float = DEFAULT_TOLERANCE,
    load_s: float | None = None,
) -> LoadSummary:
    """Achieved rate and whether it sustained the offered one (within `tolerance`, a fraction).

    Open model: what was started comes from `arrivals` (leave `started` None). Closed model:
    `started` is required: the requests completed, or the iterations when the pacing paces task
    iterations, in the same unit as `offered_rps`. `offered_rps` None (a closed run without
    pacing) offers no rate, so there is nothing to fall short of: `sustained` is True.

    `load_s` is the load phase (the time iterations were being started, see
    `RunOutcome.load_s`); the achieved rate is over it, and the rest of `duration_s` is the
    graceful stop, reported beside it: requests that hang after the last arrival do not lower
    the rate. In the open model the load is then sustained when (all but `tolerance` of) the
    arrivals that fell due in the load phase were started: a run stopped early, or a stage plan
    cut short, did not fall behind for having asked for less. Without `load_s` the whole
    `duration_s` counts and the achieved rate is held against the offered one.
    """
    if not 0 <= tolerance < 1:
        raise ValueError(f"the load tolerance is a fraction in [0, 1), got {tolerance!r}")
    if offered_rps is not None and offered_rps < 0:
        raise ValueError(f"the offered rate cannot be negative, got {offered_rps!r}/s")
    if model is LoadModel.OPEN:
        if started is not None:
            raise ValueError("open model: the started count comes from the arrivals, not `started`")
        count = started_arrivals(arrivals)
    elif started is None:
        raise ValueError("closed model: pass `started` (requests or paced iterations completed)")
    else:
        count = started
    phase_s = duration_s if load_s is None or load_s <= 0 else min(load_s, duration_s)
    achieved_rps = count / phase_s if phase_s > 0 else 0.0
    if offered_rps is None:
        sustained = True
    elif model is LoadModel.OPEN and load_s is not None:
        sustained = count >= arrivals.scheduled * (1.0 - tolerance)
    else:
        sustained = achieved_rps >= offered_rps * (1.0 - tolerance)
    return LoadSummary(
        model=model,
        offered_rps=offered_rps,
        achieved_rps=achieved_rps,
        sustained=sustained,
        arrivals=arrivals,
        load_s=None if load_s is None else phase_s,
        graceful_stop_s=None if load_s is None else max(0.0, duration_s - phase_s),
    )


def paced_offered_rps(users: float, pacing_s: float) -> float:
    """The rate closed-model users offer when each starts an iteration every `pacing_s`.

    `users` may be a mean (see `mean_active_users`) so that ramp-up and stages are counted at the
    users actually running; add the results of user classes with different pacing intervals.
    """
    if not pacing_s > 0:
        raise ValueError(f"the pacing interval must be positive, got {pacing_s!r} s")
    if users < 0:
        raise ValueError(f"the number of users cannot be negative, got {users!r}")
    return users / pacing_s


def mean_active_users(timeline: Sequence[TimelinePoint]) -> float:
    """The time-weighted mean of the active users over a run's timeline.

    Each point covers the time since the previous point (the first since 0, the run's start), so
    a short last interval weighs less. Use it for `paced_offered_rps` when the users ramp.
    """
    weighted = 0.0
    prev_s = 0.0
    for point in timeline:
        weighted += point.active_users * max(point.t_s - prev_s, 0.0)
        prev_s = max(prev_s, point.t_s)
    return weighted / prev_s if prev_s > 0 else 0.0


def load_warning(summary: LoadSummary) -> str | None:
    """One sentence for the summary when the offered rate was not sustained, else None."""
    offered = summary.offered_rps
    if summary.sustained or offered is None:
        return None
    share = summary.achieved_rps / offered * 100.0 if offered > 0 else 0.0
    head = (
        f"offered {offered:,.1f}/s, achieved {summary.achieved_rps:,.1f}/s ({share:.0f}%): "
        "the system did not sustain "
    )
    if summary.model is LoadModel.CLOSED:
        return head + (
            "the pacing (the target answered too slowly for the pacing interval, "
            "or there were too few users for this rate)"
        )
    dropped = summary.arrivals.dropped_total
    if dropped:
        parts = "; ".join(f"{reason}: {n:,}" for reason, n in summary.arrivals.dropped.items() if n)
        noun = "arrival" if dropped == 1 else "arrivals"
        return head + f"the arrival rate ({dropped:,} {noun} dropped: {parts})"
    return head + "the arrival rate (the generator started fewer arrivals than the plan offered)"
