"""A test file written for pytest-benchmark runs unchanged under surge's plugin (pytest-benchmark
is not installed here: the `benchmark` fixture and the `--benchmark-*` names are surge's)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from surge_pytest.plugin import ptb_installed

# Written the way pytest-benchmark's users write them: each way of reading the stats, pedantic
# with setup/teardown, a group mark, parametrization, extra_info.
PTB_FILE = """
import time

import pytest


def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def test_fib(benchmark):
    result = benchmark(fib, 12)
    assert result == 144
    assert benchmark.stats["mean"] == benchmark.stats.stats.mean == benchmark.stats.mean
    assert benchmark.stats.stats.min <= benchmark.stats.stats.median <= benchmark.stats.stats.max
    assert benchmark.stats["rounds"] >= 5 and benchmark.stats.get("ops") > 0
    assert benchmark.stats.stats.p95 <= benchmark.stats.stats.p99 <= benchmark.stats.stats.max
    assert 0 <= benchmark.stats.stats.iqr and benchmark.stats.stats.stddev >= 0
    assert len(benchmark.stats.stats.data) == benchmark.stats.stats.rounds
    assert benchmark.stats.mean < 0.1    # seconds, as pytest-benchmark reports them
    benchmark.extra_info["n"] = 12


@pytest.mark.benchmark(group="sorting", min_rounds=20)
@pytest.mark.parametrize("size", [10, 100])
def test_sorted(benchmark, size):
    data = list(range(size, 0, -1))
    assert benchmark(sorted, data) == sorted(data)
    assert benchmark.stats.stats.rounds >= 20
    assert benchmark.group == "sorting" and benchmark.param == str(size)


def test_pedantic(benchmark):
    made, torn = [], []

    def setup():
        made.append(1)
        return ([3, 1, 2],), {"reverse": True}

    result = benchmark.pedantic(sorted, setup=setup, teardown=lambda *a, **k: torn.append(1),
                                rounds=12, warmup_rounds=3)
    assert result == [3, 2, 1]
    assert len(made) == len(torn) == 15          # exactly the rounds asked for
    assert benchmark.stats.stats.rounds == 12 and benchmark.stats.stats.iterations == 1


def test_pedantic_iterations(benchmark):
    calls = []
    benchmark.pedantic(calls.append, args=(1,), rounds=4, iterations=5)
    assert len(calls) == 4 * 5 + 1               # one more call gives the value, as there
    assert benchmark.stats.stats.iterations == 5


def test_not_a_benchmark():
    assert True
"""


def test_pytest_benchmark_is_absent_here() -> None:
    assert not ptb_installed()  # else the alias below is pytest-benchmark's, not ours


def test_a_pytest_benchmark_file_runs_unchanged(
    pytester: pytest.Pytester, fast: tuple[str, ...]
) -> None:
    pytester.makepyfile(test_perf=PTB_FILE)
    result = pytester.runpytest(*fast, "--junitxml=junit.xml")
    result.assert_outcomes(passed=6)
    out = result.stdout.str()
    assert "surge benchmarks" in out
    # grouped (the mark's group, else the kind), named by test, sorted by mean, units scaled
    result.stdout.fnmatch_lines(["*sorting: 2 benches*", "Name (time in *s)*Min*Max*Mean*P95*P99*"])
    sorting = out[out.index("sorting: 2 benches") :]
    assert sorting.index("test_sorted[10]") < sorting.index("test_sorted[100]")
    assert "test_not_a_benchmark" not in out
    # JUnit properties carry the figures
    cases = {c.get("name"): c for c in ET.parse(pytester.path / "junit.xml").iter("testcase")}
    props = {p.get("name"): p.get("value") for p in cases["test_fib"].iter("property")}
    assert float(props["surge_mean_s"]) > 0 and int(props["surge_rounds"]) >= 5
    assert {"surge_median_s", "surge_p95_s", "surge_p99_s", "surge_ops"} <= props.keys()


def test_benchmark_names_of_pytest_benchmark_are_accepted(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_perf=PTB_FILE)
    result = pytester.runpytest(
        "-p", "no:cacheprovider", "-W", "error", "--benchmark-max-time=0.05",
        "--benchmark-min-rounds=7", "--benchmark-warmup=off", "--benchmark-only",
        "--benchmark-json=ptb.json", "--benchmark-columns=min,max", "--benchmark-sort=mean",
        "--benchmark-disable-gc",
    )  # fmt: skip
    result.assert_outcomes(passed=5, skipped=1)  # --benchmark-only skips the plain test
    doc = json.loads((pytester.path / "ptb.json").read_text())
    assert {"machine_info", "commit_info", "benchmarks", "datetime", "version"} <= doc.keys()
    by_name = {b["name"]: b for b in doc["benchmarks"]}
    fib = by_name["test_fib"]
    assert fib["fullname"] == "test_perf.py::test_fib" and fib["extra_info"] == {"n": 12}
    assert fib["stats"]["rounds"] >= 7 and len(fib["stats"]["data"]) == fib["stats"]["rounds"]
    assert fib["stats"]["min"] <= fib["stats"]["mean"] <= fib["stats"]["max"] < 0.1
    assert set(fib["stats"]) >= {"min", "max", "mean", "stddev", "median", "iqr", "ops",
                                 "q1", "q3", "outliers", "ld15iqr", "hd15iqr", "total"}  # fmt: skip
    assert by_name["test_sorted[10]"]["group"] == "sorting"
    assert by_name["test_sorted[10]"]["param"] == "10"


def test_skip_and_disable(pytester: pytest.Pytester, fast: tuple[str, ...]) -> None:
    pytester.makepyfile(test_perf=PTB_FILE)
    skipped = pytester.runpytest(*fast, "--surge-skip")
    skipped.assert_outcomes(passed=1, skipped=5)
    pytester.makepyfile(
        test_once="""
calls = []

def test_once(benchmark):
    assert benchmark(calls.append, 1) is None
    assert calls == [1] and benchmark.stats is None and not benchmark.enabled
"""
    )
    disabled = pytester.runpytest(*fast, "test_once.py", "--benchmark-disable")
    disabled.assert_outcomes(passed=1)
    assert "surge benchmarks" not in disabled.stdout.str()


def test_a_raising_target_fails_the_test_with_its_exception(
    pytester: pytest.Pytester, fast: tuple[str, ...]
) -> None:
    pytester.makepyfile(
        """
import pytest

def boom():
    raise KeyError("missing")

def test_raises(benchmark):
    benchmark(boom)

def test_twice(surge_benchmark):
    surge_benchmark(len, "ab")
    surge_benchmark(len, "ab")

def test_setup_and_args(benchmark):
    with pytest.raises(TypeError, match="setup"):
        benchmark.pedantic(len, args=("x",), setup=lambda: (("y",), {}))
"""
    )
    result = pytester.runpytest(*fast)
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines(["*KeyError: 'missing'*", "*FixtureAlreadyUsed*once*"])


def test_async_targets_are_awaited(pytester: pytest.Pytester, fast: tuple[str, ...]) -> None:
    pytester.makepyfile(
        """
import asyncio

awaited = []

async def handler(n):
    await asyncio.sleep(0)
    awaited.append(n)
    return {"n": n}

def test_async(surge_benchmark):
    assert surge_benchmark(handler, 3) == {"n": 3}
    assert len(awaited) > surge_benchmark.stats.stats.rounds
    assert surge_benchmark.result.entry.flavor.value == "async"

def test_async_pedantic(benchmark):
    awaited.clear()
    assert benchmark.pedantic(handler, args=(5,), rounds=6) == {"n": 5}
    assert awaited == [5] * 6

def test_inside_a_running_loop(surge_benchmark):
    async def test_body():
        return surge_benchmark(handler, 7)     # a blocking call from an async test
    assert asyncio.run(test_body()) == {"n": 7}
"""
    )
    result = pytester.runpytest(*fast)
    result.assert_outcomes(passed=3)
    assert "test_async [async]" in result.stdout.str()


def test_sweep_and_thresholds(pytester: pytest.Pytester, fast: tuple[str, ...]) -> None:
    pytester.makepyfile(
        """
import time
import pytest

def io():
    time.sleep(0.001)

def test_sweep(surge_benchmark):
    result = surge_benchmark.sweep(io, concurrency=[1, 4], duration="0.1s")
    assert [level.concurrency for level in result.levels] == [1, 4]
    assert result.peak_level.concurrency == 4
    assert surge_benchmark.stats.stats.ops == result.peak_level.stats.ops

@pytest.mark.benchmark(thresholds=["p99<1us"], kind="database_query")
def test_too_slow(surge_benchmark):
    surge_benchmark(io)
"""
    )
    result = pytester.runpytest(*fast)
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*test_too_slow: a threshold failed*", "*FAIL p99<1us*"])
    out = result.stdout.str()
    assert "concurrency sweep on threads" in out and "database query: 1 bench" in out


def test_bad_mark_and_options_are_usage_errors(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
import pytest

@pytest.mark.benchmark(grup="x")
def test_marked(benchmark):
    benchmark(len, "x")
"""
    )
    marked = pytester.runpytest("-p", "no:cacheprovider", "--surge-max-time=0.05")
    marked.assert_outcomes(errors=1)
    marked.stdout.fnmatch_lines(["*benchmark mark can't have 'grup'*"])
    bad = pytester.runpytest("-p", "no:cacheprovider", "--surge-max-time=soon")
    assert bad.ret == pytest.ExitCode.USAGE_ERROR
    bad.stderr.fnmatch_lines(["*--surge-max-time*soon*"])
    rule = pytester.runpytest("-p", "no:cacheprovider", "--surge-compare-fail=min:5%")
    assert rule.ret == pytest.ExitCode.USAGE_ERROR
    rule.stderr.fnmatch_lines(["*surge does not judge min*median*"])


def test_surge_json_holds_the_benches(pytester: pytest.Pytester, fast: tuple[str, ...]) -> None:
    pytester.makepyfile(test_perf=PTB_FILE)
    result = pytester.runpytest(
        *fast, "-k", "fib", "--surge-json=out/r.json", "--surge-html=r.html"
    )
    result.assert_outcomes(passed=1, deselected=5)
    doc = json.loads(Path(pytester.path / "out" / "r.json").read_text())
    (bench,) = doc["benches"]
    assert bench["name"] == "test_perf.py::test_fib" and bench["extra"] == {"n": 12}
    assert (pytester.path / "r.html").read_text().startswith("<!DOCTYPE html>")
