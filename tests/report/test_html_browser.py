"""The HTML report in a real browser (headless Chromium through Playwright): no console error,
no network request at all, charts drawn, the endpoint table sorts on click, hover values show,
and a screenshot has real content.

One browser for the module; skipped with a reason when Chromium or Playwright is missing (CI
installs both, see .ci/run).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from browser import Tab, content, launch_chromium
from surge.metrics import RunResult
from surge.report import render_html

Build = dict[str, Callable[[], RunResult]]


def _load_sibling(name: str) -> ModuleType:
    path = Path(__file__).with_name(f"{name}.py")
    spec = importlib.util.spec_from_file_location(f"surge_html_browser_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launch_chromium()


@pytest.fixture(scope="module")
def opened(browser: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tab]:
    """The report of a rich sample and an open-model run, opened offline: only its own file may
    load (`Tab.external` keeps every other request, blocked)."""
    helpers = _load_sibling("test_html")
    conftest = _load_sibling("conftest")
    path = tmp_path_factory.mktemp("html") / "report.html"
    results = [helpers.rich_result(conftest.build_sample()), conftest.build_open()]
    path.write_text(render_html(results), encoding="utf-8")
    tab = Tab.of_file(browser, path)
    yield tab
    tab.close()


def test_opens_offline_without_errors(opened: Tab) -> None:
    assert opened.page.title().startswith("surge report")
    assert opened.errors == []
    assert opened.external == []


def test_charts_are_drawn(opened: Tab) -> None:
    page = opened.page
    lines = page.locator("#s1 figure.chart.line svg path.line")
    assert lines.count() >= 15
    lengths = page.eval_on_selector_all(
        "#s1 svg path.line", "els => els.map(e => e.getTotalLength())"
    )
    assert all(length > 10 for length in lengths)
    assert page.locator("#s1 svg circle").count() > 20
    bars = page.eval_on_selector_all(
        "#s1 figure.bars rect", "els => els.map(e => e.getBBox().width)"
    )
    assert len(bars) >= 5 and all(width > 0 for width in bars)
    box = page.locator("#s1-latency figure.chart.line svg").first.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 100


def _column(page: Any, index: int) -> list[str]:
    cells: list[str] = page.eval_on_selector_all(
        f"#s1-table tbody tr td:nth-child({index})", "els => els.map(e => e.textContent)"
    )
    return cells


def test_endpoint_table_sorts_on_click(opened: Tab) -> None:
    page = opened.page
    header = page.locator("#s1-table thead th", has_text="Requests")
    header.click()
    assert header.get_attribute("aria-sort") == "descending"
    assert _column(page, 3) == ["120", "65", "30"]
    header.click()
    assert header.get_attribute("aria-sort") == "ascending"
    assert _column(page, 3) == ["30", "65", "120"]
    page.locator("#s1-table thead th", has_text="Endpoint").click()
    assert _column(page, 2) == ["/api/items", "/api/orders", "/health"]


def test_hover_shows_values(opened: Tab) -> None:
    page = opened.page
    figure = page.locator("#s1-latency figure.chart.line").first
    svg = figure.locator("svg")
    svg.scroll_into_view_if_needed()
    box = svg.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] * 0.9, box["y"] + box["height"] / 2)
    tip = figure.locator(".tip")
    assert tip.is_visible()
    text = tip.text_content() or ""
    assert "p95:" in text and " ms" in text
    page.mouse.move(0, 0)
    assert not tip.is_visible()


def test_screenshot_has_content(opened: Tab) -> None:
    page = opened.page
    page.mouse.move(0, 0)
    colours, inked = content(page.locator("#s1-latency figure.chart.line").first.screenshot())
    assert colours > 50  # three coloured lines, anti-aliased, on grey grid lines
    assert inked > 0.03
    colours, inked = content(page.locator("#s1 .cards").screenshot())
    assert colours > 20 and inked > 0.5  # the cards' panel background and figures
