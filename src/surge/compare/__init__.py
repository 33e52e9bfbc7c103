"""surge.compare: baselines against candidates with real statistics — the run as the unit,
significance and confidence intervals, tolerances, false-discovery control, change points."""

from surge.compare.comparison import MIN_RUNS, CompareError, compare_runs
from surge.compare.document import comparison_document, write_comparison_json
from surge.compare.metrics import METRICS, Metric
from surge.compare.values import Comparison, Finding, Method, RunSample, Verdict
from surge.compare.verdict import DEFAULT_ALPHA, ToleranceError, Tolerances, parse_tolerances

__all__ = [
    "DEFAULT_ALPHA",
    "METRICS",
    "MIN_RUNS",
    "CompareError",
    "Comparison",
    "Finding",
    "Method",
    "Metric",
    "RunSample",
    "ToleranceError",
    "Tolerances",
    "Verdict",
    "compare_runs",
    "comparison_document",
    "parse_tolerances",
    "write_comparison_json",
]
