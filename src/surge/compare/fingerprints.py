"""Fingerprint differences worth a warning: a comparison across hosts, options or versions
compares the setups as much as the code."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from surge.compare.values import RunSample

_FIELDS: tuple[tuple[str, str], ...] = (
    ("host", "other host"),
    ("cpu_count", "other CPU count"),
    ("surge_version", "other surge version"),
    ("python", "other Python"),
    ("platform", "other platform"),
)

# Options that change what is written or how a run is kept, never the load itself.
_OUTPUT_ONLY = frozenset(
    {
        "out",
        "csv",
        "junit",
        "html",
        "report_text",
        "quiet",
        "name",
        "dry_run",
        "store",
        "no_store",
        "repeat",
        "compare_to",
        "tolerance",
        "strict",
        "threshold",
        "abort_on_fail",
        "abort_grace",
        "allow_saturated",
        "fail_on_worker_loss",
    }
)


def _field(sample: RunSample, key: str) -> Any:
    if key == "surge_version":
        return sample.fingerprint.get(key, sample.result.meta.surge_version)
    return sample.fingerprint.get(key)


def _options(sample: RunSample) -> Mapping[str, Any]:
    options = sample.fingerprint.get("options")
    if not isinstance(options, Mapping):
        options = sample.result.meta.options
    return {k: v for k, v in options.items() if k not in _OUTPUT_ONLY}


def _show(values: set[str]) -> str:
    return ", ".join(sorted(values))


def fingerprint_warnings(
    baseline: Sequence[RunSample], candidate: Sequence[RunSample]
) -> list[str]:
    """One line per difference between the sides (and per dirty git tree)."""
    warnings: list[str] = []
    for key, label in _FIELDS:
        before = {str(v) for v in (_field(s, key) for s in baseline) if v is not None}
        after = {str(v) for v in (_field(s, key) for s in candidate) if v is not None}
        if before and after and before != after:
            warnings.append(f"{label}: baseline {_show(before)}, candidate {_show(after)}")
    changed = _option_changes(baseline, candidate)
    if changed:
        warnings.append("other options: " + "; ".join(changed))
    for side, samples in (("baseline", baseline), ("candidate", candidate)):
        dirty = [s for s in samples if s.fingerprint.get("git_dirty")]
        if dirty:
            commits = {str(s.fingerprint.get("git_commit") or "?")[:12] for s in dirty}
            warnings.append(
                f"{side}: {len(dirty)} run(s) from a git tree with uncommitted changes "
                f"(commit {_show(commits)})"
            )
    return warnings


def _option_changes(baseline: Sequence[RunSample], candidate: Sequence[RunSample]) -> list[str]:
    if not baseline or not candidate:
        return []
    before, after = _options(baseline[0]), _options(candidate[0])
    changes: list[str] = []
    for key in sorted(set(before) | set(after)):
        if before.get(key) != after.get(key):
            changes.append(f"{key} {before.get(key)!r} → {after.get(key)!r}")
    return changes
