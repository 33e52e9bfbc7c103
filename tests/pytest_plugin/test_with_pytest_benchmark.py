"""With pytest-benchmark INSTALLED, surge's plugin stands aside: pytest-benchmark keeps its
`benchmark` fixture and `--benchmark-*` options, and `surge_benchmark` works beside it in the
same session. pytest-benchmark never enters surge's environment: it is installed once into its
own directory (.bench/pytest-benchmark, cached) and put on the session's path; without PyPI the
test skips, saying so."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TARGET = ROOT / ".bench" / "pytest-benchmark"

BOTH = """
def test_theirs(benchmark):
    assert type(benchmark).__module__ == "pytest_benchmark.fixture"
    assert benchmark(sorted, [2, 1]) == [1, 2]


def test_ours(surge_benchmark):
    assert type(surge_benchmark).__module__ == "surge.pytest_plugin.fixture"
    assert surge_benchmark(sorted, [2, 1]) == [1, 2]
    assert surge_benchmark.stats.stats.p99 >= surge_benchmark.stats["median"] > 0
"""


def _installed() -> Path:
    if (TARGET / "pytest_benchmark").is_dir():
        return TARGET
    try:
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(TARGET),
             "pytest-benchmark>=4", "py-cpuinfo"],
            check=True, timeout=400, capture_output=True,
        )  # fmt: skip
    except (subprocess.SubprocessError, OSError) as exc:
        shutil.rmtree(TARGET, ignore_errors=True)
        pytest.skip(f"pytest-benchmark could not be installed into {TARGET} (no PyPI?): {exc}")
    return TARGET


@pytest.mark.timeout(600)
def test_surge_benchmark_coexists_with_pytest_benchmark(pytester: pytest.Pytester) -> None:
    target = _installed()
    pytester.makepyfile(test_both=BOTH)
    path = os.pathsep.join(filter(None, [str(target), os.environ.get("PYTHONPATH")]))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PYTHONPATH", path)
        result = pytester.runpytest_subprocess(
            "-p", "no:cacheprovider", "-p", "no:xdist", "-W", "error",
            "--benchmark-max-time=0.05", "--surge-max-time=0.05", "--benchmark-columns=min,max",
            timeout=300,
        )  # fmt: skip
    result.assert_outcomes(passed=2)
    out = result.stdout.str()
    assert "plugins:" in out and "benchmark-" in out  # pytest-benchmark was loaded
    assert "benchmark: 1 tests" in out  # its own table, for its fixture
    assert "surge benchmarks" in out and "test_ours" in out.split("surge benchmarks")[1]
