"""Change points across the stored history of a name: where did a metric shift and stay?

Each endpoint's metric forms one series over the runs, oldest first (one value per run). The
series is scaled by a robust estimate of its run-to-run noise (the median absolute difference of
consecutive runs), segmented by PELT with a least-squares cost (ruptures), a penalty of
5·ln(n) per change and segments of at least `min_size` runs; a change is reported only when the
medians either side of it differ by more than the metric's tolerance (and the latency floor).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from surge.compare.metrics import Metric, endpoint_keys, metrics_for, run_value
from surge.compare.verdict import Tolerances
from surge.metrics import RunResult

MIN_SEGMENT_RUNS = 3
PENALTY_PER_LN_N = 5.0


@dataclass(frozen=True, slots=True)
class ChangePoint:
    """A lasting shift of one endpoint's metric: `run_id` is the first run after it; `before`
    and `after` are the medians of the segments either side (in the metric's unit), `change_pct`
    the relative change in % (percentage points for error_rate)."""

    method: str
    name: str
    metric: str
    unit: str
    run_id: int
    runs_before: int
    runs_after: int
    before: float
    after: float
    change_pct: float

    @property
    def endpoint(self) -> str:
        return f"{self.method} {self.name}".strip()

    @property
    def worse(self) -> bool:
        return (self.change_pct > 0) == Metric(self.metric).higher_is_worse


def _noise(values: npt.NDArray[np.float64]) -> float:
    diffs = np.abs(np.diff(values))
    scale = float(np.median(diffs)) / (math.sqrt(2.0) * 0.6745) if diffs.size else 0.0
    if scale <= 0.0:
        scale = float(np.std(values))
    return scale


def segment(values: Sequence[float], min_size: int = MIN_SEGMENT_RUNS) -> list[int]:
    """Indices where a new segment starts (PELT, l2 cost, penalty 5·ln(n) on the noise-scaled
    series); empty when the series is too short or flat."""
    import ruptures  # imported on use: only `surge history --changes` needs it

    series = np.asarray(values, dtype=np.float64)
    if series.size < 2 * min_size:
        return []
    scale = _noise(series)
    if scale <= 0.0:
        return []
    scaled = ((series - np.median(series)) / scale).reshape(-1, 1)
    algo = ruptures.Pelt(model="l2", min_size=min_size, jump=1).fit(scaled)
    ends: list[int] = algo.predict(pen=PENALTY_PER_LN_N * math.log(series.size))
    return [int(e) for e in ends[:-1]]


def _significant(
    metric: Metric, before: float, after: float, tolerances: Tolerances
) -> float | None:
    """The change in % (pp for error_rate) when it is beyond tolerance and floor, else None."""
    if not metric.relative:
        change = after - before
    elif before > 0:
        change = (after / before - 1.0) * 100.0
    else:
        return None
    if abs(change) <= tolerances.of(metric):
        return None
    if metric.is_latency and abs(after - before) < tolerances.floor_ms:
        return None
    return change


def change_points(
    history: Sequence[tuple[int, RunResult]],
    *,
    tolerances: Tolerances | None = None,
    min_size: int = MIN_SEGMENT_RUNS,
) -> list[ChangePoint]:
    """Lasting shifts in every endpoint's metrics over `history` ((run id, result), oldest
    first), in run order."""
    tolerances = tolerances or Tolerances()
    found: list[ChangePoint] = []
    results = [r for _, r in history]
    order = list(Metric)
    for key in endpoint_keys(results):
        for metric in metrics_for(results, key):
            points = [(rid, run_value(metric, r, key)) for rid, r in history]
            kept = [(rid, v) for rid, v in points if v is not None]
            values = [v for _, v in kept]
            bounds = [0, *segment(values, min_size), len(values)]
            for i in range(1, len(bounds) - 1):
                before = float(np.median(values[bounds[i - 1] : bounds[i]]))
                after = float(np.median(values[bounds[i] : bounds[i + 1]]))
                change = _significant(metric, before, after, tolerances)
                if change is None:
                    continue
                found.append(
                    ChangePoint(
                        method=key[0],
                        name=key[1],
                        metric=metric.value,
                        unit=metric.unit,
                        run_id=kept[bounds[i]][0],
                        runs_before=bounds[i] - bounds[i - 1],
                        runs_after=bounds[i + 1] - bounds[i],
                        before=before,
                        after=after,
                        change_pct=change,
                    )
                )
    return sorted(found, key=lambda c: (c.run_id, c.endpoint, order.index(Metric(c.metric))))
