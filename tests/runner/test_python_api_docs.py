"""Every example of docs/python-api.md runs, in order, against the bundled demo API."""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

import surge
from surge.demo.server import DemoServer

PAGE = Path(__file__).resolve().parents[2] / "docs" / "python-api.md"
DOCS_URL = "http://127.0.0.1:8000"


@pytest.fixture(scope="module")
def demo_server() -> Iterator[DemoServer]:
    with DemoServer() as server:
        yield server


def examples() -> list[str]:
    return re.findall(r"```python\n(.*?)```", PAGE.read_text(encoding="utf-8"), flags=re.S)


def test_every_example_runs(
    demo_server: DemoServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    blocks = examples()
    assert len(blocks) >= 7
    namespace: dict[str, object] = {"__name__": "python_api_docs"}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        for block in blocks:
            assert DOCS_URL in block or "surge." in block, block
            exec(compile(block.replace(DOCS_URL, demo_server.url), str(PAGE), "exec"), namespace)
    printed = out.getvalue()
    assert "surge.run got an unknown option 'userz' (did you mean 'users'?)" in printed
    assert "True stopped through the run control" in printed
    assert "dict_keys(['GET /api/health', 'GET /api/products'])" in printed
    assert "\n10\n" in printed  # the login spec: 2 users x 5 requests
    comparison = namespace["comparison"]
    verdicts = {"unchanged", "improved", "regressed", "inconclusive"}
    assert comparison.verdict.value in verdicts  # type: ignore[attr-defined]
    assert comparison.baseline_version == "1.0.0"  # type: ignore[attr-defined]
    assert "p95: " in printed and "['1.0.0']" in printed
    assert "\nTrue stopped through the run control\n" in printed
    assert " 6 users" in printed  # the control's set_users(6) took effect
    lines = printed.splitlines()
    assert any(
        line.startswith("health.toml:3: unknown key 'usrs' in [scenarios.health]")
        and line.endswith("did you mean 'users'?")
        for line in lines
    )
    assert "health" in lines  # the scenario load_scenario read
    assert "True True" in lines and "6" in lines  # a custom WaitTime, 2 users x 3 requests
    assert "3 NO_SUCCESS" in lines  # three 404s counted as http_status
    assert surge.__version__ in lines


def test_the_architecture_page_runner_examples_run(demo_server: DemoServer) -> None:
    page = PAGE.parent / "architecture.md"
    blocks = re.findall(r"```python\n(.*?)```", page.read_text(encoding="utf-8"), flags=re.S)
    assert len(blocks) == 4
    namespace: dict[str, object] = {"__name__": "architecture_docs"}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        for block in blocks:
            exec(compile(block.replace(DOCS_URL, demo_server.url), str(page), "exec"), namespace)
    lines = out.getvalue().splitlines()
    assert "0 50" in lines and lines[-1] == "8.0"
