"""The threshold docs cannot rot: every expression, file and message they show is checked."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import surge
from surge.config import RUN_OPTIONS
from surge.scenario.script_loader import load_script
from surge.scenario.toml_loader import load_toml
from surge.thresholds import (
    Metric,
    Selector,
    Threshold,
    ThresholdError,
    parse_threshold,
    parse_thresholds,
    specs_from_entries,
    validate,
)

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
PAGES = ("thresholds.md", "ci.md")


def blocks(page: str, info: str) -> list[str]:
    text = (DOCS / page).read_text(encoding="utf-8")
    return re.findall(rf"^```{info}\n(.*?)^```", text, flags=re.S | re.M)


def expressions(page: str) -> list[str]:
    """Every line of the page's ```threshold blocks."""
    return [
        line.strip()
        for block in blocks(page, "threshold")
        for line in block.splitlines()
        if line.strip()
    ]


@pytest.mark.parametrize("page", PAGES)
def test_every_threshold_block_line_parses(page: str) -> None:
    found = expressions(page)
    assert len(found) >= 5, f"{page} lost its threshold examples"
    for text in found:
        parse_threshold(text)


def test_the_grammar_page_shows_every_metric_and_operator() -> None:
    page = (DOCS / "thresholds.md").read_text(encoding="utf-8")
    for metric in Metric:
        assert f"`{metric.value}`" in page, metric
    examples = [parse_threshold(text) for text in expressions("thresholds.md")]
    assert {spec.metric for spec in examples} >= {
        Metric.P95,
        Metric.ERROR_RATE,
        Metric.RPS,
        Metric.FAILURES,
        Metric.REQUESTS,
        Metric.CHECKS,
    }
    assert {spec.selector for spec in examples} >= {
        None,
        Selector("GET", "/api/products"),
        Selector(None, "/api/products/search"),
    }


@pytest.mark.parametrize("page", PAGES)
def test_every_threshold_flag_in_the_docs_parses(page: str) -> None:
    text = (DOCS / page).read_text(encoding="utf-8")
    flags = re.findall(r"--threshold '([^']*)'", text)
    assert flags
    parse_thresholds(flags)


def test_ci_commands_use_existing_options() -> None:
    known = {flag for spec in RUN_OPTIONS for flag in spec.flags}
    commands = [
        block
        for info in ("bash", "yaml")
        for block in blocks("ci.md", info)
        if "surge run" in block
    ]
    assert len(commands) == 3
    for command in commands:
        for flag in re.findall(
            r"(?<![\w-])(--[a-z][a-z-]*|-[a-z])\b", command.split("surge run")[1]
        ):
            assert flag in known, flag


def test_ci_jobs_publish_json_and_junit() -> None:
    github, gitlab = blocks("ci.md", "yaml")
    assert "actions/upload-artifact@" in github and "results.json" in github
    assert "dorny/test-reporter@" in github and "reporter: java-junit" in github
    assert re.search(r"reports:\n\s+junit: junit.xml", gitlab)
    assert "when: always" in gitlab and "results.json" in gitlab
    for job in (github, gitlab):
        assert "uvicorn app:app" in job and "&" in job
        assert "until curl" in job  # waits for the service before the load test


def test_the_toml_example_loads_and_its_selectors_match_its_endpoints(tmp_path: Path) -> None:
    (toml,) = blocks("thresholds.md", "toml")
    path = tmp_path / "scenarios.toml"
    path.write_text(toml, encoding="utf-8")
    scenarios = load_toml(path)
    known = set()
    for scenario in scenarios:
        assert scenario.endpoint is not None
        known.add((scenario.endpoint.method, scenario.endpoint.endpoint_name))
    for scenario in scenarios:
        specs = specs_from_entries(scenario.thresholds)
        assert specs[0].expression == "error_rate<0.5%"  # from [defaults]
        validate(specs, known)
    login = specs_from_entries(scenarios[1].thresholds)
    assert [(s.expression, s.abort_on_fail, s.grace_s) for s in login[1:]] == [
        ("p95<500ms", False, 10.0),
        ("POST /api/login: p99<1s", True, 5.0),
    ]


def test_the_python_example_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The page writes `surge.Threshold`; make sure the name is there even before the top-level
    # export lands (a no-op once surge/__init__.py exports it).
    monkeypatch.setattr(surge, "Threshold", Threshold, raising=False)
    (script,) = [b for b in blocks("thresholds.md", "python") if "thresholds = [" in b]
    path = tmp_path / "shop.py"
    path.write_text(script, encoding="utf-8")
    specs = specs_from_entries(load_script(path).thresholds)
    assert [(s.expression, s.abort_on_fail) for s in specs] == [
        ("p95<300ms", False),
        ("p99<=800ms", False),
        ("error_rate<=1%", False),
        ("GET /api/products: p95<=1000ms", True),
    ]


def test_the_error_example_is_the_real_message() -> None:
    page = (DOCS / "thresholds.md").read_text(encoding="utf-8")
    shown = page.split("pointing at the problem:\n\n```\n", 1)[1].split("```", 1)[0]
    with pytest.raises(ThresholdError) as caught:
        parse_thresholds(["GET /api/products: p96<200ms"])
    assert shown.rstrip("\n") == str(caught.value)


def test_the_sla_example_selectors_match_its_endpoints() -> None:
    scenarios = load_toml(ROOT / "examples" / "sla.toml")
    known = {
        (s.endpoint.method, s.endpoint.endpoint_name) for s in scenarios if s.endpoint is not None
    }
    assert ("POST", "/api/login") in known
    for scenario in scenarios:
        validate(specs_from_entries(scenario.thresholds), known)
