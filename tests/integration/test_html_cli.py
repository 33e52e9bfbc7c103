"""The HTML report end to end: `surge run --html` against a real loopback server, then the
commands of docs/reports.md (`surge report`, `surge compare --html`) on the stored runs, and every
page opened in headless Chromium: no console error, no network request, charts drawn."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import read_json, run_surge

from browser import Tab, launch_chromium
from servers import HttpTestServer

DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launch_chromium()


def open_page(browser: Any, path: Path) -> dict[str, Any]:
    """Open `path` in a fresh context; what it logged, requested and drew."""
    tab = Tab.of_file(browser, path)
    drawn = tab.page.eval_on_selector_all(
        "svg path.line, svg circle",
        "els => els.filter(e => e.getBBox().width > 0 || e.tagName === 'circle').length",
    )
    found = {
        "errors": tab.errors,
        "requests": tab.external,
        "drawn": drawn,
        "title": tab.page.title(),
    }
    tab.close()
    return found


def _commands(block: str, url: str) -> list[list[str]]:
    """The `surge …` lines of a docs bash block, comments dropped, pointed at `url`, short."""
    out = []
    for line in block.replace("\\\n", " ").splitlines():
        words = shlex.split(line, comments=True)
        if words and words[0] == "surge":
            text = re.sub(r"http://127\.0\.0\.1:8000/\S*", f"{url}/ok", " ".join(words[1:]))
            out.append(re.sub(r"-d \d+s", "-d 1s", text).split())
    return out


def _block(marker: str) -> str:
    text = (DOCS / "reports.md").read_text(encoding="utf-8")
    (block,) = [b for b in re.findall(r"```bash\n(.*?)```", text, re.S) if marker in b]
    return block


def _surge_in_process(args: list[str], env: dict[str, str]) -> tuple[int, str]:
    """Commands that only read the store and write files run in-process (no interpreter start)."""
    from click.testing import CliRunner

    from surge.cli.main import cli

    outcome = CliRunner().invoke(cli, args, env=env)
    assert outcome.exception is None or isinstance(outcome.exception, SystemExit), outcome.output
    return int(outcome.exit_code), outcome.output


def test_run_report_and_compare_pages(
    test_server: HttpTestServer, workdir: Path, browser: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(workdir)
    env = {"SURGE_STORE": "runs.db"}
    (every_format,) = _commands(_block("--report-text"), test_server.url)
    proc = run_surge(*every_format, cwd=workdir, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "HTML report written to report.html" in proc.stdout
    for written in ("result.json", "result_stats.csv", "junit.xml", "result.txt", "report.html"):
        assert (workdir / written).stat().st_size > 0, written
    requests = read_json(workdir / "result.json")["summary"]["requests"]
    html = (workdir / "report.html").read_text(encoding="utf-8")
    assert f">{requests:,}<" in html  # the same count as the JSON

    for args in _commands(_block("surge report items"), test_server.url):
        if args[0] == "run":
            proc = run_surge(*args, cwd=workdir, env=env)
            assert proc.returncode == 0, proc.stdout + proc.stderr
            continue
        code, output = _surge_in_process(args, env)
        assert code == 0, f"surge {' '.join(args)}\n{output}"
    (compare,) = [c for c in _commands(_block("surge compare 1 2"), test_server.url) if "1" in c]
    code, output = _surge_in_process(compare, env)
    assert code in (0, 1), output  # 1: a regression (timing noise between two short runs)
    assert "compare.html" in output

    both = (workdir / "both.html").read_text(encoding="utf-8")
    assert both.count('<section class="scenario"') == 2
    assert (workdir / "both.txt").read_text(encoding="utf-8").strip()
    assert len(read_json(workdir / "both.json")["scenarios"]) == 2
    for name in ("report.html", "items.html", "previous.html", "both.html", "compare.html"):
        page = open_page(browser, workdir / name)
        assert page["errors"] == [] and page["requests"] == [], name
        assert page["drawn"] >= 5, name
        assert page["title"].startswith("surge"), name


def test_report_input_errors(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(workdir)
    env = {"SURGE_STORE": "runs.db"}
    code, output = _surge_in_process(["report", "nosuch", "--html", "x.html"], env)
    assert code == 2 and "Traceback" not in output
    code, output = _surge_in_process(["report", "1"], env)
    assert code == 2
    assert not (workdir / "x.html").exists()
    proc = run_surge("report", "nosuch", "--html", "x.html", cwd=workdir, env=env)
    assert proc.returncode == 2 and "no run named 'nosuch'" in proc.stderr, proc.stderr
