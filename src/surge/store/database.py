"""The run store: SQLAlchemy over SQLite (default, `.surge/surge.db`) or any URL (PostgreSQL)."""

from __future__ import annotations

import contextlib
import datetime
import json
import re
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from surge.metrics import RunResult
from surge.store.codec import (
    CodecError,
    decode_result,
    decode_value,
    encode_result,
    encode_value,
    pack,
    unpack,
)
from surge.store.location import resolve_url
from surge.store.model import (
    Baseline,
    Fingerprint,
    RunSummary,
    StoredRun,
    StoreError,
    StoreMissing,
)
from surge.store.schema import (
    baseline_history,
    baseline_runs,
    baselines,
    ensure_schema,
    listing,
    runs,
)

URL_HELP = "use sqlite:///PATH (or a plain file path) or postgresql://USER:PASSWORD@HOST:PORT/DB"
_ID_REF = re.compile(r"#?(\d+)")
_BACK_REF = re.compile(r"(.+)~(\d+)")
_PASSWORD = re.compile(r"(://[^:/@]*:)[^@]*@")


def now_iso() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds")


def _engine(url: str, *, create: bool) -> tuple[sa.Engine, str]:
    try:
        parsed = sa.make_url(url)
    except (ArgumentError, ValueError):
        shown = _PASSWORD.sub(r"\1***@", url)
        raise StoreError(f"store URL {shown!r} is not a database URL: {URL_HELP}") from None
    where = parsed.render_as_string(hide_password=True)
    connect_args: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        connect_args["timeout"] = 30
        if parsed.database and parsed.database != ":memory:":
            path = Path(parsed.database)
            if not create and not path.exists():
                raise StoreMissing(
                    f"no runs stored yet: {path} does not exist (`surge run` stores every run "
                    "there; --store or SURGE_STORE name another store)"
                )
            path.parent.mkdir(parents=True, exist_ok=True)
    elif parsed.get_backend_name() == "postgresql":
        connect_args["connect_timeout"] = 10
    try:
        return sa.create_engine(parsed, connect_args=connect_args), where
    except NoSuchModuleError:
        raise StoreError(f"store URL {where}: unknown database kind; {URL_HELP}") from None
    except ImportError as exc:
        raise StoreError(f"store URL {where}: its driver is not installed ({exc})") from None


class Store:
    """Stored runs and baselines. Open with `Store.open(url)`; use as a context manager."""

    def __init__(self, engine: sa.Engine, where: str) -> None:
        self._engine = engine
        self.where = where  # the URL with any password hidden, for messages

    @classmethod
    def open(cls, url: str | None = None, *, cwd: Path | None = None, create: bool = True) -> Store:
        """Open (creating or upgrading the tables) the store at `url`; see `resolve_url`.
        With `create=False` a SQLite file that does not exist is StoreMissing, not created."""
        engine, where = _engine(resolve_url(url, cwd), create=create)
        try:
            ensure_schema(engine, where)
        except StoreError:
            engine.dispose()
            raise
        except (SQLAlchemyError, CodecError, OSError) as exc:
            engine.dispose()
            raise StoreError(f"cannot open the store at {where}: {_reason(exc)}") from None
        return cls(engine, where)

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- runs

    def save(self, result: RunResult, fingerprint: Fingerprint) -> int:
        """Store a run; returns its id."""
        with self._guard("encode the run"):
            encoding, document = pack(encode_result(result))
        values = {
            "name": result.meta.name,
            "created_at": now_iso(),
            "surge_version": fingerprint.surge_version,
            "git_commit": fingerprint.git_commit,
            "git_dirty": fingerprint.git_dirty,
            "host": fingerprint.host,
            "fingerprint": _fingerprint_json(fingerprint),
            "encoding": encoding,
            "document": document,
            **listing(result),
        }
        with self._guard("store the run"), self._engine.begin() as conn:
            inserted = conn.execute(runs.insert().values(**values))
            key = inserted.inserted_primary_key
            assert key is not None
            return int(key[0])

    def get(self, ref: str | int) -> StoredRun:
        """A run by reference: its id (`42` or `#42`), `NAME` (the latest run of NAME) or
        `NAME~N` (N runs before the latest of NAME)."""
        return self._full(self.resolve(ref))

    def resolve(self, ref: str | int) -> int:
        """The id a run reference names (see `get`), or StoreError."""
        text = str(ref).strip()
        by_id = _ID_REF.fullmatch(text)
        if by_id:
            run_id = int(by_id.group(1))
            with self._guard("read runs"), self._engine.connect() as conn:
                found = conn.execute(sa.select(runs.c.id).where(runs.c.id == run_id)).scalar()
            if found is None:
                raise StoreError(f"no run with id {run_id} in {self.where} (see `surge history`)")
            return run_id
        name, back = text, 0
        match = _BACK_REF.fullmatch(text)
        if match and not self._has_name(text):
            name, back = match.group(1), int(match.group(2))
        ids = [s.id for s in self.summaries(name, limit=back + 1)]
        if not ids:
            raise StoreError(self._unknown_name(name))
        if len(ids) <= back:
            raise StoreError(
                f"{name!r} has only {len(ids)} stored run(s); {text!r} goes back too far"
            )
        return ids[back]

    def find(self, result: RunResult) -> int | None:
        """The id of the stored run `result` is (same name and start time), None when it was
        not stored here."""
        query = sa.select(runs.c.id).where(
            runs.c.name == result.meta.name, runs.c.started_at == result.meta.started_at
        )
        with self._guard("read runs"), self._engine.connect() as conn:
            found = conn.execute(query.order_by(runs.c.id.desc()).limit(1)).scalar()
        return None if found is None else int(found)

    def runs(self, name: str | None = None, *, limit: int | None = None) -> list[StoredRun]:
        """Stored runs, newest first, all of them or those named `name` (fully decoded)."""
        query = self._select(runs, name, limit)
        with self._guard("read runs"), self._engine.connect() as conn:
            rows = conn.execute(query).all()
            return [_stored(row) for row in rows]

    def summaries(
        self,
        name: str | None = None,
        *,
        limit: int | None = None,
        ids: Sequence[int] | None = None,
    ) -> list[RunSummary]:
        """The listing rows of stored runs (all, named `name`, or with these `ids`), newest
        first, read without decoding any histogram."""
        columns = [runs.c[f] for f in RunSummary.__dataclass_fields__]
        query = self._select(sa.select(*columns).select_from(runs), name, limit)
        if ids is not None:
            query = query.where(runs.c.id.in_(list(ids)))
        with self._guard("read runs"), self._engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        return [RunSummary(**dict(row)) for row in rows]

    def names(self) -> list[str]:
        """Every run name in the store, sorted."""
        with self._guard("read runs"), self._engine.connect() as conn:
            found = conn.execute(sa.select(runs.c.name).distinct().order_by(runs.c.name))
            return [str(n) for n in found.scalars()]

    # -- baselines

    def set_baseline(
        self, name: str, run_ids: Sequence[int], version: str | None = None
    ) -> Baseline:
        """Make `run_ids` (in this order) the baseline of `name`; a previous one moves to the
        name's baseline history (see `baseline_history`)."""
        ids = [self.resolve(run_id) for run_id in run_ids]
        if not ids:
            raise StoreError(f"a baseline of {name!r} needs at least one run")
        if len(set(ids)) != len(ids):
            raise StoreError(f"a baseline lists each run once; got {ids}")
        with self._guard("store the baseline"), self._engine.begin() as conn:
            _retire_baseline(conn, name)
            conn.execute(
                baselines.insert().values(name=name, version=version, created_at=now_iso())
            )
            conn.execute(
                baseline_runs.insert(),
                [{"baseline_name": name, "position": i, "run_id": r} for i, r in enumerate(ids)],
            )
        found = self.baseline(name)
        assert found is not None
        return found

    def baseline(self, name: str) -> Baseline | None:
        """The baseline of `name`, or None when it has none."""
        with self._guard("read baselines"), self._engine.connect() as conn:
            row = conn.execute(sa.select(baselines).where(baselines.c.name == name)).first()
            if row is None:
                return None
            ids = conn.execute(
                sa.select(baseline_runs.c.run_id)
                .where(baseline_runs.c.baseline_name == name)
                .order_by(baseline_runs.c.position)
            ).scalars()
            run_ids = list(ids)
        stored = tuple(self._full(run_id) for run_id in run_ids)
        return Baseline(name=row.name, version=row.version, created_at=row.created_at, runs=stored)

    def baselines(self) -> list[Baseline]:
        """Every baseline, by name."""
        with self._guard("read baselines"), self._engine.connect() as conn:
            names = list(
                conn.execute(sa.select(baselines.c.name).order_by(baselines.c.name)).scalars()
            )
        found = [self.baseline(name) for name in names]
        return [b for b in found if b is not None]

    def baseline_members(self) -> dict[str, list[int]]:
        """Each baseline's run ids in order, by baseline name (no run is decoded)."""
        query = sa.select(baseline_runs.c.baseline_name, baseline_runs.c.run_id).order_by(
            baseline_runs.c.baseline_name, baseline_runs.c.position
        )
        members: dict[str, list[int]] = {}
        with self._guard("read baselines"), self._engine.connect() as conn:
            for name, run_id in conn.execute(query):
                members.setdefault(str(name), []).append(int(run_id))
        return members

    def delete_baseline(self, name: str) -> bool:
        """Retire the baseline of `name` to its history (its runs stay); False when there was
        none."""
        with self._guard("delete the baseline"), self._engine.begin() as conn:
            return _retire_baseline(conn, name)

    def baseline_history(self, name: str) -> list[Baseline]:
        """The baselines `name` had before its current one, newest first, each with the time
        it was replaced (`replaced_at`); runs no longer in the store are left out."""
        query = (
            sa.select(baseline_history)
            .where(baseline_history.c.name == name)
            .order_by(baseline_history.c.id.desc())
        )
        with self._guard("read baselines"), self._engine.connect() as conn:
            rows = conn.execute(query).all()
        found: list[Baseline] = []
        for row in rows:
            stored = []
            for run_id in json.loads(row.run_ids):
                with contextlib.suppress(StoreError):
                    stored.append(self._full(int(run_id)))
            found.append(
                Baseline(
                    name=row.name,
                    version=row.version,
                    created_at=row.created_at,
                    runs=tuple(stored),
                    replaced_at=row.replaced_at,
                )
            )
        return found

    # -- internals

    def _full(self, run_id: int) -> StoredRun:
        with self._guard("read runs"), self._engine.connect() as conn:
            row = conn.execute(sa.select(runs).where(runs.c.id == run_id)).first()
            if row is not None:
                return _stored(row)
        raise StoreError(f"no run with id {run_id} in {self.where} (see `surge history`)")

    def _select(self, query: Any, name: str | None, limit: int | None) -> Any:
        if not isinstance(query, sa.Select):
            query = sa.select(query)
        if name is not None:
            query = query.where(runs.c.name == name)
        query = query.order_by(runs.c.id.desc())
        return query.limit(limit) if limit is not None else query

    def _has_name(self, name: str) -> bool:
        with self._guard("read runs"), self._engine.connect() as conn:
            found = conn.execute(sa.select(runs.c.id).where(runs.c.name == name).limit(1))
            return found.first() is not None

    def _unknown_name(self, name: str) -> str:
        known = self.names()
        hint = f"; stored names: {', '.join(repr(n) for n in known[:10])}" if known else ""
        return f"no run named {name!r} in {self.where}{hint}"

    def _guard(self, doing: str) -> _Guard:
        return _Guard(self.where, doing)


class _Guard:
    """Turns database and decoding errors into a StoreError saying what failed, and where."""

    def __init__(self, where: str, doing: str) -> None:
        self.where, self.doing = where, doing

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if isinstance(exc, SQLAlchemyError | CodecError | OSError):
            raise StoreError(f"could not {self.doing} in {self.where}: {_reason(exc)}") from None


def _retire_baseline(conn: sa.Connection, name: str) -> bool:
    """Move the current baseline of `name` to its history; False when it had none."""
    row = conn.execute(sa.select(baselines).where(baselines.c.name == name)).first()
    if row is None:
        return False
    ids = conn.execute(
        sa.select(baseline_runs.c.run_id)
        .where(baseline_runs.c.baseline_name == name)
        .order_by(baseline_runs.c.position)
    ).scalars()
    conn.execute(
        baseline_history.insert().values(
            name=name,
            version=row.version,
            created_at=row.created_at,
            replaced_at=now_iso(),
            run_ids=json.dumps([int(i) for i in ids]),
        )
    )
    conn.execute(baseline_runs.delete().where(baseline_runs.c.baseline_name == name))
    conn.execute(baselines.delete().where(baselines.c.name == name))
    return True


def _reason(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _fingerprint_json(fingerprint: Fingerprint) -> str:
    return json.dumps(encode_value(fingerprint, Fingerprint), separators=(",", ":"))


def _stored(row: Any) -> StoredRun:
    fingerprint = decode_value(json.loads(row.fingerprint), Fingerprint)
    result = decode_result(unpack(row.encoding, bytes(row.document)))
    return StoredRun(
        id=int(row.id),
        name=str(row.name),
        created_at=str(row.created_at),
        fingerprint=fingerprint,
        result=result,
    )
