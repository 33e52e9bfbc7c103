"""Under pytest-xdist (`-n`): benchmarks are skipped with a warning that says why — or, under
`--dist loadgroup`, timed one after another on one worker and reported (and stored) once by the
controller; load tests run normally either way. Real `pytest -n 2` sessions, in subprocesses."""

from __future__ import annotations

import os

import pytest

from surge.store import Store

pytest.importorskip("xdist")

FILE = """
async def app(scope, receive, send):
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


def test_bench_join(benchmark):
    assert benchmark("-".join, ["a", "b"]) == "a-b"


def test_bench_sorted(surge_benchmark):
    assert surge_benchmark(sorted, [3, 1, 2]) == [1, 2, 3]


def test_load(surge_load, surge_serve):
    result = surge_load(surge_serve(app).url + "/", users=2, requests_per_user=10,
                        allow_saturated=True)
    result.assert_ok()


def test_plain():
    assert True
"""

ARGS = ("-p", "no:cacheprovider", "-W", "error", "-n", "2", "--surge-max-time=0.05", "-rs")


@pytest.mark.timeout(300)
def test_benchmarks_are_skipped_with_a_warning(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_perf=FILE)
    result = pytester.runpytest_subprocess(*ARGS, timeout=240)
    result.assert_outcomes(passed=2, skipped=2)
    result.stdout.fnmatch_lines(
        [
            "*surge warnings*",
            "2 benchmark test(s) were SKIPPED, not timed: under xdist (-n)*--dist loadgroup*",
            "SKIPPED * surge: benchmarks are not timed under xdist (-n): other workers*",
        ]
    )
    assert "surge benchmarks" not in result.stdout.str()


@pytest.mark.timeout(300)
def test_loadgroup_times_them_on_one_worker(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_perf=FILE)
    result = pytester.runpytest_subprocess(
        *ARGS, "--dist", "loadgroup", "--surge-save=xdist", timeout=240
    )
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(
        ["*surge benchmarks*", "*callable: 2 benches*", "*stored as run * (surge show *)"]
    )
    out = result.stdout.str()
    assert "test_bench_join" in out and "test_bench_sorted" in out
    with Store.open(os.environ["SURGE_STORE"]) as store:
        (run,) = store.runs("xdist")  # stored once, by the controller
    assert {e.name for e in run.result.benches} == {  # the names of a run without xdist
        "test_perf.py::test_bench_join",
        "test_perf.py::test_bench_sorted",
    }
