"""Splitting a plan across workers: exact slices whose union is the single-process plan.

Users and arrivals are dealt out by stride — worker w of n takes users (closed) or arrivals
(open) w, w+n, w+2n, … of the single-process sequence — so 7 users over 2 workers are 4 + 3 with
the same start offsets and user classes, 250/s over 2 workers is 125/s + 125/s, and the workers'
arrival times together are exactly the single-process schedule (stages and seeded Poisson
arrivals included). A staged or shaped user target T is split at every instant as T // n, plus
one for each of the first T % n workers: the same users the stride gives each worker.
"""

from __future__ import annotations

from dataclasses import replace

from surge.metrics.values import LoadModel
from surge.schedule.errors import PlanError
from surge.schedule.plan import Plan, PlanSource, share


def split_plan(plan: Plan, workers: int) -> tuple[Plan, ...]:
    """One Plan per worker. Each worker's `max_in_flight` is its share of the cap, at least 1
    (so with fewer in-flight slots than workers the slices together allow a few more)."""
    if workers < 1:
        raise PlanError(f"--workers must be at least 1 (got {workers})")
    if plan.workers != 1:
        raise PlanError(
            f"cannot split worker {plan.worker}/{plan.workers}'s slice again: split the whole plan"
        )
    return tuple(_slice(plan, worker, workers) for worker in range(workers))


def _slice(plan: Plan, worker: int, workers: int) -> Plan:
    if plan.model is LoadModel.OPEN:
        cap = plan.max_in_flight
        return replace(
            plan,
            worker=worker,
            workers=workers,
            max_in_flight=None if cap is None else max(1, share(cap, worker, workers)),
        )
    if plan.source is PlanSource.FIXED:
        offsets = plan.start_offsets_s[worker::workers]
        return replace(
            plan,
            users=len(offsets),
            start_offsets_s=offsets,
            user_classes=plan.user_classes[worker::workers],
            worker=worker,
            workers=workers,
        )
    return replace(
        plan,
        users=share(plan.users, worker, workers),
        user_classes=plan.user_classes[worker::workers],
        worker=worker,
        workers=workers,
    )
