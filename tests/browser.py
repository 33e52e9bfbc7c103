"""Driving pages in headless Chromium through Playwright (the dashboard and HTML report tests),
and the real `surge` command serving a dashboard in a subprocess.

A `Tab` records every console error and every request that leaves the page's own origin (and
blocks it): a page that works offline has none. Tests skip with a reason when Chromium or
Playwright is missing (CI installs both, see .ci/run).
"""

from __future__ import annotations

import os
import queue
import struct
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import numpy as np
import numpy.typing as npt
import pytest

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


def launch_chromium() -> Iterator[Any]:
    """A headless Chromium for a module's tests (a generator for a fixture)."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt install chromium; CI's .ci/run does)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield instance
        instance.close()


class Tab:
    """A page in a fresh browser context: requests outside `origin` are blocked and counted,
    console errors and warnings kept, downloads accepted."""

    def __init__(self, browser: Any, origin: str, width: int = 1280, height: int = 900) -> None:
        self.origin = origin.rstrip("/")
        self.context = browser.new_context(
            viewport={"width": width, "height": height}, accept_downloads=True
        )
        self.errors: list[str] = []
        self.external: list[str] = []
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))

    @classmethod
    def of_file(cls, browser: Any, path: Path) -> Tab:
        """`path` opened and loaded: a self-contained page, so any other request is external."""
        tab = cls(browser, path.as_uri())
        tab.page.goto(path.as_uri())
        tab.page.wait_for_load_state("load")
        return tab

    def _route(self, route: Any) -> None:
        url = route.request.url
        if url.startswith(self.origin + "/") or url == self.origin:
            route.continue_()
        else:
            self.external.append(url)
            route.abort()

    def _console(self, message: Any) -> None:
        if message.type in ("error", "warning"):
            self.errors.append(f"{message.type}: {message.text}")

    def pause(self, seconds: float) -> None:
        """Wait while the page goes on. (Never `time.sleep` with a page open: the route
        handler runs only inside Playwright calls, so the page's requests would wait too.)"""
        self.page.wait_for_timeout(seconds * 1000)

    def wait_for(self, check: Callable[[], bool], what: str, timeout_s: float = 20.0) -> None:
        deadline = time.monotonic() + timeout_s
        while not check():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}")
            self.pause(0.05)

    def number(self, expression: str) -> float:
        value = self.page.evaluate(expression)
        return float(value or 0)

    def close(self) -> None:
        self.context.close()


# -- screenshots ----------------------------------------------------------------------------


def png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """Width, bytes per pixel and rows of an 8-bit, non-interlaced PNG (what Chromium writes)."""
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
    prev = np.zeros(stride, dtype=np.uint8)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = np.frombuffer(raw, np.uint8, stride, y * (stride + 1) + 1)
        prev = _unfilter(kind, line, prev, bpp)
        rows.append(prev.tobytes())
    return width, bpp, rows


def _unfilter(kind: int, line: npt.NDArray[np.uint8], prev: Any, bpp: int) -> Any:
    """One row's bytes from its filtered bytes and the row above (PNG filter types 0-4): None,
    Sub and Up in NumPy (most of Chromium's rows), Average and Paeth byte by byte."""
    if kind == 0:
        return line.copy()
    if kind == 1:  # each byte plus the one bpp to its left: a running sum per channel, mod 256
        return np.cumsum(line.reshape(-1, bpp), axis=0, dtype=np.uint8).reshape(-1)
    if kind == 2:
        return line + prev
    out, above = bytearray(line.tobytes()), prev.tobytes()
    for i in range(len(out)):
        a = out[i - bpp] if i >= bpp else 0
        b, c = above[i], above[i - bpp] if i >= bpp else 0
        if kind == 3:
            out[i] = (out[i] + (a + b) // 2) & 0xFF
        else:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            out[i] = (out[i] + (a if pa <= pb and pa <= pc else (b if pb <= pc else c))) & 0xFF
    return np.frombuffer(bytes(out), np.uint8)


def content(png: bytes, background: bytes = b"\xff\xff\xff") -> tuple[int, float]:
    """Distinct colours of a screenshot and the share of its pixels not `background`."""
    _, bpp, rows = png_pixels(png)
    pixels = np.frombuffer(b"".join(rows), np.uint8).reshape(-1, bpp)[:, :3].astype(np.uint32)
    rgb = pixels[:, 0] << 16 | pixels[:, 1] << 8 | pixels[:, 2]
    ground = int.from_bytes(background, "big")
    return int(np.unique(rgb).size), float(np.count_nonzero(rgb != ground)) / rgb.size


# -- surge serving a dashboard in a subprocess ------------------------------------------------


class Served:
    """`surge ARGS` in a subprocess, once it printed its dashboard's address (`url`)."""

    def __init__(self, args: list[str], cwd: Path, timeout_s: float = 60.0) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SURGE_")}
        env["COLUMNS"] = "120"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "surge", *args],
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        assert self.process.stdout is not None and self.process.stderr is not None
        pipes = ((self.process.stdout, self.stdout), (self.process.stderr, self.stderr))
        self._readers = [
            threading.Thread(target=self._read, args=pipe, daemon=True) for pipe in pipes
        ]
        for reader in self._readers:
            reader.start()
        self.url = self._address(timeout_s)

    def _read(self, stream: IO[str], kept: list[str]) -> None:
        for line in stream:
            kept.append(line)
            self.lines.put(line)

    def _address(self, timeout_s: float) -> str:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                if self.process.poll() is not None:
                    break
                continue
            if line.startswith("surge dashboard: "):
                return line.split(": ", 1)[1].strip()
        self.stop()
        raise AssertionError(f"no dashboard address; output: {self.output()}")

    def output(self) -> str:
        return "".join(self.stdout) + "".join(self.stderr)

    def wait(self, timeout_s: float = 60.0, tab: Tab | None = None) -> int:
        """The exit code; with `tab`, the page goes on meanwhile (see `Tab.pause`)."""
        if tab is None:
            return self.process.wait(timeout=timeout_s)
        tab.wait_for(lambda: self.process.poll() is not None, "surge to exit", timeout_s)
        return int(self.process.returncode)

    def stop(self) -> None:
        """Kill surge if it still runs; close its pipes."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)
        for reader in self._readers:
            reader.join(timeout=5)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()
