"""docs/dashboard.md runs: its `surge run … --ui` example against the demo shop, driven in the
browser (users raised mid-run, then stopped), makes the page's screenshot — written to
docs/dashboard.png with `SURGE_REGEN_GOLDEN=1` — and its `surge ui` example serves the form."""

from __future__ import annotations

import os
import re
import signal
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from browser import Served, Tab, content, launch_chromium, png_pixels
from surge.demo.server import DemoServer

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "dashboard.md"
SCREENSHOT = ROOT / "docs" / "dashboard.png"
DEMO_HOST = "http://127.0.0.1:8000"
TEST_FLAGS = ["--ui-port", "0", "--no-store", "--allow-saturated", "-q"]


def _commands() -> list[list[str]]:
    blocks = re.findall(r"```bash\n(.*?)```", PAGE.read_text(encoding="utf-8"), flags=re.S)
    return [line.split() for block in blocks for line in block.splitlines() if line.strip()]


def _as_test(command: list[str], demo: DemoServer) -> list[str]:
    assert command[0] == "surge" and DEMO_HOST in command, command
    scenario = str(ROOT / "src" / "surge" / "demo" / "scenario.py")
    swapped = [
        demo.url if word == DEMO_HOST else scenario if word.endswith("scenario.py") else word
        for word in command[1:]
    ]
    return [*swapped, *TEST_FLAGS]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launch_chromium()


@pytest.fixture(scope="module")
def demo() -> Iterator[DemoServer]:
    with DemoServer() as server:
        yield server


def _ticks(tab: Tab) -> int:
    return int(tab.number("Number(document.body.dataset.ticks || 0)"))


def test_the_run_example_makes_the_screenshot(
    browser: Any, demo: DemoServer, tmp_path: Path
) -> None:
    (run,) = [c for c in _commands() if c[:2] == ["surge", "run"]]
    assert "--ui" in run and "-d" in run
    served = Served(_as_test(run, demo), cwd=tmp_path)
    tab = Tab(browser, served.url, width=1280, height=1000)
    try:
        page = tab.page
        page.goto(served.url)
        tab.wait_for(lambda: _ticks(tab) >= 3, "three seconds of the run")
        page.fill("#users-input", "20")
        page.click("#users-apply")
        tab.wait_for(lambda: _ticks(tab) >= 8, "five more seconds")
        page.mouse.move(0, 0)
        png = page.screenshot()
        page.click("#stop")
        assert served.wait(30, tab) == 0, served.output()
        assert tab.errors == [] and tab.external == []
    finally:
        tab.close()
        served.stop()
    colours, inked = content(png, b"\xf3\xf4\xf6")
    assert colours > 80 and inked > 0.3, (colours, inked)
    if os.environ.get("SURGE_REGEN_GOLDEN") == "1":
        SCREENSHOT.write_bytes(png)
    committed = SCREENSHOT.read_bytes()
    width, _, rows = png_pixels(committed)
    assert (width, len(rows)) == (1280, 1000)
    assert content(committed, b"\xf3\xf4\xf6")[0] > 80


def test_the_ui_example_serves_the_form(demo: DemoServer, tmp_path: Path) -> None:
    (ui,) = [c for c in _commands() if c[:2] == ["surge", "ui"]]
    served = Served(_as_test(ui, demo), cwd=tmp_path)
    try:
        with urllib.request.urlopen(served.url, timeout=10) as response:
            page = response.read().decode()
        assert '"name":"users"' in page and '"value":"20"' in page  # -u 20 fills the form in
        assert '"name":"Shopper","weight":3' in page
        served.process.send_signal(signal.SIGINT)
        assert served.wait(20) == 0, served.output()
    finally:
        served.stop()
