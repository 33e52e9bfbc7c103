"""surge.thresholds: SLA thresholds, parsed and validated before the run, judged on running
totals (abort-on-fail) and on the RunResult. Reads metrics values only."""

from surge.thresholds.evaluate import (
    AbortWatch,
    abort_reason,
    evaluate,
    evaluate_stats,
    judge,
    observe,
    select,
)
from surge.thresholds.grammar import (
    DEFAULT_ABORT_GRACE_S,
    METRIC_KINDS,
    Kind,
    Metric,
    Op,
    Selector,
    ThresholdError,
    ThresholdSpec,
    metric_names,
    parse_threshold,
)
from surge.thresholds.python_api import Threshold
from surge.thresholds.specs import (
    THRESHOLD_OPTION,
    EntryLike,
    parse_thresholds,
    specs_from_entries,
    validate,
    with_abort,
)

__all__ = [
    "DEFAULT_ABORT_GRACE_S",
    "METRIC_KINDS",
    "THRESHOLD_OPTION",
    "AbortWatch",
    "EntryLike",
    "Kind",
    "Metric",
    "Op",
    "Selector",
    "Threshold",
    "ThresholdError",
    "ThresholdSpec",
    "abort_reason",
    "evaluate",
    "evaluate_stats",
    "judge",
    "metric_names",
    "observe",
    "parse_threshold",
    "parse_thresholds",
    "select",
    "specs_from_entries",
    "validate",
    "with_abort",
]
