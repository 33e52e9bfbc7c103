"""The run store on SQLite (and the round trip on a real PostgreSQL server)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import sqlalchemy as sa
from store_samples import full_result

from surge.store import (
    SCHEMA_VERSION,
    Fingerprint,
    Store,
    StoreError,
    StoreMissing,
    establish_baseline,
    fingerprint,
    resolve_url,
)

FP = Fingerprint("0.1.0", "abc123", True, "ci-7", 4, "3.11.7", "linux-x86_64", {"users": 5})


@pytest.fixture
def store(tmp_path: Path) -> Store:
    opened = Store.open(f"sqlite:///{tmp_path / 'runs.db'}")
    yield opened  # type: ignore[misc]
    opened.close()


def save_named(store: Store, *names: str) -> list[int]:
    return [store.save(full_result(name), FP) for name in names]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_run_round_trips_equal(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = f"sqlite:///{tmp_path / 'r.db'}"
    if backend == "postgresql":
        url = request.getfixturevalue("postgres_url")
    result = full_result("checkout")
    with Store.open(url) as store:
        run_id = store.save(result, FP)
    with Store.open(url) as store:  # a new connection: nothing cached
        stored = store.get(run_id)
    assert stored.result == result
    assert stored.fingerprint == FP
    assert (stored.id, stored.name) == (run_id, "checkout")
    assert stored.created_at.endswith("+00:00")


def test_summaries_list_newest_first_with_the_listing_numbers(store: Store) -> None:
    ids = save_named(store, "a", "b", "a")
    rows = store.summaries()
    assert [r.id for r in rows] == ids[::-1]
    assert [r.id for r in store.summaries("a")] == [ids[2], ids[0]]
    assert [r.id for r in store.summaries(limit=1)] == [ids[2]]
    assert [r.id for r in store.summaries(ids=[ids[0]])] == [ids[0]]
    result = store.get(ids[0]).result
    row = rows[-1]
    assert row.requests == result.total.requests
    assert row.p95_ms == result.total.latency.value_at_percentile_us(95) / 1000
    assert row.rps == pytest.approx(result.rps)
    assert (row.git_commit, row.git_dirty, row.host) == ("abc123", True, "ci-7")
    assert row.thresholds_failed == sum(not v.passed for v in result.thresholds)
    assert store.names() == ["a", "b"]
    assert [r.id for r in store.runs("a", limit=1)] == [ids[2]]


def test_run_references(store: Store) -> None:
    first, second, third = save_named(store, "api", "api", "other~1")
    assert store.get(first).id == first
    assert store.get(f"#{second}").id == second
    assert store.get("api").id == second
    assert store.get("api~1").id == first
    assert store.get("other~1").id == third  # an existing name wins over the ~N syntax
    with pytest.raises(StoreError, match="only 2 stored run"):
        store.get("api~2")
    with pytest.raises(StoreError, match="no run with id 99"):
        store.get(99)
    with pytest.raises(StoreError, match=r"no run named 'nope'.*'api'"):
        store.get("nope")


def test_baselines(store: Store) -> None:
    ids = save_named(store, "api", "api", "api")
    baseline = store.set_baseline("api", ids[:2], version="1.0.0")
    assert (baseline.name, baseline.version) == ("api", "1.0.0")
    assert [run.id for run in baseline.runs] == ids[:2]
    assert baseline.runs[0].result == store.get(ids[0]).result
    replaced = store.set_baseline("api", [ids[2]])
    assert [run.id for run in replaced.runs] == [ids[2]] and replaced.version is None
    store.set_baseline("zeta", [ids[0]])
    assert [b.name for b in store.baselines()] == ["api", "zeta"]
    assert store.baseline_members() == {"api": [ids[2]], "zeta": [ids[0]]}
    assert store.delete_baseline("api") is True
    assert store.delete_baseline("api") is False
    assert store.baseline("api") is None
    assert store.get(ids[2]).id == ids[2]  # runs stay
    with pytest.raises(StoreError, match="no run with id 42"):
        store.set_baseline("api", [42])
    with pytest.raises(StoreError, match="at least one run"):
        store.set_baseline("api", [])
    with pytest.raises(StoreError, match="each run once"):
        store.set_baseline("api", [ids[0], ids[0]])


def test_establish_baseline(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'b.db'}"
    with Store.open(url) as store:
        ids = save_named(store, "api", "api", "api", "web")
    assert [r.id for r in establish_baseline("api", store=url).runs] == [ids[2]]
    assert [r.id for r in establish_baseline("api", last=2, store=url).runs] == ids[1:3]
    chosen = establish_baseline("api", runs=[ids[0], "web"], version="2", store=url)
    assert [r.id for r in chosen.runs] == [ids[0], ids[3]] and chosen.version == "2"
    with pytest.raises(StoreError, match="fewer than the 5"):
        establish_baseline("api", last=5, store=url)
    with pytest.raises(StoreError, match="no stored run named 'nope'"):
        establish_baseline("nope", store=url)
    with pytest.raises(StoreError, match="not both"):
        establish_baseline("api", runs=[1], last=1, store=url)


def test_default_location_env_var_and_plain_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SURGE_STORE", raising=False)
    assert resolve_url(None, tmp_path) == f"sqlite:///{tmp_path / '.surge' / 'surge.db'}"
    with Store.open(cwd=tmp_path) as store:
        store.save(full_result(), FP)
    assert (tmp_path / ".surge" / "surge.db").is_file()
    monkeypatch.setenv("SURGE_STORE", "elsewhere.db")
    assert resolve_url(None, tmp_path) == f"sqlite:///{tmp_path / 'elsewhere.db'}"
    assert resolve_url("sqlite:///rel/x.db", tmp_path) == f"sqlite:///{tmp_path / 'rel/x.db'}"
    assert resolve_url("sqlite:////abs/x.db", tmp_path) == "sqlite:////abs/x.db"
    assert resolve_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert resolve_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("nosuch://x/y", "unknown database kind"),
        ("://", "not a database URL"),
        (
            "postgresql://u:hunter2@h:port/db",
            r"'postgresql\+psycopg://u:\*\*\*@h:port/db' is not a database",
        ),
        ("postgresql://u:hunter2@127.0.0.1:1/db", r"cannot open the store at .*u:\*\*\*@"),
    ],
)
def test_bad_urls_are_clear_errors_without_passwords(url: str, message: str) -> None:
    with pytest.raises(StoreError, match=message) as info:
        Store.open(url)
    assert "hunter2" not in str(info.value)


def test_a_database_that_is_not_a_store_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'other.db'}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE runs (x INTEGER)"))
    engine.dispose()
    with pytest.raises(StoreError, match="not a surge store"):
        Store.open(url)


def test_a_store_newer_than_the_code_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    Store.open(url).close()
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE schema_version SET version = :v"), {"v": SCHEMA_VERSION + 1})
    engine.dispose()
    with pytest.raises(StoreError, match=f"schema version {SCHEMA_VERSION + 1}, newer"):
        Store.open(url)


def test_fingerprint_of_a_git_work_tree_and_of_a_plain_folder(tmp_path: Path) -> None:
    plain = fingerprint({"users": 3, "header": ("A: ***",)}, tmp_path)
    assert (plain.git_commit, plain.git_dirty) == (None, None)
    assert plain.options == {"users": 3, "header": ["A: ***"]}
    assert plain.cpu_count >= 1 and plain.python.count(".") == 2
    repo = Path(__file__).resolve().parents[2]
    tracked = fingerprint({}, repo)
    if tracked.git_commit is None:
        pytest.skip("the source tree is not a git work tree here")
    assert len(tracked.git_commit) == 40 and tracked.git_dirty in (True, False)


def test_run_results_with_unstorable_options_fail_clearly(store: Store) -> None:
    result = full_result()
    odd = dataclasses.replace(result, meta=dataclasses.replace(result.meta, options={"x": 1j}))
    with pytest.raises(StoreError, match=r"could not encode the run .*complex"):
        store.save(odd, FP)


def test_reading_a_store_that_does_not_exist_creates_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'none' / 'surge.db'}"
    with pytest.raises(StoreMissing, match="no runs stored yet"):
        Store.open(url, create=False)
    with pytest.raises(StoreMissing):
        establish_baseline("api", store=url)
    assert not (tmp_path / "none").exists()
