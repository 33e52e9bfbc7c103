"""The comparison document (`surge compare --json FILE`): a public contract, see
docs/compare.md. Fields are only ever added."""

from __future__ import annotations

import json
import math
from typing import Any, TextIO

from surge.compare.values import Comparison, Finding

SCHEMA = "surge.comparison/1"


def _num(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(value, 6)


def _finding(f: Finding) -> dict[str, Any]:
    return {
        "endpoint": f.endpoint,
        "method": f.method,
        "name": f.name,
        "metric": f.metric,
        "unit": f.unit,
        "baseline": _num(f.baseline),
        "candidate": _num(f.candidate),
        "change_pct": _num(f.change_pct),
        "ci_low_pct": _num(f.ci_low_pct),
        "ci_high_pct": _num(f.ci_high_pct),
        "p_value": _num(f.p_value),
        "tolerance": f.tolerance,
        "verdict": f.verdict.value,
        "reason": f.reason,
        "test": f.test,
    }


def comparison_document(comparison: Comparison) -> dict[str, Any]:
    """The comparison as JSON-ready data."""
    return {
        "schema": SCHEMA,
        "verdict": comparison.verdict.value,
        "baseline": {
            "name": comparison.baseline_name,
            "version": comparison.baseline_version,
            "runs": list(comparison.baseline_runs),
        },
        "candidate": {"name": comparison.candidate_name, "runs": list(comparison.candidate_runs)},
        "method": comparison.method.value,
        "alpha": comparison.alpha,
        "seed": comparison.seed,
        "warnings": list(comparison.warnings),
        "findings": [_finding(f) for f in comparison.findings],
    }


def write_comparison_json(comparison: Comparison, fp: TextIO) -> None:
    """Write the comparison document; write errors propagate."""
    json.dump(comparison_document(comparison), fp, indent=2, ensure_ascii=False)
    fp.write("\n")
