"""The README's `surge run` examples parse and plan: each is run with `--dry-run` (nothing sent)
beside the README's own scenario file, so a renamed or removed flag breaks this test."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from cli_helpers import run_surge

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _run_lines() -> list[str]:
    lines: list[str] = []
    for block in re.findall(r"```bash\n(.*?)```", README, flags=re.S):
        for line in block.splitlines():
            command = line.split("  #", 1)[0].strip()
            if command.startswith("surge run "):
                lines.append(command)
    return lines


def test_the_readme_has_run_examples() -> None:
    assert len(_run_lines()) >= 5


@pytest.mark.parametrize("command", _run_lines())
def test_readme_run_example_plans(command: str, workdir: Path) -> None:
    (scenario,) = re.findall(r"```python\n(.*?)```", README, flags=re.S)[:1]
    (workdir / "scenario.py").write_text(scenario, encoding="utf-8")
    (workdir / "scenarios.toml").write_text(
        (ROOT / "examples" / "sla.toml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    args = shlex.split(command)[1:]
    proc = run_surge(*args, "--dry-run", cwd=workdir)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "dry run: nothing was sent" in proc.stdout
