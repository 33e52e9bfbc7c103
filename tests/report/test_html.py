"""The HTML report: golden files, self-containedness, escaping and redaction, and the runs that
must still render (no success, aborted, one second, fifty endpoints, several scenarios).

`rich_result` (also used by the browser tests, which load this module by path) adds resource
samples and workers to the `sample` run so that every section has something to draw.
"""

from __future__ import annotations

import dataclasses
import io
import math
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from surge.metrics import (
    Aggregator,
    CheckCount,
    ErrorKind,
    Histogram,
    HostSample,
    MonitoredProcess,
    ProcessSample,
    Recorder,
    Resources,
    ResourceSample,
    RunMeta,
    RunResult,
)
from surge.metrics.workers import WorkerReport, WorkerState
from surge.report import render_html, write_html
from surge.report.html.run_charts import PERCENTILE_XS, percentile_curve
from surge.report.html.svg import (
    LineChart,
    Reduce,
    Series,
    linear_ticks,
    log_bounds,
    log_ticks,
    nice_step,
    thin,
    time_ticks,
)
from surge.report.html.units import Unit, axis_label, fmt_clock, fmt_percentile, value_label

Build = dict[str, Callable[[], RunResult]]
GIB = 1024**3
MIB = 1024**2
EXTERNAL = re.compile(r"""(?:src|href|action|xlink:href)\s*=\s*["'](?!#)|url\(|@import|<link""")


def _resources() -> Resources:
    samples = []
    for i in range(4):
        targets = {"api": ProcessSample(30.0 + 10 * i, (200 + 8 * i) * MIB, 8, 12, 40 + i)}
        samples.append(
            ResourceSample(
                t_s=float(i) * 0.75,
                host=HostSample(
                    cpu_pct=25.0 + 5 * i,
                    per_core_pct=(20.0 + i, 30.0 + i),
                    memory_used_bytes=3 * GIB + i * 64 * MIB,
                    memory_total_bytes=8 * GIB,
                    disk_read_bps=1000.0 * i,
                    disk_write_bps=250_000.0,
                    net_sent_bps=1.5 * MIB,
                    net_recv_bps=3.0 * MIB + i * 1024,
                ),
                generator=ProcessSample(12.0 + i, (80 + i) * MIB, 3),
                targets=targets if i < 3 else {},  # the target exits before the last sample
            )
        )
    target = MonitoredProcess(
        "api", 4242, "python", "python -m app --token=sekrit-cmdline", exited_at_s=2.0
    )
    return Resources(interval_s=0.75, samples=tuple(samples), targets=(target,))


def _workers() -> tuple[WorkerReport, ...]:
    return (
        WorkerReport(0, "ci-runner", 101, WorkerState.FINISHED, 120, 3, 2, 3.0, 41.0, 30.5, 1.2, 0),
        WorkerReport(
            1, "ci-runner", 102, WorkerState.LOST, 95, 2, 1, 2.0, 38.0, 29.0, 0.9, 0,
            lost_at_s=2.4, reason="exited with SIGKILL",
        ),
    )  # fmt: skip


def rich_result(sample: RunResult) -> RunResult:
    """`sample` with resources of the host, the generator and one target, and two workers."""
    return dataclasses.replace(sample, resources=_resources(), workers=_workers())


def _html(*results: RunResult) -> str:
    out = io.StringIO()
    write_html(list(results), out)
    return out.getvalue()


def _many_endpoints(count: int) -> RunResult:
    rec = Recorder()
    agg = Aggregator()
    eps = [rec.endpoint("GET", f"/api/resource/{i}") for i in range(count)]
    for second in range(2):
        for i, ep in enumerate(eps):
            for k in range(3 + i % 4):
                ep.ok(1_000 + 300 * i + 50 * k + second, 200, 100)
            if i % 7 == 0:
                ep.fail(2_000, ErrorKind.HTTP_STATUS, 500, 10, "500 Internal Server Error")
        agg.add(rec.snapshot(float(second), float(second + 1), active_users=20))
    return agg.result(dataclasses.replace(_meta_of(), name="fifty"), 2.0)


def _meta_of() -> RunMeta:
    return RunMeta("x", "0.1.0", "2025-01-15T10:00:00+00:00", "2025-01-15T10:00:02+00:00",
                   "http://127.0.0.1:8080", "closed")  # fmt: skip


# -- golden files


@pytest.mark.parametrize("kind", ["sample", "open"])
def test_html_matches_golden(
    kind: str, build: Build, assert_golden: Callable[[str, str], None]
) -> None:
    result = build[kind]()
    if kind == "sample":
        result = rich_result(result)
    assert_golden(f"{kind}.html", _html(result))


def test_render_is_deterministic(build: Build) -> None:
    result = rich_result(build["sample"]())
    assert render_html([result]) == render_html([result])


# -- self-contained, escaped, redacted


def test_page_references_nothing_external(build: Build) -> None:
    html = _html(rich_result(build["sample"]()), build["open"]())
    assert not EXTERNAL.findall(html)
    assert "<style>" in html and "<script>" in html
    assert html.count("<script") == 1  # our one inline script, nothing loaded


def test_user_text_is_escaped(build: Build) -> None:
    rec = Recorder()
    agg = Aggregator()
    ep = rec.endpoint("GET", "/<script>alert(1)</script>")
    ep.ok(1_000, 200, 10)
    ep.check('has "x" & <y>', False)
    ep.fail(5_000, ErrorKind.CHECK, 200, 10, "check: <img src=x onerror=alert(2)>")
    agg.add(rec.snapshot(0.0, 1.0, active_users=1))
    result = agg.result(dataclasses.replace(build["sample"]().meta, name="<b>run</b>"), 1.0)
    html = _html(result)
    assert "<script>alert" not in html and "<img src=x" not in html and "<b>run" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "has &quot;x&quot; &amp; &lt;y&gt;" in html
    assert "&lt;b&gt;run&lt;/b&gt;" in html


def test_secrets_never_appear(build: Build) -> None:
    sample = build["sample"]()
    rec = Recorder()
    agg = Aggregator()
    ep = rec.endpoint("GET", "/search?q=a&token=sekrit-query")
    ep.ok(1_000, 200, 10)
    ep.fail(2_000, ErrorKind.OTHER, 0, 0, "Authorization: Bearer sekrit-message")
    agg.add(rec.snapshot(0.0, 1.0, active_users=1))
    meta = dataclasses.replace(
        sample.meta,
        target="http://user:sekrit-pass@127.0.0.1:8080/?api_key=sekrit-key",
        options={"header": ["Authorization: Bearer sekrit-header"], "auth_token": "sekrit-opt"},
    )
    result = dataclasses.replace(agg.result(meta, 1.0), resources=_resources())
    html = _html(result)
    assert "sekrit" not in html
    assert "***" in html


# -- runs that must render


def _no_bad_numbers(html: str) -> None:
    body = html.split("<script>", 1)[0]
    assert not re.search(r"\b(?:nan|inf|NaN|Infinity)\b", body)


def test_run_without_success_renders(build: Build) -> None:
    html = _html(build["refused"]())
    _no_bad_numbers(html)
    assert "NO REQUEST SUCCEEDED" in html
    assert "no latency to chart" in html  # a note, not an empty plot
    figure = html.split("Requests and errors per second", 1)[1].split("</figure>", 1)[0]
    assert "<circle" in figure  # the throughput chart still draws its one second


def test_empty_and_aborted_runs_render(build: Build) -> None:
    empty = build["empty"]()
    aborted = dataclasses.replace(
        empty, meta=dataclasses.replace(empty.meta, aborted=True, abort_reason="SIGINT")
    )
    html = _html(aborted)
    _no_bad_numbers(html)
    assert "ABORTED: SIGINT" in html
    assert "No request completed." in html
    assert "<path" not in html  # nothing to draw, and no empty SVG either
    assert "<svg" not in html


def test_one_second_run_renders_points(build: Build) -> None:
    html = _html(build["refused"]())  # one interval
    assert re.search(r'<circle cx="[\d.]+" cy="[\d.]+"', html)


def test_fifty_endpoints_render_and_charts_show_the_busiest() -> None:
    result = _many_endpoints(50)
    html = _html(result)
    _no_bad_numbers(html)
    assert html.count("<tr><td>GET</td>") == 50
    assert "The 8 busiest of 50 endpoints are drawn" in html
    figure = html.split("Latency by percentile", 1)[1].split("</figure>", 1)[0]
    assert figure.count('class="series"') == 9  # all endpoints + 8


def test_several_scenarios_one_file(build: Build) -> None:
    html = _html(build["sample"](), build["open"]())
    assert html.count('<section class="scenario"') == 2
    assert 'href="#s1"' in html and 'href="#s2"' in html
    assert 'id="s2-endpoints"' in html


def test_no_results_is_an_error() -> None:
    with pytest.raises(ValueError, match="at least one"):
        render_html([])


def test_sortable_table_carries_sort_values(build: Build) -> None:
    html = _html(build["sample"]())
    table = html.split('id="s1-table"', 1)[1].split("</table>", 1)[0]
    assert table.count('data-sort="num"') == 12
    assert '<td class="n" data-v="120">120</td>' in table


def test_resources_and_workers_sections(build: Build) -> None:
    html = _html(rich_result(build["sample"]()))
    resources = html.split('id="s1-resources"', 1)[1].split("</section>", 1)[0]
    assert resources.count("<svg") == 5
    assert "target api" in resources and "sekrit-cmdline" not in html
    assert "exited at 2.0 s" in resources
    assert "DEGRADED: 1 of 2 workers lost" in html
    assert "lost at 2.4 s; exited with SIGKILL" in html
    bare = _html(build["sample"]())
    assert "Resources were not monitored in this run." in bare


def test_open_model_shows_timings_and_target_rate(build: Build) -> None:
    html = _html(build["open"]())
    assert "Open-model timings" in html
    assert "target arrivals/s" in html
    assert "GENERATOR SATURATED" in html and "offered load not sustained" in html


def test_named_check_counts(build: Build) -> None:
    sample = build["sample"]()
    stats = dataclasses.replace(sample.endpoints[0], checks={"ok": CheckCount(3, 1)})
    html = _html(dataclasses.replace(sample, endpoints=(stats,)))
    assert "75.00%" in html


# -- chart arithmetic


def test_nice_steps_and_ticks() -> None:
    assert nice_step(100) == 20
    assert nice_step(7) == 2
    assert nice_step(0) == 1.0
    assert linear_ticks(0, 100) == [0, 20, 40, 60, 80, 100]
    assert log_bounds([0.3, 45.0]) == (0.1, 100.0)
    assert log_bounds([]) == (1.0, 10.0)
    assert log_bounds([5.0]) == (1.0, 10.0)
    assert log_ticks(1.0, 1000.0) == [1.0, 10.0, 100.0, 1000.0]


def test_long_runs_get_a_clock_axis_and_thinned_lines() -> None:
    assert [fmt_clock(t) for t in time_ticks(1, 3600)] == ["10m", "20m", "30m", "40m", "50m", "1h"]
    assert [fmt_clock(t) for t in time_ticks(0, 400)][:3] == ["0s", "1m", "2m"]
    assert value_label(3_930, Unit.SECONDS) == "1h05m"
    xs = [float(i + 1) for i in range(5_000)]
    spikes: list[float | None] = [100.0 if i == 2_501 else 1.0 for i in range(5_000)]
    spikes[10:20] = [None] * 10
    chart = LineChart("t", xs, [Series("s", spikes)], Unit.SECONDS, Unit.MS)
    thinned = thin(chart, limit=1_000)
    assert len(thinned.xs) == 1_000 and thinned.xs[-1] == 5_000.0
    assert max(v for v in thinned.series[0].values if v is not None) == 100.0  # the peak stays
    assert thinned.series[0].values[2:4] == [None, None]  # a gap stays a gap
    assert "highest of 5 samples" in thinned.note
    mean = thin(LineChart("t", xs, [Series("s", spikes)], Unit.SECONDS, Unit.RPS,
                          reduce=Reduce.MEAN), limit=1_000)  # fmt: skip
    assert mean.series[0].values[500] == pytest.approx((100.0 + 4) / 5)
    assert thin(chart, limit=10_000) is chart


def test_percentile_axis_labels_and_curve() -> None:
    assert [fmt_percentile(x) for x in range(6)] == [
        "0%", "90%", "99%", "99.9%", "99.99%", "99.999%",
    ]  # fmt: skip
    hist = Histogram.from_values(range(1, 10_001))
    curve = percentile_curve(hist)
    assert len(curve) == len(PERCENTILE_XS)
    values = [v for v in curve if v is not None]
    assert values == sorted(values)
    assert values[0] == pytest.approx(0.001)
    assert values[-1] == pytest.approx(10.0, rel=1e-3)
    assert math.isclose(curve[20] or 0, hist.value_at_percentile_us(90) / 1000)
    assert percentile_curve(Histogram.empty()) == [None] * len(PERCENTILE_XS)


def test_unit_labels() -> None:
    assert axis_label(1500, Unit.MS) == "1.5 s"
    assert axis_label(0.25, Unit.MS) == "0.25 ms"
    assert axis_label(3 * MIB, Unit.BYTES_PER_S) == "3 MiB/s"
    assert axis_label(12_000, Unit.COUNT) == "12k"
    assert value_label(None, Unit.MS) == "—"
    assert value_label(float("nan"), Unit.RPS) == "—"
    assert value_label(1234.56, Unit.RPS) == "1,234.6 req/s"


# -- the comparison page


def _timed_run(name: str, slow_us: int) -> RunResult:
    rec = Recorder()
    agg = Aggregator()
    items, orders = rec.endpoint("GET", "/api/items"), rec.endpoint("POST", "/api/<orders>")
    for second in range(6):
        for i in range(50):
            items.ok(2_000 + (i * 7919) % 3_000 + slow_us, 200, 100)
            orders.ok(9_000 + (i * 104_729) % 4_000, 201, 50)
        agg.add(rec.snapshot(float(second), float(second + 1), active_users=5))
    return agg.result(dataclasses.replace(_meta_of(), name=name), 6.0)


def test_compare_page_shows_verdicts_and_overlays() -> None:
    from surge.compare import RunSample, compare_runs
    from surge.report.html import render_compare_html

    base, cand = _timed_run("shop", 0), _timed_run("shop", 4_000)
    comparison = compare_runs([RunSample(base, 1)], [RunSample(cand, 2)])
    html = render_compare_html(comparison, [base], [cand])
    assert not EXTERNAL.findall(html)
    assert f"VERDICT: {comparison.verdict.value.upper()}" in html
    findings = html.split('id="findings"', 1)[1].split("</table>", 1)[0]
    assert findings.count("<tr") == len(comparison.findings) + 1
    assert "GET /api/items" in findings and "POST /api/&lt;orders&gt;" in findings
    regressed = [f for f in comparison.findings if f.verdict.value == "regressed"]
    assert regressed and findings.index("regressed") < findings.index("unchanged")
    overlays = html.split('id="distributions"', 1)[1].split("</section>", 1)[0]
    assert overlays.count('data-name="baseline"') == 3  # all endpoints + two endpoints
    assert overlays.count('data-name="candidate"') == 3
    assert "GET /api/items: p50 regressed" in overlays
    timelines = html.split('id="timelines"', 1)[1].split("</section>", 1)[0]
    assert timelines.count("<svg") == 2
    with pytest.raises(ValueError, match="each side"):
        render_compare_html(comparison, [], [cand])


def test_docs_python_example_runs(
    build: Build, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = (Path(__file__).resolve().parents[2] / "docs" / "reports.md").read_text("utf-8")
    (block,) = re.findall(r"```python\n(.*?)```", page, re.S)
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"results": [build["sample"]()]}
    exec(compile(block, "docs/reports.md", "exec"), namespace)
    written = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert written == namespace["page"]
    assert written.startswith("<!DOCTYPE html>")
