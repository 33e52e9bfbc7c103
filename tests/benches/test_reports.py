"""A bench run in the reports: the results JSON gains `benches`, the HTML report shows the bench
table and the throughput/latency-vs-concurrency charts, the text report a sweep table."""

from __future__ import annotations

import io
import json
import time

import surge
from surge.benches import bench_run
from surge.report import write_results_json
from surge.report.html import render_html


def wait_1ms() -> None:
    time.sleep(0.001)


def run() -> surge.RunResult:
    serial = surge.benchmark(sorted, [3, 2, 1] * 50, name="sort", rounds=30)
    sweep = surge.benchmark(
        wait_1ms,
        name="wait",
        kind=surge.Kind.CONCURRENT_LOAD,
        concurrency=[1, 2, 4],
        duration=0.2,
        thresholds=["p50<100ms"],
    )
    return bench_run([serial, sweep], name="suite")


def test_results_json_of_a_bench_run() -> None:
    result = run()
    out = io.StringIO()
    write_results_json([result], out)
    document = json.loads(out.getvalue())
    assert document["meta"]["mode"] == "bench"
    names = [e["name"] for e in document["endpoints"]]
    assert names == ["sort", "wait [c=1]", "wait [c=2]", "wait [c=4]"]
    assert [b["name"] for b in document["benches"]] == ["sort", "wait"]
    assert document["benches"][1]["peak_concurrency"] in (2, 4)
    assert len(document["thresholds"]) == 3  # one per level
    assert document["thresholds_passed"] is True


def test_html_report_draws_the_sweep_against_concurrency() -> None:
    page = render_html([run()])
    assert "wait: throughput vs concurrency" in page
    assert "wait: latency vs concurrency" in page
    assert page.count("<svg") >= 2
    assert "Queries/call" in page and ">sort<" in page
    assert "Throughput over time" not in page  # a bench run has no timeline


def test_text_report_has_a_row_per_level() -> None:
    result = run()
    from surge.report.bench_text import bench_tables

    text = bench_tables(result.benches)
    assert "wait: concurrency sweep on threads" in text
    assert "peak throughput" in text
    assert "concurrent load: 1 bench" in text and "callable: 1 bench" in text
