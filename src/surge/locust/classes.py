"""Which user class each user (or arrival) of a locustfile gets: `fixed_count` classes first,
then the others by `weight` (surge's smooth weighted round-robin, so 3:1 is exact over every 4)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from surge.metrics.values import LoadModel
from surge.schedule.plan import Plan, assign_classes


def class_chooser(
    fixed_counts: Sequence[int], weights: Sequence[int], plan: Plan
) -> Callable[[int], int]:
    """`class_of(index)` for this worker's user (closed) or arrival (open) number `index`.

    Users (across every worker) numbered below the sum of the `fixed_count`s take those classes
    in order; the rest cycle through the classes without one by weight. In the open model
    arrivals are shared by weight only (the loader rejects fixed_count with an arrival rate).
    When every class has a fixed count, users beyond their sum cycle through them again.
    """
    if not any(fixed_counts) or plan.model is LoadModel.OPEN:
        return plan.class_of
    fixed = [i for i, count in enumerate(fixed_counts) for _ in range(count)]
    shared = [i for i, count in enumerate(fixed_counts) if count == 0]
    cycle = assign_classes(sum(weights[i] for i in shared), [weights[i] for i in shared])
    worker, workers = plan.worker, plan.workers

    def class_of(index: int) -> int:
        g = worker + index * workers
        if g < len(fixed):
            return fixed[g]
        if not shared:
            return fixed[g % len(fixed)]
        return shared[cycle[(g - len(fixed)) % len(cycle)]]

    return class_of
