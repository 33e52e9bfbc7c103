"""`--report-text`: the terminal summary as plain text, and the resources in every export.

Golden files (regenerate with SURGE_REGEN_GOLDEN=1): the text report of the sample run with
resources of the host, the generator and two targets (one exits mid-run), and the same resources
as the JSON `resources` object and `PREFIX_resources.csv`.
"""

from __future__ import annotations

import dataclasses
import io
import json
from collections.abc import Callable

import pytest
from rich.console import Console

from surge.metrics import (
    HostSample,
    MonitoredProcess,
    ProcessSample,
    Resources,
    ResourceSample,
    RunResult,
)
from surge.report import result_to_dict
from surge.report.resources_export import resources_to_dict, write_resources_csv
from surge.report.text_report import write_text_report

GIB = 1024**3
MIB = 1024**2


def _host(t: int) -> HostSample:
    cpu = (40.0, 75.5, 60.25)[t]
    return HostSample(
        cpu_pct=cpu,
        per_core_pct=(cpu - 10, cpu + 10),
        memory_used_bytes=(3 * GIB, 3 * GIB + 200 * MIB, 3 * GIB + 100 * MIB)[t],
        memory_total_bytes=16 * GIB,
        disk_read_bps=0.0,
        disk_write_bps=(1000.0, 250_000.5, 0.0)[t],
        net_sent_bps=(1.5 * MIB, 2.5 * MIB, 2.0 * MIB)[t],
        net_recv_bps=(3 * MIB, 5 * MIB, 4 * MIB)[t],
    )


def with_resources(result: RunResult) -> RunResult:
    app = MonitoredProcess("uvicorn[4242]", 4242, "uvicorn", "uvicorn app:app --port 8080")
    db = MonitoredProcess("postgres[77]", 77, "postgres", "postgres -D /data", exited_at_s=2.0)
    samples = tuple(
        ResourceSample(
            t_s=float(t + 1),
            host=_host(t),
            generator=ProcessSample((35.0, 52.5, 48.0)[t], (60 + 2 * t) * MIB, threads=3),
            targets={
                "uvicorn[4242]": ProcessSample(
                    (90.0, 140.0, 120.0)[t],
                    (200 + 20 * t) * MIB,
                    8,
                    40 + t,
                    12 + 4 * t,
                    0.0,
                    4096.0,
                ),
                **({"postgres[77]": ProcessSample(20.0, 512 * MIB, 12, 30, 5)} if t < 1 else {}),
            },
        )
        for t in range(3)
    )
    return dataclasses.replace(result, resources=Resources(1.0, samples, (app, db)))


def _text(result: RunResult, width: int = 120) -> str:
    fp = io.StringIO()
    write_text_report([result], fp, width=width)
    return fp.getvalue()


def test_text_report_matches_golden(
    sample: RunResult, assert_golden: Callable[[str, str], None]
) -> None:
    assert_golden("sample_report.txt", _text(with_resources(sample)))


def test_text_report_is_the_terminal_summary_without_colour(
    sample: RunResult, make_console: Callable[..., Console]
) -> None:
    from surge.report import print_summary

    result = with_resources(sample)
    console = make_console(width=120)
    print_summary(result, console)
    terminal = "".join(line.rstrip() + "\n" for line in console.export_text().splitlines())
    text = _text(result)
    assert "\x1b[" not in text and text == terminal
    assert "uvicorn[4242]" in text and "postgres[77] exited at 2.0 s" in text


def test_several_results_are_separated_by_their_names(sample: RunResult) -> None:
    fp = io.StringIO()
    other = dataclasses.replace(sample, meta=dataclasses.replace(sample.meta, name="second"))
    write_text_report([sample, other], fp)
    text = fp.getvalue()
    assert "1. checkout" in text and "2. second" in text
    assert text.count("Thresholds: FAIL") == 2


def test_resources_json_and_csv_match_golden(
    sample: RunResult, assert_golden: Callable[[str, str], None]
) -> None:
    result = with_resources(sample)
    doc = resources_to_dict(result.resources)
    assert result_to_dict(result)["resources"] == doc
    assert_golden("sample_resources.json", json.dumps(doc, indent=2, sort_keys=True) + "\n")
    fp = io.StringIO()
    write_resources_csv(result, fp)
    assert_golden("sample_resources.csv", fp.getvalue())


def test_resources_summary_figures(sample: RunResult) -> None:
    doc = resources_to_dict(with_resources(sample).resources)
    assert doc is not None
    app = doc["summary"]["targets"]["uvicorn[4242]"]
    assert app["cpu_pct"] == {"peak": 140.0, "mean": pytest.approx(116.667, abs=1e-3)}
    assert app["rss_bytes"]["peak"] == 240 * MIB and app["samples"] == 3
    assert doc["summary"]["targets"]["postgres[77]"]["samples"] == 1
    assert doc["targets"][1]["exited_at_s"] == 2.0
    assert doc["summary"]["host"]["cores"] == 2
    assert [len(point["targets"]) for point in doc["series"]] == [2, 1, 1]


def test_no_resources_is_null_and_a_header_only_csv(sample: RunResult) -> None:
    assert result_to_dict(sample)["resources"] is None
    fp = io.StringIO()
    write_resources_csv(sample, fp)
    assert fp.getvalue().count("\n") == 1
