"""Finding benches in a file: `@surge.bench` functions and plain `bench_*` ones, in order, with
`-k`; broken files name the file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from surge.benches.discover import DiscoveryError, discover, matches

FILE = """\
import surge
from helpers import bench_imported  # not defined here: not a bench


def bench_first():
    return 1


@surge.bench(name="cache get", kind=surge.Kind.CACHE_OPERATION, rounds=7)
def cache_get():
    return 2


def helper():
    return 3


def bench_last():
    return 4
"""


@pytest.fixture
def bench_file(tmp_path: Path) -> Path:
    (tmp_path / "helpers.py").write_text("def bench_imported():\n    return 0\n")
    path = tmp_path / "bench_app.py"
    path.write_text(FILE)
    return path


def test_marked_and_prefixed_functions_in_definition_order(bench_file: Path) -> None:
    specs = discover(bench_file, defaults={"duration": 0.1})
    assert [s.name for s in specs] == ["bench_first", "cache get", "bench_last"]
    marked = specs[1]
    assert marked.kind.value == "cache_operation" and marked.plan.rounds == 7
    assert marked.plan.duration_s == 0.1  # a default where the bench sets none


def test_k_selects_by_substring_or_glob(bench_file: Path) -> None:
    assert [s.name for s in discover(bench_file, "CACHE")] == ["cache get"]
    assert [s.name for s in discover(bench_file, "bench_*")] == ["bench_first", "bench_last"]
    with pytest.raises(DiscoveryError, match=r"no bench matches -k 'nothing' \(benches: "):
        discover(bench_file, "nothing")
    assert matches("Fetch User", "fetch") and not matches("fetch", "f?x*")


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("def bench_x(:\n    pass\n", r"bench_bad\.py:1: syntax error"),
        ("import surge\n\n@surge.bench(rounds=0)\ndef f():\n    pass\n", r"bench_bad\.py:3: "),
        ("raise RuntimeError('no db')\n", r"bench_bad\.py:1: RuntimeError: no db"),
        ("def helper():\n    pass\n", "no bench found"),
    ],
)
def test_bad_files_say_where(tmp_path: Path, source: str, message: str) -> None:
    path = tmp_path / "bench_bad.py"
    path.write_text(source)
    with pytest.raises(DiscoveryError, match=message):
        discover(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DiscoveryError, match="no such file"):
        discover(tmp_path / "nope.py")
