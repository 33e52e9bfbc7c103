"""Benches of real components: SQLAlchemy queries on SQLite and on a real PostgreSQL (queries per
call counted, so an N+1 shows), cache operations on a real redis-server (sync, async and a
thread sweep), and a Starlette handler called in-process."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import surge
from surge.benches import AsgiRequest, bench_loop

metadata = sa.MetaData()
users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(50), nullable=False),
)
orders = sa.Table(
    "orders",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
    sa.Column("total", sa.Integer, nullable=False),
)


def seeded(url: str) -> sa.Engine:
    engine = sa.create_engine(url)
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(users.insert(), [{"id": i, "name": f"user{i}"} for i in range(1, 21)])
        conn.execute(
            orders.insert(),
            [{"user_id": 1 + i % 20, "total": i} for i in range(200)],
        )
    return engine


def queries(engine: sa.Engine) -> tuple[Callable[[], Any], Callable[[], Any], Callable[[], Any]]:
    def fetch_user() -> Any:
        with engine.connect() as conn:
            return conn.execute(sa.select(users).where(users.c.id == 7)).one()

    def totals_n_plus_one() -> dict[str, int]:
        with engine.connect() as conn:
            people = conn.execute(sa.select(users.c.id, users.c.name).limit(10)).all()
            return {
                name: conn.execute(
                    sa.select(sa.func.sum(orders.c.total)).where(orders.c.user_id == uid)
                ).scalar_one()
                for uid, name in people
            }

    def totals_joined() -> dict[str, int]:
        query = (
            sa.select(users.c.name, sa.func.sum(orders.c.total))
            .join(orders, orders.c.user_id == users.c.id)
            .where(users.c.id <= 10)
            .group_by(users.c.name)
        )
        with engine.connect() as conn:
            return {name: total for name, total in conn.execute(query)}

    return fetch_user, totals_n_plus_one, totals_joined


def check_database_benches(engine: sa.Engine) -> None:
    fetch_user, n_plus_one, joined = queries(engine)
    kind = surge.Kind.DATABASE_QUERY
    one = surge.benchmark(
        fetch_user, kind=kind, duration=0.2, count_queries=engine, thresholds=["queries<=1"]
    )
    assert one.value.name == "user7"
    assert one.queries_per_call == 1
    assert one.passed and one.stats.calls > 0 and one.stats.errors == 0
    slow = surge.benchmark(n_plus_one, kind=kind, duration=0.2, count_queries=engine,
                           thresholds=["queries<=1"])  # fmt: skip
    fast = surge.benchmark(joined, kind=kind, duration=0.2, count_queries=engine)
    assert slow.value == fast.value  # the same answer …
    assert slow.queries_per_call == 11  # … with one query per user on top
    assert fast.queries_per_call == 1
    assert not slow.passed
    assert "queries per call: 11" in slow.table()


def test_sqlalchemy_queries_on_sqlite(tmp_path: Path) -> None:
    engine = seeded(f"sqlite:///{tmp_path / 'shop.db'}")
    try:
        check_database_benches(engine)
    finally:
        engine.dispose()


def test_sqlalchemy_queries_on_postgresql(postgres_url: str) -> None:
    engine = seeded(postgres_url)
    try:
        check_database_benches(engine)
        fetch_user, _, _ = queries(engine)
        swept = surge.benchmark(fetch_user, concurrency=[1, 4], duration=0.3)
        assert [level.stats.calls > 0 for level in swept.levels] == [True, True]
        assert all(level.stats.errors == 0 for level in swept.levels)
    finally:
        engine.dispose()


@pytest.fixture
def cache(redis_url: str) -> Iterator[Any]:
    import redis

    client = redis.Redis.from_url(redis_url)
    client.set("user:7", b"x" * 512)
    yield client
    client.close()


def test_cache_operations_on_redis(cache: Any) -> None:
    kind = surge.Kind.CACHE_OPERATION
    get = surge.benchmark(cache.get, "user:7", kind=kind, duration=0.2, thresholds="p99<100ms")
    assert get.value == b"x" * 512
    assert get.passed and get.stats.errors == 0 and get.stats.median_ms > 0
    missing = surge.benchmark(cache.get, "nope", kind=kind, rounds=20)
    assert missing.value is None
    swept = surge.benchmark(cache.incr, "hits", kind=kind, concurrency=[1, 4], duration=0.3)
    counted = sum(level.stats.calls for level in swept.levels)
    assert int(cache.get("hits")) >= counted  # every recorded call reached the server


def test_async_redis_client_on_uvloop(redis_url: str) -> None:
    import redis.asyncio

    client = redis.asyncio.Redis.from_url(redis_url)

    async def set_and_get() -> bytes | None:
        await client.set("k", b"v")
        value: bytes | None = await client.get("k")
        return value

    try:
        result = surge.benchmark(set_and_get, kind=surge.Kind.CACHE_OPERATION, duration=0.2)
        again = surge.benchmark(client.get, "k", rounds=10)  # the same client, the same loop
    finally:
        bench_loop().run_until_complete(client.aclose())
    assert result.value == b"v" and again.value == b"v"
    assert result.stats.errors == 0 and result.entry.flavor.value == "async"


def test_redis_down_is_counted_as_errors_by_type(redis_server: Any) -> None:
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    # no retries: redis-py 6+ retries a refused connection 3 times with backoff (3 s a call)
    closed = redis.Redis(
        host="127.0.0.1", port=1, socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0)
    )
    result = surge.benchmark(closed.ping, rounds=3, warmup=0, thresholds="error_rate<1%")
    assert result.errors == {"redis.exceptions.ConnectionError": 3}
    assert not result.passed


def test_starlette_handler_in_process() -> None:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def user(request: Request) -> JSONResponse:
        return JSONResponse({"id": int(request.path_params["uid"]), "name": "ada"})

    app = Starlette(routes=[Route("/users/{uid:int}", user)])
    ok = surge.benchmark(
        AsgiRequest(app, "GET", "/users/7", expect_status=200),
        name="GET /users/{uid}",
        kind=surge.Kind.API_ENDPOINT,
        duration=0.2,
        thresholds=["p95<50ms", "error_rate<1%"],
    )
    assert ok.value == 200 and ok.passed
    missing = surge.benchmark(
        AsgiRequest(app, "GET", "/nowhere", expect_status=200), rounds=5, warmup=0
    )
    assert missing.errors == {"surge.benches.asgi.AsgiStatusError": 5}
