"""The values a comparison produces: findings per endpoint and metric, and the whole comparison.

They are plain frozen data: the terminal table, the `--json` document and the HTML report all
render them without recomputing anything.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from surge.metrics import RunResult


class Verdict(enum.Enum):
    """What a comparison (or one finding of it) says about the candidate."""

    REGRESSED = "regressed"  # significantly worse, beyond the tolerance and the absolute floor
    IMPROVED = "improved"  # significantly better, beyond the tolerance and the absolute floor
    UNCHANGED = "unchanged"  # the change is within the tolerance (or under the floor)
    INCONCLUSIVE = "inconclusive"  # beyond the tolerance but not significant, or no data


class Method(enum.Enum):
    """How significance and the confidence interval were obtained."""

    RUNS = "runs"  # >= 3 runs per side: exact Mann-Whitney U on per-run values, bootstrap of runs
    INTERVALS = "intervals"  # fewer runs: moving-block bootstrap over per-second intervals
    SAMPLES = "samples"  # benches, fewer runs: moving-block bootstrap over their samples


def _no_fingerprint() -> Mapping[str, Any]:
    return {}


@dataclass(frozen=True, slots=True)
class RunSample:
    """One run as a comparison input: its result, its store id and its fingerprint (as a
    mapping: surge_version, git_commit, git_dirty, host, cpu_count, python, platform, options)."""

    result: RunResult
    run_id: int | None = None
    fingerprint: Mapping[str, Any] = field(default_factory=_no_fingerprint)


@dataclass(frozen=True, slots=True)
class Finding:
    """One endpoint and metric, baseline against candidate.

    Values are in the metric's unit (ms, requests/s, or % for error_rate). `change_pct` and the
    confidence interval `ci_low_pct`/`ci_high_pct` are relative changes in % for every metric
    except error_rate, where they are differences in percentage points. `p_value` is one-sided in
    the direction of the observed change and Benjamini-Hochberg adjusted across the comparison;
    None when no test was possible. `test` says which method produced them.
    """

    method: str
    name: str
    metric: str
    unit: str
    baseline: float | None
    candidate: float | None
    change_pct: float | None
    ci_low_pct: float | None
    ci_high_pct: float | None
    p_value: float | None
    tolerance: float
    verdict: Verdict
    reason: str
    test: str

    @property
    def endpoint(self) -> str:
        return f"{self.method} {self.name}".strip()


@dataclass(frozen=True, slots=True)
class Comparison:
    """Baseline runs against candidate runs: every finding and the overall verdict.

    `baseline_runs`/`candidate_runs` are store ids (empty for runs that were not stored).
    `warnings` name fingerprint differences (other host, options, surge version, dirty git) and
    anything else that weakens the comparison. The overall verdict is REGRESSED when any finding
    regressed, else INCONCLUSIVE when a finding changed for the worse beyond its tolerance without
    being significant (or lacks data), else IMPROVED when any improved, else UNCHANGED.
    `seed` makes the bootstrap reproducible.
    """

    baseline_name: str
    candidate_name: str
    baseline_runs: tuple[int, ...]
    candidate_runs: tuple[int, ...]
    method: Method
    alpha: float
    findings: tuple[Finding, ...]
    warnings: tuple[str, ...]
    verdict: Verdict
    seed: int
    baseline_version: str | None = None

    def with_verdict(self, verdict: Verdict) -> list[Finding]:
        return [f for f in self.findings if f.verdict is verdict]

    @property
    def regressions(self) -> list[Finding]:
        return self.with_verdict(Verdict.REGRESSED)

    @property
    def inconclusive(self) -> list[Finding]:
        return self.with_verdict(Verdict.INCONCLUSIVE)

    @property
    def passed(self) -> bool:
        """True unless a finding regressed (an inconclusive verdict passes, as the CLI exits 0
        for it without --strict)."""
        return self.verdict is not Verdict.REGRESSED

    @property
    def changes(self) -> dict[str, dict[str, float | None]]:
        """Each endpoint's change per metric, `{"GET /api/deals": {"p95": 12.5, …}}`: in % (of
        the baseline) for latencies and rates, in percentage points for error_rate; None where
        there was nothing to compare."""
        out: dict[str, dict[str, float | None]] = {}
        for finding in self.findings:
            out.setdefault(finding.endpoint, {})[finding.metric] = finding.change_pct
        return out
