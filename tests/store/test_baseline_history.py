"""A stored run is found from its RunResult, and a baseline set again keeps the old one listed."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from store_samples import full_result

from surge.metrics import RunResult
from surge.store import Store, fingerprint


def _at(name: str, started_at: str) -> RunResult:
    result = full_result(name)
    return dataclasses.replace(result, meta=dataclasses.replace(result.meta, started_at=started_at))


def test_a_result_in_hand_finds_its_stored_run(tmp_path: Path) -> None:
    with Store.open(f"sqlite:///{tmp_path / 's.db'}") as store:
        first, second = _at("api", "2026-01-01T10:00:00.000+00:00"), _at("api", "2026-01-01T11:00")
        ids = [store.save(r, fingerprint({})) for r in (first, second)]
        assert [store.find(first), store.find(second)] == ids
        assert store.find(_at("api", "2026-01-02T00:00")) is None
        assert store.find(_at("other", "2026-01-01T10:00:00.000+00:00")) is None


def test_setting_a_baseline_again_keeps_the_old_one_listed(tmp_path: Path) -> None:
    with Store.open(f"sqlite:///{tmp_path / 's.db'}") as store:
        ids = [store.save(_at("api", f"2026-01-0{i}"), fingerprint({})) for i in range(1, 4)]
        store.set_baseline("api", ids[:1], "1.0.0")
        store.set_baseline("api", ids[1:], "1.1.0")
        current = store.baseline("api")
        assert current is not None and current.version == "1.1.0"
        assert [r.id for r in current.runs] == ids[1:] and current.replaced_at is None
        (earlier,) = store.baseline_history("api")
        assert earlier.version == "1.0.0" and [r.id for r in earlier.runs] == ids[:1]
        assert earlier.replaced_at is not None and earlier.replaced_at >= earlier.created_at
        assert store.delete_baseline("api") and store.baseline("api") is None
        assert [b.version for b in store.baseline_history("api")] == ["1.1.0", "1.0.0"]
        assert store.baseline_history("other") == []
