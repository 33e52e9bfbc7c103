"""`surge demo` end to end: bundled API in a subprocess, bundled scenario, JSON written."""

from __future__ import annotations

from pathlib import Path

from cli_helpers import read_json, run_surge


def test_demo_runs_and_writes_json(workdir: Path) -> None:
    proc = run_surge("demo", "-d", "4s", "-u", "6", "-q", "--out", "demo.json", cwd=workdir)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    doc = read_json(workdir / "demo.json")
    names = {(e["method"], e["name"]) for e in doc["endpoints"]}
    assert ("POST", "/api/login") in names
    assert ("GET", "/api/products/{id}") in names  # dynamic URLs grouped by name=
    login = next(e for e in doc["endpoints"] if e["name"] == "/api/login")
    assert login["failures"] == 0
    assert doc["summary"]["requests"] > 20
    assert doc["summary"]["failures"] < doc["summary"]["requests"]
    assert "Total" in proc.stdout
