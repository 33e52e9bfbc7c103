"""Every Python example of docs/benchmarks-python.md runs as written (each block on its own, in a
fresh namespace, in a scratch directory): the database example on SQLite and on a real
PostgreSQL, the cache example on a real redis-server."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

PAGE = Path(__file__).resolve().parents[2] / "docs" / "benchmarks-python.md"
BLOCKS = re.findall(r"```python\n(.*?)```", PAGE.read_text(encoding="utf-8"), flags=re.S)


def run_block(code: str, index: int) -> dict[str, object]:
    namespace: dict[str, object] = {"__name__": f"docs_block_{index}"}
    exec(compile(code, f"{PAGE.name}[block {index}]", "exec"), namespace)
    return namespace


def block_with(text: str) -> tuple[int, str]:
    (found,) = [(i, b) for i, b in enumerate(BLOCKS) if text in b]
    return found


def test_the_page_has_its_examples() -> None:
    assert len(BLOCKS) >= 12


@pytest.mark.parametrize(
    "index",
    [
        i
        for i, block in enumerate(BLOCKS)
        if "DATABASE_URL" not in block and "REDIS_URL" not in block
    ],
)
def test_example_runs(index: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    run_block(BLOCKS[index], index)  # the CI gate example raises SystemExit if a bench fails


def test_database_example_on_sqlite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    index, code = block_with("DATABASE_URL")
    found = run_block(code, index)
    assert (tmp_path / "shop.db").exists()
    assert found["slow"].queries_per_call == 11  # type: ignore[attr-defined]
    found["engine"].dispose()  # type: ignore[attr-defined]


def test_database_example_on_postgresql(
    postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", postgres_url)
    index, code = block_with("DATABASE_URL")
    found = run_block(code, index)
    engine = found["engine"]
    assert engine.dialect.name == "postgresql"  # type: ignore[attr-defined]
    assert found["fast"].queries_per_call == 1  # type: ignore[attr-defined]
    engine.dispose()  # type: ignore[attr-defined]


def test_cache_example_on_redis(
    redis_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("REDIS_URL", redis_url)
    index, code = block_with("REDIS_URL")
    found = run_block(code, index)
    assert len(found["incr"].levels) == 3  # type: ignore[attr-defined]
