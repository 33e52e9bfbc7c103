"""The HTML report in a real browser (headless Chromium through Playwright): no console error,
no network request at all, charts drawn, the endpoint table sorts on click, hover values show,
and a screenshot has real content.

One browser for the module; skipped with a reason when Chromium or Playwright is missing (CI
installs both, see .ci/run).
"""

from __future__ import annotations

import importlib.util
import struct
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from surge.metrics import RunResult
from surge.report import render_html

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
Build = dict[str, Callable[[], RunResult]]


def _load_sibling(name: str) -> ModuleType:
    path = Path(__file__).with_name(f"{name}.py")
    spec = importlib.util.spec_from_file_location(f"surge_html_browser_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and RGB(A) rows of an 8-bit, non-interlaced PNG (what Chromium writes)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks, header = 8, [], b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            chunks.append(body)
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and colour in (2, 6) and interlace == 0, (depth, colour, interlace)
    bpp = 3 if colour == 2 else 4
    raw = zlib.decompress(b"".join(chunks))
    stride = width * bpp
    rows: list[bytes] = []
    prev = bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + a) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + b) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xFF
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pred) & 0xFF
        rows.append(bytes(line))
        prev = line
    return width, bpp, rows


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt install chromium; CI's .ci/run does)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield instance
        instance.close()


class Opened:
    """A report opened in a fresh context, with every console error and request attempt kept."""

    def __init__(self, browser: Any, path: Path) -> None:
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        self.page.goto(path.as_uri())
        self.page.wait_for_load_state("load")

    def _route(self, route: Any) -> None:
        url = route.request.url
        if url.startswith("file://"):
            route.continue_()
        else:
            self.requests.append(url)
            route.abort()

    def _console(self, message: Any) -> None:
        if message.type in ("error", "warning"):
            self.errors.append(f"{message.type}: {message.text}")

    def close(self) -> None:
        self.context.close()


@pytest.fixture(scope="module")
def opened(browser: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Opened]:
    helpers = _load_sibling("test_html")
    conftest = _load_sibling("conftest")
    path = tmp_path_factory.mktemp("html") / "report.html"
    results = [helpers.rich_result(conftest.build_sample()), conftest.build_open()]
    path.write_text(render_html(results), encoding="utf-8")
    page = Opened(browser, path)
    yield page
    page.close()


def test_opens_offline_without_errors(opened: Opened) -> None:
    assert opened.page.title().startswith("surge report")
    assert opened.errors == []
    assert opened.requests == []


def test_charts_are_drawn(opened: Opened) -> None:
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


def test_endpoint_table_sorts_on_click(opened: Opened) -> None:
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


def test_hover_shows_values(opened: Opened) -> None:
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


def _content(png: bytes) -> tuple[int, float]:
    """Distinct colours and the share of non-white pixels of a screenshot."""
    width, bpp, rows = png_pixels(png)
    colours: set[bytes] = set()
    non_white = 0
    for row in rows:
        for x in range(0, width * bpp, bpp):
            pixel = row[x : x + 3]
            colours.add(pixel)
            non_white += pixel != b"\xff\xff\xff"
    return len(colours), non_white / (width * len(rows))


def test_screenshot_has_content(opened: Opened) -> None:
    page = opened.page
    page.mouse.move(0, 0)
    colours, inked = _content(page.locator("#s1-latency figure.chart.line").first.screenshot())
    assert colours > 50  # three coloured lines, anti-aliased, on grey grid lines
    assert inked > 0.03
    colours, inked = _content(page.locator("#s1 .cards").screenshot())
    assert colours > 20 and inked > 0.5  # the cards' panel background and figures
