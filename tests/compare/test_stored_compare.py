"""Comparisons of runs kept in a real SQLite store: intervals survive the round trip, the Python
API picks the baseline and the candidates, and the JSON document is complete."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

import surge
from compare.synthetic import make_run
from surge.compare import write_comparison_json
from surge.store import Fingerprint, Store, StoreError

FP = Fingerprint("0.1.0", "abc123", False, "ci-1", 2, "3.11.7", "linux-x86_64", {"users": 10})


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(f"sqlite:///{tmp_path / 'runs.db'}") as opened:
        yield opened


def test_single_stored_runs_bootstrap_over_stored_intervals(store: Store) -> None:
    rng = np.random.default_rng(0)
    base_id = store.save(make_run(rng, name="api"), FP)
    store.set_baseline("api", [base_id], "1.0")
    store.save(make_run(rng, name="api", median_ms={"/a": 13.0}), FP)
    comparison = surge.compare_to_baseline("api", store=store)
    assert comparison.baseline_runs == (base_id,) and comparison.candidate_runs == (base_id + 1,)
    assert comparison.method.value == "intervals"
    assert comparison.verdict is surge.Verdict.REGRESSED
    assert comparison.baseline_version == "1.0"
    p50 = next(f for f in comparison.findings if f.metric == "p50")
    assert "10 vs 10 intervals" in p50.test


def test_runs_and_tolerances_of_the_python_api(store: Store) -> None:
    rng = np.random.default_rng(1)
    ids = [store.save(make_run(rng, name="api", seconds=2), FP) for _ in range(6)]
    store.set_baseline("api", ids[:3])
    slower = [
        store.save(make_run(rng, name="api", seconds=2, median_ms={"/a": 11.5}), FP)
        for _ in range(3)
    ]
    default = surge.compare_to_baseline("api", store=store)
    assert default.candidate_runs == tuple(slower)  # the newest 3 outside the baseline
    loose = surge.compare_to_baseline("api", store=store, tolerances=["50%"], runs=ids[3:6])
    assert loose.candidate_runs == tuple(ids[3:6])
    assert loose.verdict is not surge.Verdict.REGRESSED
    doc = io.StringIO()
    write_comparison_json(default, doc)
    data = json.loads(doc.getvalue())
    assert data["schema"] == "surge.comparison/1" and data["method"] == "runs"
    assert data["baseline"]["runs"] == ids[:3] and len(data["findings"]) == 6
    assert set(data["findings"][0]) >= {
        "endpoint",
        "metric",
        "change_pct",
        "ci_low_pct",
        "ci_high_pct",
        "p_value",
        "verdict",
        "reason",
        "test",
    }


def test_api_errors_name_the_problem(store: Store) -> None:
    rng = np.random.default_rng(2)
    with pytest.raises(StoreError, match="no baseline"):
        surge.compare_to_baseline("api", store=store)
    run_id = store.save(make_run(rng, name="api"), FP)
    store.set_baseline("api", [run_id])
    with pytest.raises(StoreError, match="no stored run besides its baseline"):
        surge.compare_to_baseline("api", store=store)
