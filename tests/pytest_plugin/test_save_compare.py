"""Save a session's benchmarks, then compare a later session with them: an injected 30 %
slowdown is found and fails the session under `--surge-compare-fail`; the stored runs carry
their fingerprint and `surge compare` reads them like any run."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from integration.cli_helpers import run_surge
from surge.store import Store

SPIN_FILE = """
import time

def spin():
    end = time.perf_counter_ns() + {delay_ns}
    while time.perf_counter_ns() < end:
        pass

def test_spin(benchmark):
    benchmark(spin)

def test_join(benchmark):
    benchmark("-".join, ["a"] * 20)
"""

COMMON = ("-p", "no:cacheprovider", "-W", "error", "--surge-max-time=0.3")


def _session(pytester: pytest.Pytester, delay_ns: int, *args: str) -> pytest.RunResult:
    pytester.makepyfile(test_perf=SPIN_FILE.format(delay_ns=delay_ns))
    return pytester.runpytest(*COMMON, *args)


def _git(path: Path, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@x",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@x"}  # fmt: skip
    subprocess.run(["git", *args], cwd=path, env=env, check=True, capture_output=True)


def test_save_then_compare_fails_on_a_30_percent_slowdown(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    _git(pytester.path, "init", "-q")
    pytester.makepyfile(test_perf=SPIN_FILE.format(delay_ns=50_000))
    _git(pytester.path, "add", "test_perf.py")
    _git(pytester.path, "commit", "-q", "-m", "the code as it was")
    saved = _session(pytester, 50_000, "--surge-save=perf")
    saved.assert_outcomes(passed=2)
    saved.stdout.fnmatch_lines(["*stored as run * (surge show *)"])

    # the spin alone from here: a 200 ns join is at the mercy of a busy machine
    same = _session(
        pytester, 50_000, "-k", "spin", "--surge-compare=perf", "--surge-compare-fail=p50:25%"
    )
    assert same.ret == pytest.ExitCode.OK, same.stdout.str()
    assert "surge comparison" in same.stdout.str()

    slower = _session(
        pytester, 65_000, "-k", "spin", "--surge-save=perf", "--surge-compare=perf",
        "--surge-compare-fail=p50:10%", "--surge-compare-fail=mean:0.000005",
    )  # fmt: skip
    slower.assert_outcomes(passed=1, deselected=1)  # the tests passed: the regression fails
    assert slower.ret == pytest.ExitCode.TESTS_FAILED
    slower.stdout.fnmatch_lines(
        ["*surge: performance regression*", "test_perf.py::test_spin: p50 +*% (p50:10%)"]
    )
    assert "REGRESSED" in slower.stdout.str()

    with Store.open(os.environ["SURGE_STORE"]) as store:
        runs = store.runs("perf")
    assert len(runs) == 2  # the compare-only session stored nothing
    newest = runs[0]  # made with the slower spin, not committed
    assert newest.fingerprint.git_commit == runs[1].fingerprint.git_commit is not None
    assert newest.fingerprint.git_dirty is True and runs[1].fingerprint.git_dirty is False
    assert [e.name for e in newest.result.benches] == ["test_perf.py::test_spin"]
    cli = run_surge(
        "compare", str(runs[1].id), str(newest.id), "--tolerance", "p50=10%",
        cwd=tmp_path, env={"SURGE_STORE": os.environ["SURGE_STORE"], "COLUMNS": "200"},
    )  # fmt: skip
    assert cli.returncode == 1, cli.stdout + cli.stderr  # the CLI finds the regression too
    assert "test_perf.py::test_spin" in cli.stdout and "regressed" in cli.stdout


def test_compare_with_nothing_stored_warns(pytester: pytest.Pytester) -> None:
    result = _session(pytester, 1_000, "--surge-compare=never-saved")
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["*nothing to compare with: no stored run named 'never-saved'*"])


def test_compare_a_subset_with_a_run_id(pytester: pytest.Pytester) -> None:
    saved = _session(pytester, 1_000, "--surge-autosave")
    saved.assert_outcomes(passed=2)
    with Store.open(os.environ["SURGE_STORE"]) as store:
        (run,) = store.runs("pytest")
    subset = _session(pytester, 1_000, "-k", "join", f"--surge-compare={run.id}")
    subset.assert_outcomes(passed=1, deselected=1)
    out = subset.stdout.str()
    assert f"compared with run {run.id} (pytest)" in out
    assert "test_join" in out.split("surge comparison")[1] and "test_spin" not in out
