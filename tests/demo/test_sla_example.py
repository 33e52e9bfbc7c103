"""The shipped SLA example (examples/sla.toml) runs against the demo API and passes its gates."""

from __future__ import annotations

import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TESTS / "integration"))

from cli_helpers import read_json, run_surge  # noqa: E402

from surge.demo.server import DemoServer  # noqa: E402

EXAMPLE = TESTS.parent / "examples" / "sla.toml"


def test_sla_example_passes_against_the_demo(demo_server: DemoServer, tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    text = EXAMPLE.read_text(encoding="utf-8").replace("http://127.0.0.1:8000", demo_server.url)
    (tmp_path / "sla.toml").write_text(text)
    proc = run_surge(
        "run", "sla.toml", "-d", "1s", "--out", "r.json", "--junit", "junit.xml", "-q",
        cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    runs = read_json(tmp_path / "r.json")["scenarios"]
    assert [r["meta"]["name"] for r in runs] == ["health", "login", "products", "search", "report"]
    for run in runs:
        assert run["thresholds"] and run["thresholds_passed"], run["meta"]["name"]
        assert run["summary"]["failures"] == 0
    health = runs[0]["summary"]["checks"]
    assert health and all(c["fails"] == 0 for c in health.values())
    assert (tmp_path / "junit.xml").read_text().count("<testsuite ") == 5
