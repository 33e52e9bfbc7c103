"""`import surge` and `surge --help` load none of the heavy libraries they do not use (what a
command costs to start is what it imports; this checks the imports, not the clock)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = (
    "numpy",
    "scipy",
    "sqlalchemy",
    "starlette",
    "uvicorn",
    "rich.table",
    "rich.live",
    "psutil",
    "ruptures",
    "hdrh",
    "uvloop",
    "surge.report.html",
    "surge.runner.session",
)

HELP = """
import sys
from surge.cli.main import main
sys.argv = ["surge", *ARGS]
try:
    main()
except SystemExit:
    pass
"""


def _loaded(code: str) -> list[str]:
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    modules = set(json.loads(proc.stdout.strip().splitlines()[-1]))
    return [name for name in HEAVY if name in modules]


def test_import_surge_loads_only_the_package() -> None:
    assert _loaded("import surge") == []


def test_a_scenario_script_loads_only_the_scripting_api() -> None:
    code = "import surge\nclass U(surge.User):\n    wait_time = surge.between(0, 1)\n"
    assert _loaded(code) == []


@pytest.mark.parametrize("args", [["--help"], ["run", "--help"], ["--version"]])
def test_help_loads_no_heavy_library(args: list[str]) -> None:
    assert _loaded(HELP.replace("ARGS", repr(args)[1:-1])) == []


def test_a_url_run_does_not_load_the_scenario_file_loaders() -> None:
    probe = (
        "import surge.cli.run_command, surge.runner.execute, surge.runner.load\n"
        "from surge.runner import plan_jobs\n"
        "from surge.config import RunConfig\n"
        "plan_jobs('http://127.0.0.1:9/', RunConfig.layered({'requests_per_user': 1}, {}))\n"
        "import json, sys\n"
        "print(json.dumps(sorted(sys.modules)))"
    )
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    modules = set(json.loads(proc.stdout.strip().splitlines()[-1]))
    assert "surge.runner.jobs" in modules
    assert "surge.scenario.toml_loader" not in modules
    assert "surge.scenario.script_loader" not in modules
