"""The plugin stays out of sessions that do not use it (no surge import, no warning), and reads
its settings from flags, `SURGE_PYTEST_*` variables and `[tool.surge.pytest]` — by surge's
option-table rules, with usage errors that name the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from surge.config import load_project
from surge.pytest_plugin.settings import PLUGIN_OPTIONS
from surge_pytest.options import OPTIONS

PLAIN = """
import sys

def test_plain():
    loaded = sorted(m for m in sys.modules if m == "surge" or m.startswith("surge."))
    assert loaded == [], loaded
    assert "surge_pytest.plugin" in sys.modules
"""

TWO = """
def test_bench(benchmark):
    benchmark(len, "ab")

def test_plain():
    pass
"""


def test_a_session_that_uses_none_of_it_never_imports_surge(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_plain=PLAIN)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-W", "error")
    result.assert_outcomes(passed=1)
    assert "warning" not in result.stdout.str().lower()


def test_variables_and_the_pyproject_table(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_two=TWO)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SURGE_PYTEST_ONLY", "1")
        mp.setenv("SURGE_PYTEST_MAX_TIME", "50ms")
        only = pytester.runpytest("-p", "no:cacheprovider")
    only.assert_outcomes(passed=1, skipped=1)
    pytester.makepyprojecttoml("[tool.surge]\nusers = 3\n\n[tool.surge.pytest]\nskip = true\n")
    skipped = pytester.runpytest("-p", "no:cacheprovider")
    skipped.assert_outcomes(passed=1, skipped=1)
    flag_wins = pytester.runpytest(
        "-p", "no:cacheprovider", "--surge-only", "--surge-max-time=0.05"
    )
    flag_wins.assert_outcomes(passed=1, skipped=1)  # --surge-only overrides skip, as there
    assert "test_bench" in flag_wins.stdout.str().split("surge benchmarks")[1]
    _, run_options = load_project(pytester.path)  # surge.run reads [tool.surge], not its table
    assert run_options == {"users": 3}


def test_the_table_saves_and_a_bad_key_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_two=TWO)
    pytester.makepyprojecttoml('[tool.surge.pytest]\nsave = "nightly"\nmax-time = "50ms"\n')
    saved = pytester.runpytest("-p", "no:cacheprovider")
    saved.assert_outcomes(passed=2)
    saved.stdout.fnmatch_lines(["*stored as run *"])
    pytester.makepyprojecttoml('[tool.surge.pytest]\nmax_tme = "1s"\n')
    bad = pytester.runpytest("-p", "no:cacheprovider")
    assert bad.ret == pytest.ExitCode.USAGE_ERROR
    bad.stderr.fnmatch_lines(
        ["*pyproject.toml: unknown key 'max_tme' in ?tool.surge.pytest?; did you mean 'max-time'*"]
    )
    pytester.makepyprojecttoml("")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SURGE_PYTEST_MIN_ROUNDS", "none")
        env = pytester.runpytest("-p", "no:cacheprovider")
    assert env.ret == pytest.ExitCode.USAGE_ERROR
    env.stderr.fnmatch_lines(["*SURGE_PYTEST_MIN_ROUNDS: 'none' is not a valid integer.*"])


OWN_CONFTEST = """
def pytest_addoption(parser):
    parser.addoption("--benchmark-skip", action="store_true", help="the project's own")
    parser.getgroup("perf").addoption("--benchmark-json", default=None, help="the project's own")


def pytest_configure(config):
    config.own = (config.getoption("benchmark_skip"), config.getoption("benchmark_json"))
"""

OWN_TEST = """
def test_own(request, benchmark):
    assert request.config.own == (True, "own.json")
    assert benchmark(len, "ab") == 2
"""


def test_a_projects_own_benchmark_options_stay_its_own(pytester: pytest.Pytester) -> None:
    """pytest-benchmark's names are surge's only where no conftest declared them: a project
    that has its own `--benchmark-skip` runs as before (pytest would refuse a clash)."""
    pytester.makeconftest(OWN_CONFTEST)
    pytester.makepyfile(test_own=OWN_TEST)
    result = pytester.runpytest(
        "-p", "no:cacheprovider", "--benchmark-skip", "--benchmark-json=own.json",
        "--benchmark-max-time=0.05",
    )  # fmt: skip
    result.assert_outcomes(passed=1)  # the project's --benchmark-skip is not surge's
    assert "test_own" in result.stdout.str().split("surge benchmarks")[1]
    assert not (pytester.path / "own.json").exists()  # and its --benchmark-json neither


def test_every_option_has_its_table_row_and_docs() -> None:
    page = (Path(__file__).resolve().parents[2] / "docs" / "pytest.md").read_text()
    assert [s.name for s in PLUGIN_OPTIONS] == [d.name for d in OPTIONS]
    for declared in OPTIONS:
        assert declared.flag in page and declared.env in page, declared.name
        for flag in declared.benchmark:
            assert flag in page, flag
