"""A store written by schema version 1 (built here by hand, as that version laid it out) opens
upgraded: listing columns filled from the stored documents, baselines available, runs intact."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from store_samples import full_result

from surge.metrics import RunResult
from surge.store import SCHEMA_VERSION, Store
from surge.store.codec import encode_result, pack

V1_RUNS = """
CREATE TABLE runs (
    id {id_type} PRIMARY KEY,
    name VARCHAR(255) NOT NULL,
    created_at VARCHAR(40) NOT NULL,
    surge_version VARCHAR(64) NOT NULL,
    git_commit VARCHAR(64),
    git_dirty BOOLEAN,
    host VARCHAR(255) NOT NULL,
    fingerprint TEXT NOT NULL,
    encoding VARCHAR(16) NOT NULL,
    document {blob_type} NOT NULL
)
"""
V1_FINGERPRINT = {
    "surge_version": "0.1.0",
    "git_commit": None,
    "git_dirty": None,
    "host": "old-host",
    "cpu_count": 2,
    "python": "3.11.4",
    "platform": "linux-x86_64",
    "options": {"users": 4},
}


def build_v1(url: str) -> list[RunResult]:
    """A version-1 store holding two runs; returns their results."""
    engine = sa.create_engine(url)
    postgres = engine.dialect.name == "postgresql"
    ddl = V1_RUNS.format(
        id_type="SERIAL" if postgres else "INTEGER",
        blob_type="BYTEA" if postgres else "BLOB",
    )
    results = [full_result("legacy"), full_result("legacy")]
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE schema_version (version INTEGER NOT NULL)"))
        conn.execute(sa.text("INSERT INTO schema_version (version) VALUES (1)"))
        conn.execute(sa.text(ddl))
        conn.execute(sa.text("CREATE INDEX ix_runs_name ON runs (name)"))
        for i, result in enumerate(results):
            encoding, document = pack(encode_result(result))
            conn.execute(
                sa.text(
                    "INSERT INTO runs (name, created_at, surge_version, git_commit, git_dirty,"
                    " host, fingerprint, encoding, document) VALUES (:name, :created_at,"
                    " '0.1.0', NULL, NULL, 'old-host', :fp, :encoding, :document)"
                ),
                {
                    "name": "legacy",
                    "created_at": f"2026-01-0{i + 1}T10:00:00.000+00:00",
                    "fp": json.dumps(V1_FINGERPRINT),
                    "encoding": encoding,
                    "document": document,
                },
            )
    engine.dispose()
    return results


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_version_1_store_is_upgraded(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = f"sqlite:///{tmp_path / 'v1.db'}"
    if backend == "postgresql":
        url = request.getfixturevalue("postgres_url")
    results = build_v1(url)
    with Store.open(url) as store:
        rows = store.summaries("legacy")
        assert [r.id for r in rows] == [2, 1]
        for row, result in zip(rows, reversed(results), strict=True):
            assert row.p99_ms == result.total.latency.value_at_percentile_us(99) / 1000
            assert row.requests == result.total.requests > 0
        assert store.get(1).result == results[0]
        assert store.get(1).fingerprint.host == "old-host"
        assert [r.id for r in store.set_baseline("legacy", [1, 2]).runs] == [1, 2]
        assert store.save(full_result("legacy"), store.get(1).fingerprint) == 3
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        version = conn.execute(sa.text("SELECT version FROM schema_version")).scalar()
    engine.dispose()
    assert version == SCHEMA_VERSION
    with Store.open(url) as store:  # opening an up-to-date store changes nothing
        assert len(store.summaries()) == 3
