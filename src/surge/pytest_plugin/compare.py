"""`--surge-compare` and `--surge-compare-fail`: this session's benches against a stored run,
with surge's statistics (significance over the rounds, Benjamini-Hochberg across benches).

A rule `p95:10%` fails the session when p95 regressed — significantly worse AND by more than
10 % (the metric's tolerance becomes the limit); `mean:0.001` when the mean is significantly
worse by more than 1 ms (seconds, as pytest-benchmark writes it). Only benches present on both
sides are compared (a `-k` subset compares with its part of a full run).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from surge.benches.record import run_result
from surge.compare import Comparison, Finding, RunSample, Tolerances, Verdict, compare_runs
from surge.compare.metrics import Metric
from surge.metrics import RunResult
from surge.store import Store, StoredRun, StoreError

_RULE = re.compile(r"^\s*(?P<metric>[a-z_0-9]+)\s*:\s*(?P<num>[0-9]*\.?[0-9]+(?:e-?[0-9]+)?)\s*"
                   r"(?P<pct>%)?\s*$", re.IGNORECASE)  # fmt: skip
_METRICS = {
    "p50": Metric.P50, "median": Metric.P50, "mean": Metric.MEAN, "p95": Metric.P95,
    "p99": Metric.P99, "ops": Metric.RPS, "rps": Metric.RPS, "error_rate": Metric.ERROR_RATE,
}  # fmt: skip
_NOT_COMPARED = ("min", "max", "stddev", "iqr")


class CompareUsageError(ValueError):
    """A bad --surge-compare-fail rule (the session stops before any test)."""


@dataclass(frozen=True, slots=True)
class FailRule:
    """Fail when `metric` regressed by more than `percent` %, or by more than `seconds`."""

    text: str
    metric: Metric
    percent: float | None = None
    seconds: float | None = None


def parse_rule(text: str) -> FailRule:
    match = _RULE.match(text)
    if match is None:
        raise CompareUsageError(
            f"--surge-compare-fail {text!r}: expected METRIC:LIMIT, e.g. p95:10% or mean:0.001"
        )
    name = match["metric"].lower()
    if name in _NOT_COMPARED:
        raise CompareUsageError(
            f"--surge-compare-fail {text!r}: surge does not judge {name} (one extreme round, or "
            "a spread, is not a regression test); use median, mean, p95, p99 or ops"
        )
    metric = _METRICS.get(name)
    if metric is None:
        known = ", ".join(sorted(_METRICS))
        raise CompareUsageError(f"--surge-compare-fail {text!r}: unknown metric {name!r} ({known})")
    value = float(match["num"])
    if match["pct"]:
        return FailRule(text, metric, percent=value)
    if not metric.is_latency:
        raise CompareUsageError(f"--surge-compare-fail {text!r}: {name} takes a percentage")
    return FailRule(text, metric, seconds=value)


def parse_rules(items: Sequence[str]) -> list[FailRule]:
    rules = [parse_rule(item) for item in items]
    metrics = [r.metric for r in rules]
    for metric in set(metrics):
        if metrics.count(metric) > 1:
            raise CompareUsageError(
                f"--surge-compare-fail: {metric.value} has two limits; give one"
            )
    return rules


def tolerances_for(rules: Sequence[FailRule]) -> Tolerances:
    """The default tolerances, with each rule's metric at its limit (0 for an absolute one)."""
    tolerances = Tolerances()
    for rule in rules:
        tolerances = replace(tolerances, **{rule.metric.value: rule.percent or 0.0})
    return tolerances


def broken(comparison: Comparison, rules: Sequence[FailRule]) -> list[str]:
    """One line per finding that breaks a rule."""
    out: list[str] = []
    for rule in rules:
        for f in comparison.regressions:
            if f.metric != rule.metric.value or not _beyond(rule, f):
                continue
            out.append(f"{f.name}: {f.metric} {_change(f)} ({rule.text})")
    return out


def _beyond(rule: FailRule, finding: Finding) -> bool:
    if rule.seconds is None:
        return True
    if finding.baseline is None or finding.candidate is None:
        return False
    return (finding.candidate - finding.baseline) / 1e3 > rule.seconds


def _change(finding: Finding) -> str:
    if finding.change_pct is None:
        return "changed"
    unit = " pp" if finding.unit == "%" else "%"
    return f"{finding.change_pct:+.1f}{unit}"


def baseline_runs(store: Store, ref: str, name: str, exclude: int | None) -> list[StoredRun]:
    """What `--surge-compare[=REF]` compares with: a run id (`12`, `#12`, `NAME~1`); else the
    baseline of REF (bare: this session's name) when one is set, else its latest run."""
    if re.fullmatch(r"#?\d+", ref) or "~" in ref:
        return [store.get(ref)]
    wanted = ref or name
    found = store.baseline(wanted)
    if found is not None:
        return list(found.runs)
    ids = [s.id for s in store.summaries(wanted) if s.id != exclude][:1]
    if not ids:
        raise StoreError(
            f"nothing to compare with: no stored run named {wanted!r} in {store.where} "
            "(store one first with --surge-save)"
        )
    return [store.get(ids[0])]


def restricted(result: RunResult, names: set[str]) -> RunResult:
    """The run with only the benches named in `names`."""
    return run_result(
        [e for e in result.benches if e.name in names],
        name=result.meta.name,
        target=result.meta.target,
        options=result.meta.options,
        started_at=result.meta.started_at,
        finished_at=result.meta.finished_at,
    )


def compare_with(
    baseline: Sequence[StoredRun], candidate: RunSample, rules: Sequence[FailRule]
) -> tuple[Comparison | None, list[str]]:
    """The comparison of the benches both sides have; the benches only one side has."""
    seen = {e.name for run in baseline for e in run.result.benches}
    mine = {e.name for e in candidate.result.benches}
    common = seen & mine
    only = sorted(mine - seen)
    if not common:
        return None, only
    samples = [
        RunSample(restricted(r.result, common), r.id, dataclasses.asdict(r.fingerprint))
        for r in baseline
    ]
    ours = replace(candidate, result=restricted(candidate.result, common))
    comparison = compare_runs(samples, [ours], tolerances=tolerances_for(rules))
    return comparison, only


VERDICT_MARK = {
    Verdict.REGRESSED: "REGRESSED",
    Verdict.IMPROVED: "improved",
    Verdict.UNCHANGED: "unchanged",
    Verdict.INCONCLUSIVE: "inconclusive",
}
