"""Every example of docs/pytest.md runs: its test files in a real pytest session, its
`[tool.surge.pytest]` table, and its CI command lines."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

PAGE = Path(__file__).resolve().parents[2] / "docs" / "pytest.md"
TEXT = PAGE.read_text(encoding="utf-8")
FILES = {
    m.group(1): m.group(0)
    for m in re.finditer(r"^# (test_\w+\.py)\n.*?(?=^```)", TEXT, flags=re.S | re.M)
}
(TOML,) = re.findall(r"```toml\n(.*?)```", TEXT, flags=re.S)
(CI,) = [b for b in re.findall(r"```bash\n(.*?)```", TEXT, flags=re.S) if "--surge-save=main" in b]


def _commands() -> list[list[str]]:
    lines = [line.split("#")[0].strip() for line in CI.splitlines()]
    return [shlex.split(line)[2:] for line in lines if line.startswith("pytest tests/perf")]


def test_the_page_has_its_examples() -> None:
    assert set(FILES) == {
        "test_render.py", "test_modes.py", "test_thresholds.py", "test_api_load.py",
        "test_serve.py",
    }  # fmt: skip
    assert len(_commands()) == 3


def test_the_example_test_files_pass(pytester: pytest.Pytester) -> None:
    for name, code in FILES.items():
        pytester.makepyfile(**{name.removesuffix(".py"): code})
    result = pytester.runpytest("-p", "no:cacheprovider", "-W", "error", "--surge-max-time=0.05")
    result.assert_outcomes(passed=9)
    result.stdout.fnmatch_lines(["*surge benchmarks*", "*render: 2 benches*", "*surge load tests*"])


def test_the_table_and_the_ci_lines_run(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_render=FILES["test_render.py"])
    pytester.makepyprojecttoml(TOML)
    with_table = pytester.runpytest("-p", "no:cacheprovider")
    assert with_table.ret == pytest.ExitCode.OK
    with_table.stdout.fnmatch_lines(["*Rounds*", "*warning: nothing to compare with*"])
    save, compare, report = _commands()
    pytester.makepyprojecttoml('[tool.surge.pytest]\nmax-time = "0.05s"\n')
    assert pytester.runpytest(*save).ret == pytest.ExitCode.OK
    compared = pytester.runpytest(*compare)
    assert compared.ret in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED)  # busy machines
    compared.stdout.fnmatch_lines(["*compared with run * (main)*", "verdict: *"])
    assert pytester.runpytest(*report).ret == pytest.ExitCode.OK
    for written in ("perf.json", "perf.html", "junit.xml"):
        assert (pytester.path / written).stat().st_size > 0
