"""`--benchmark-json PATH` (pytest-benchmark's name, when it is absent): pytest-benchmark's JSON
document, so the tools that read it (dashboards, CI actions) keep working. Times in seconds;
`machine_info` and `commit_info` from the run's fingerprint. `--surge-json` writes surge's own
results JSON instead (docs/results-json.md)."""

from __future__ import annotations

import datetime
import json
import platform
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from surge.metrics.bench import BenchEntry
from surge.pytest_plugin.stats import Metadata, stats_of
from surge.store import Fingerprint
from surge.version import __version__


def _param(name: str) -> str | None:
    return name[name.index("[") + 1 : -1] if name.endswith("]") and "[" in name else None


def entry_metadata(entry: BenchEntry, params: dict[str, Any] | None = None) -> Metadata:
    short = entry.name.rsplit("::", 1)[-1]
    return Metadata(
        name=short,
        fullname=entry.name,
        group=entry.group,
        param=_param(short),
        params=params,
        extra_info=dict(entry.extra),
        stats=stats_of(entry),
        options={"disable_gc": entry.calibration.gc_disabled,
                 "warmup": entry.calibration.warmup_rounds, "timer": "perf_counter_ns"},
    )  # fmt: skip


def document(
    entries: Sequence[BenchEntry], fingerprint: Fingerprint, params: dict[str, Any]
) -> dict[str, Any]:
    return {
        "machine_info": {
            "node": fingerprint.host,
            "processor": platform.processor(),
            "machine": platform.machine(),
            "python_implementation": platform.python_implementation(),
            "python_version": fingerprint.python,
            "release": platform.release(),
            "system": platform.system(),
            "cpu": {"count": fingerprint.cpu_count},
        },
        "commit_info": {"id": fingerprint.git_commit, "dirty": fingerprint.git_dirty},
        "benchmarks": [entry_metadata(e, params.get(e.name)).as_dict() for e in entries],
        "datetime": datetime.datetime.now(datetime.UTC).isoformat(),
        "version": f"surge {__version__}",
    }


def write_document(
    path: Path, entries: Sequence[BenchEntry], fingerprint: Fingerprint, params: dict[str, Any]
) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(document(entries, fingerprint, params), indent=2, default=str)
    path.write_text(text + "\n", encoding="utf-8")
