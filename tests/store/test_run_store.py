"""How a run stores its results: fingerprints without output options, and a run the store
cannot take is a loud warning (its files and exit code stay as they are)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import sqlalchemy as sa
from store_samples import full_result

from surge.config import RunConfig
from surge.runner import Level, Notice, Observer
from surge.runner.observer import Observers
from surge.runner.store_step import open_run_store, run_fingerprint, store_run
from surge.store import Store


class Notices(Observer):
    def __init__(self) -> None:
        self.seen: list[Notice] = []

    def on_notice(self, notice: Notice) -> None:
        self.seen.append(notice)


def test_fingerprint_leaves_out_where_results_go(tmp_path: Path) -> None:
    result = full_result()
    options = {"users": 5, "out": "r.json", "store": "sqlite:///x", "repeat": 3, "quiet": True}
    result = dataclasses.replace(result, meta=dataclasses.replace(result.meta, options=options))
    assert run_fingerprint(result, tmp_path).options == {"users": 5}


def test_no_store_opens_nothing(tmp_path: Path) -> None:
    assert open_run_store(RunConfig(no_store=True, store="nosuch://x"), tmp_path) is None
    store = open_run_store(RunConfig(), tmp_path)
    assert store is not None
    store.close()


def test_a_run_the_store_cannot_take_is_a_loud_warning(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'broken.db'}"
    notices = Notices()
    observers = Observers([notices])
    with Store.open(url) as store:
        assert store_run(store, full_result("api"), observers) == 1
        assert notices.seen[0].level is Level.INFO and "stored as run 1" in notices.seen[0].text
        engine = sa.create_engine(url)
        with engine.begin() as conn:  # the database breaks between open and save
            conn.execute(sa.text("DROP TABLE baseline_runs"))
            conn.execute(sa.text("DROP TABLE runs"))
        engine.dispose()
        assert store_run(store, full_result("api"), observers) is None
    warning = notices.seen[-1]
    assert warning.level is Level.WARNING
    err = warning.text
    assert "run 'api' was NOT stored" in err and "no such table: runs" in err
    assert "exit code is unchanged" in err
