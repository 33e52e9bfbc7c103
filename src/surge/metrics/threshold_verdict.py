"""A threshold's verdict: the value both runs and benches carry."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ThresholdVerdict:
    """One threshold evaluated against a result.

    `expression` is the text as the user wrote it; `endpoint` is "METHOD name" or None (global);
    `observed` is in `unit` ("ms", "%", "rps", "count"), None when there was nothing to measure
    (e.g. a percentile of an endpoint without a success), which fails the threshold.
    """

    expression: str
    endpoint: str | None
    metric: str
    op: str
    limit: float
    unit: str
    observed: float | None
    passed: bool
    abort_on_fail: bool = False
