"""Running the real `surge` command in a subprocess (imported by the integration tests)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

SURGE = [sys.executable, "-m", "surge"]


def run_surge(
    *args: str, cwd: Path, env: dict[str, str] | None = None, timeout_s: float = 90.0
) -> subprocess.CompletedProcess[str]:
    """`surge ARGS` with a clean SURGE_* environment; output captured as text."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SURGE_")}
    clean.update(env or {})
    clean.setdefault("COLUMNS", "160")
    return subprocess.run(
        [*SURGE, *args],
        cwd=cwd,
        env=clean,
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )


def read_json(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def endpoint(doc: dict[str, Any], method: str, name: str) -> dict[str, Any]:
    for item in doc["endpoints"]:
        if item["method"] == method and item["name"] == name:
            return dict(item)
    raise AssertionError(f"no endpoint {method} {name} in {[e['name'] for e in doc['endpoints']]}")
