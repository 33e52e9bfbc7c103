"""The store's tables and its versioned upgrade.

`schema_version` holds one row: the version of the tables. Opening a store creates the latest
tables in an empty database, upgrades an older one step by step (each step in its own
transaction, bumping the version), and refuses a database newer than this code with a clear
message rather than reading it wrong.

History:
  1. runs (identity, fingerprint, the encoded RunResult document).
  2. listing columns on runs (summary numbers, verdicts, filled from the stored documents) and
     the baselines tables.
  3. runs.started_at (a result's own start time: finds the stored run of a RunResult in hand)
     and baseline_history (a baseline set again, or deleted, stays listed).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from surge.metrics import RunResult
from surge.store.codec import decode_result, unpack
from surge.store.model import StoreError

SCHEMA_VERSION = 3

metadata = sa.MetaData()

schema_version = sa.Table(
    "schema_version",
    metadata,
    sa.Column("version", sa.Integer, nullable=False),
)

runs = sa.Table(
    "runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(255), nullable=False, index=True),
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.Column("surge_version", sa.String(64), nullable=False),
    sa.Column("git_commit", sa.String(64), nullable=True),
    sa.Column("git_dirty", sa.Boolean, nullable=True),
    sa.Column("host", sa.String(255), nullable=False),
    sa.Column("fingerprint", sa.Text, nullable=False),
    sa.Column("encoding", sa.String(16), nullable=False),
    sa.Column("document", sa.LargeBinary, nullable=False),
    # version 2: the listing columns
    sa.Column("duration_s", sa.Float, nullable=False, server_default="0"),
    sa.Column("requests", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("failures", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("rps", sa.Float, nullable=False, server_default="0"),
    sa.Column("error_rate", sa.Float, nullable=False, server_default="0"),
    sa.Column("p50_ms", sa.Float, nullable=False, server_default="0"),
    sa.Column("p95_ms", sa.Float, nullable=False, server_default="0"),
    sa.Column("p99_ms", sa.Float, nullable=False, server_default="0"),
    sa.Column("mean_ms", sa.Float, nullable=False, server_default="0"),
    sa.Column("thresholds_failed", sa.Integer, nullable=False, server_default="0"),
    sa.Column("saturated", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("aborted", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("started_at", sa.String(40), nullable=True),
)

baselines = sa.Table(
    "baselines",
    metadata,
    sa.Column("name", sa.String(255), primary_key=True),
    sa.Column("version", sa.String(64), nullable=True),
    sa.Column("created_at", sa.String(40), nullable=False),
)

baseline_runs = sa.Table(
    "baseline_runs",
    metadata,
    sa.Column(
        "baseline_name",
        sa.String(255),
        sa.ForeignKey("baselines.name", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("position", sa.Integer, primary_key=True),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id"), nullable=False, index=True),
)

baseline_history = sa.Table(
    "baseline_history",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(255), nullable=False, index=True),
    sa.Column("version", sa.String(64), nullable=True),
    sa.Column("created_at", sa.String(40), nullable=False),
    sa.Column("replaced_at", sa.String(40), nullable=False),
    sa.Column("run_ids", sa.Text, nullable=False),  # JSON array, in the baseline's order
)

_LISTING_V2 = (
    ("duration_s", "FLOAT"),
    ("requests", "BIGINT"),
    ("failures", "BIGINT"),
    ("rps", "FLOAT"),
    ("error_rate", "FLOAT"),
    ("p50_ms", "FLOAT"),
    ("p95_ms", "FLOAT"),
    ("p99_ms", "FLOAT"),
    ("mean_ms", "FLOAT"),
    ("thresholds_failed", "INTEGER"),
    ("saturated", "BOOLEAN"),
    ("aborted", "BOOLEAN"),
)


def listing(result: RunResult) -> dict[str, Any]:
    """The listing columns of a run, computed from its result."""
    latency = result.total.latency
    generator = result.generator
    if len(result.benches) == 1 and not result.benches[0].levels:
        exact = result.benches[0].stats  # one serial bench: its exact figures, not µs buckets
        p50, p95, p99, mean = exact.median_ms, exact.p95_ms, exact.p99_ms, exact.mean_ms
    else:
        p50, p95, p99 = (latency.value_at_percentile_us(p) / 1000.0 for p in (50.0, 95.0, 99.0))
        mean = latency.mean_us / 1000.0
    return {
        "duration_s": result.duration_s,
        "requests": result.total.requests,
        "failures": result.total.failures,
        "rps": result.rps,
        "error_rate": result.total.error_rate,
        "p50_ms": p50,
        "p95_ms": p95,
        "p99_ms": p99,
        "mean_ms": mean,
        "thresholds_failed": sum(1 for v in result.thresholds if not v.passed),
        "saturated": bool(generator is not None and generator.saturated),
        "aborted": result.meta.aborted,
        "started_at": result.meta.started_at,
    }


def _upgrade_1_to_2(conn: sa.Connection) -> None:
    false = "0" if conn.dialect.name == "sqlite" else "false"
    for column, sql_type in _LISTING_V2:
        default = false if sql_type == "BOOLEAN" else "0"
        conn.execute(
            sa.text(f"ALTER TABLE runs ADD COLUMN {column} {sql_type} NOT NULL DEFAULT {default}")
        )
    stored = conn.execute(sa.select(runs.c.id, runs.c.encoding, runs.c.document)).all()
    for run_id, encoding, document in stored:
        result = decode_result(unpack(encoding, bytes(document)))
        values = {k: v for k, v in listing(result).items() if k in dict(_LISTING_V2)}
        conn.execute(runs.update().where(runs.c.id == run_id).values(**values))
    metadata.create_all(conn, tables=[baselines, baseline_runs])


def _upgrade_2_to_3(conn: sa.Connection) -> None:
    conn.execute(sa.text("ALTER TABLE runs ADD COLUMN started_at VARCHAR(40)"))
    stored = conn.execute(sa.select(runs.c.id, runs.c.encoding, runs.c.document)).all()
    for run_id, encoding, document in stored:
        started_at = decode_result(unpack(encoding, bytes(document))).meta.started_at
        conn.execute(runs.update().where(runs.c.id == run_id).values(started_at=started_at))
    metadata.create_all(conn, tables=[baseline_history])


UPGRADES: dict[int, Callable[[sa.Connection], None]] = {1: _upgrade_1_to_2, 2: _upgrade_2_to_3}


def _stored_version(conn: sa.Connection) -> int | None:
    inspector = sa.inspect(conn)
    if not inspector.has_table("schema_version"):
        if inspector.has_table("runs"):
            raise StoreError(
                "the database has a 'runs' table but no schema_version: not a surge store"
            )
        return None
    version = conn.execute(sa.select(schema_version.c.version)).scalar()
    if version is None:
        raise StoreError("the store's schema_version table is empty: not a surge store")
    return int(version)


def ensure_schema(engine: sa.Engine, where: str) -> int:
    """Create or upgrade the tables to SCHEMA_VERSION; returns the version found (0 if new).

    Each upgrade step re-reads the version in its own transaction, so two processes opening an
    old store at once do not run a step twice."""
    with engine.begin() as conn:
        found = _stored_version(conn)
        if found is None:
            metadata.create_all(conn)
            conn.execute(schema_version.insert().values(version=SCHEMA_VERSION))
            return 0
    if found > SCHEMA_VERSION:
        raise StoreError(
            f"{where} has store schema version {found}, newer than this surge understands "
            f"({SCHEMA_VERSION}): upgrade surge to use it"
        )
    while True:
        with engine.begin() as conn:
            current = _stored_version(conn) or 0
            if current >= SCHEMA_VERSION:
                return found
            UPGRADES[current](conn)
            conn.execute(schema_version.update().values(version=current + 1))
