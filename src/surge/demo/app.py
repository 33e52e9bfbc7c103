"""The demo target: a small, realistic shop backend to point surge at.

Run it on its own with ``python -m surge.demo.app --port 8080`` (or ``python -m surge.demo``), or
let ``surge demo`` start it for you. It is a plain Starlette app served by uvicorn, backed by a
SQLite database that is created in a temporary directory and seeded deterministically at start-up.

Endpoints (all JSON):

    GET  /api/health                      cheap liveness check
    POST /api/login                       {"username", "password"} -> {"token"}; 401 on bad creds
    GET  /api/products?page=&page_size=   one page of the catalogue
    GET  /api/products/search?q=          name search (SQL LIKE), at most 50 hits
    GET  /api/products/{id}               one product; 404 when unknown
    POST /api/orders                      {"items": [{"product_id", "quantity"}]}; needs a token
    GET  /api/orders                      the caller's latest orders; needs a token
    POST /api/calc                        {"numbers": [...]} -> count/sum/mean/min/max/stdev
    GET  /api/reports/sales               deliberately heavier: aggregates over every order

Demo users: alice/secret, bob/builder, carol/password.

The code is split in two layers: ``Shop`` is the data layer (plain synchronous sqlite3 calls) and
the endpoint functions below it are the HTTP layer. Sync endpoints run in Starlette's thread pool;
async endpoints (the ones that must read a request body) hand their database work to the pool
with ``run_in_threadpool`` so a slow query never blocks the event loop.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import hashlib
import math
import random
import secrets
import sqlite3
import statistics
import tempfile
import threading
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

DEMO_USERS: dict[str, str] = {"alice": "secret", "bob": "builder", "carol": "password"}
"""Username -> password of the seeded accounts."""

PRODUCT_COUNT = 300
HISTORICAL_ORDER_COUNT = 3000
SEED = 20240101
MAX_PAGE_SIZE = 100
MAX_SEARCH_RESULTS = 50
MAX_CALC_NUMBERS = 10_000
MAX_ORDER_ITEMS = 20
MAX_ITEM_QUANTITY = 10
PBKDF2_ITERATIONS = 5_000  # makes login realistically a little slower than a plain read

_CATEGORIES = ("books", "garden", "games", "kitchen", "music", "outdoors", "tools", "toys")
_ADJECTIVES = ("Classic", "Compact", "Deluxe", "Ergonomic", "Rustic", "Sleek", "Sturdy", "Vintage")
_MATERIALS = ("Bamboo", "Copper", "Cotton", "Granite", "Leather", "Oak", "Steel", "Wool")
_NOUNS = (
    "Backpack",
    "Chair",
    "Kettle",
    "Lamp",
    "Notebook",
    "Puzzle",
    "Speaker",
    "Teapot",
    "Wrench",
)
_HISTORY_START = datetime.date(2024, 1, 1)
_HISTORY_DAYS = 120


class ValidationError(Exception):
    """Raised for a request the server understands but refuses (rendered as 422)."""


# --------------------------------------------------------------------------------------------
# Data layer
# --------------------------------------------------------------------------------------------

_SCHEMA = """
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    password_salt BLOB NOT NULL,
    password_hash BLOB NOT NULL
);
CREATE TABLE sessions (
    token TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    created_at TEXT NOT NULL
);
CREATE TABLE products (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    category TEXT NOT NULL,
    description TEXT NOT NULL,
    price_cents INTEGER NOT NULL,
    stock INTEGER NOT NULL
);
CREATE TABLE orders (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    created_at TEXT NOT NULL
);
CREATE TABLE order_items (
    order_id INTEGER NOT NULL REFERENCES orders(id),
    product_id INTEGER NOT NULL REFERENCES products(id),
    quantity INTEGER NOT NULL,
    unit_price_cents INTEGER NOT NULL
);
CREATE INDEX order_items_by_order ON order_items(order_id);
CREATE INDEX orders_by_user ON orders(user_id, id);
"""


def _hash_password(password: str, salt: bytes) -> bytes:
    return hashlib.pbkdf2_hmac("sha256", password.encode(), salt, PBKDF2_ITERATIONS)


def _product_row(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "name": row["name"],
        "category": row["category"],
        "description": row["description"],
        "price_cents": row["price_cents"],
        "stock": row["stock"],
    }


class Shop:
    """The data layer: every method is a short synchronous transaction on the SQLite file.

    sqlite3 connections must not be shared between threads, so each thread of the pool gets its
    own (WAL mode lets readers and a writer run side by side).
    """

    def __init__(self, db_path: Path) -> None:
        self._db_path = db_path
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            # check_same_thread=False only so close() may close it from the main thread.
            conn = sqlite3.connect(self._db_path, timeout=10.0, check_same_thread=False)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
            with self._lock:
                self._connections.append(conn)
        return conn

    def close(self) -> None:
        with self._lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()

    # -- set-up ------------------------------------------------------------------------------

    def create_and_seed(self, seed: int = SEED) -> None:
        """Create the schema and fill it with the same data on every start."""
        rng = random.Random(seed)
        conn = self._conn()
        conn.executescript(_SCHEMA)
        with conn:
            for username, password in DEMO_USERS.items():
                salt = hashlib.sha256(username.encode()).digest()[:16]
                conn.execute(
                    "INSERT INTO users (username, password_salt, password_hash) VALUES (?, ?, ?)",
                    (username, salt, _hash_password(password, salt)),
                )
            products = []
            for product_id in range(1, PRODUCT_COUNT + 1):
                name = f"{rng.choice(_ADJECTIVES)} {rng.choice(_MATERIALS)} {rng.choice(_NOUNS)}"
                category = rng.choice(_CATEGORIES)
                description = f"{name}, from our {category} range."
                products.append(
                    (
                        product_id,
                        name,
                        category,
                        description,
                        rng.randint(299, 19_999),
                        rng.randint(0, 500),
                    )
                )
            conn.executemany("INSERT INTO products VALUES (?, ?, ?, ?, ?, ?)", products)
            prices = {p[0]: p[4] for p in products}
            user_ids = [row[0] for row in conn.execute("SELECT id FROM users")]
            for order_id in range(1, HISTORICAL_ORDER_COUNT + 1):
                day = _HISTORY_START + datetime.timedelta(days=rng.randrange(_HISTORY_DAYS))
                conn.execute(
                    "INSERT INTO orders VALUES (?, ?, ?)",
                    (order_id, rng.choice(user_ids), f"{day.isoformat()}T12:00:00+00:00"),
                )
                items = []
                for product_id in rng.sample(range(1, PRODUCT_COUNT + 1), rng.randint(1, 4)):
                    items.append((order_id, product_id, rng.randint(1, 3), prices[product_id]))
                conn.executemany("INSERT INTO order_items VALUES (?, ?, ?, ?)", items)

    # -- authentication ----------------------------------------------------------------------

    def login(self, username: str, password: str) -> str | None:
        """A new session token, or None when the credentials are wrong."""
        conn = self._conn()
        row = conn.execute(
            "SELECT id, password_salt, password_hash FROM users WHERE username = ?", (username,)
        ).fetchone()
        if row is None:
            return None
        if not secrets.compare_digest(
            _hash_password(password, row["password_salt"]), row["password_hash"]
        ):
            return None
        token = secrets.token_urlsafe(24)
        with conn:
            conn.execute("INSERT INTO sessions VALUES (?, ?, ?)", (token, row["id"], _now_iso()))
        return token

    def user_for_token(self, token: str) -> int | None:
        row = (
            self._conn()
            .execute("SELECT user_id FROM sessions WHERE token = ?", (token,))
            .fetchone()
        )
        return None if row is None else int(row["user_id"])

    # -- catalogue ---------------------------------------------------------------------------

    def list_products(self, page: int, page_size: int) -> dict[str, Any]:
        conn = self._conn()
        total = conn.execute("SELECT COUNT(*) FROM products").fetchone()[0]
        rows = conn.execute(
            "SELECT * FROM products ORDER BY id LIMIT ? OFFSET ?",
            (page_size, (page - 1) * page_size),
        ).fetchall()
        items = [_product_row(r) for r in rows]
        return {"page": page, "page_size": page_size, "total": total, "items": items}

    def get_product(self, product_id: int) -> dict[str, Any] | None:
        row = self._conn().execute("SELECT * FROM products WHERE id = ?", (product_id,)).fetchone()
        return None if row is None else _product_row(row)

    def search_products(self, query: str) -> list[dict[str, Any]]:
        # Escape LIKE's wildcards so "50%" searches for a literal percent sign.
        pattern = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = (
            self._conn()
            .execute(
                "SELECT * FROM products WHERE name LIKE ? ESCAPE '\\' ORDER BY id LIMIT ?",
                (pattern, MAX_SEARCH_RESULTS),
            )
            .fetchall()
        )
        return [_product_row(r) for r in rows]

    # -- orders ------------------------------------------------------------------------------

    def create_order(self, user_id: int, items: Sequence[tuple[int, int]]) -> dict[str, Any]:
        """Insert an order of (product_id, quantity) pairs; ValidationError for unknown ids."""
        conn = self._conn()
        ids = sorted({product_id for product_id, _ in items})
        marks = ",".join("?" * len(ids))
        prices = {
            row["id"]: row["price_cents"]
            for row in conn.execute(
                f"SELECT id, price_cents FROM products WHERE id IN ({marks})", ids
            )
        }
        unknown = [product_id for product_id in ids if product_id not in prices]
        if unknown:
            raise ValidationError(f"unknown product id(s): {unknown}")
        created_at = _now_iso()
        with conn:
            cursor = conn.execute(
                "INSERT INTO orders (user_id, created_at) VALUES (?, ?)", (user_id, created_at)
            )
            order_id = cursor.lastrowid
            conn.executemany(
                "INSERT INTO order_items VALUES (?, ?, ?, ?)",
                [(order_id, pid, qty, prices[pid]) for pid, qty in items],
            )
        lines = [
            {"product_id": pid, "quantity": qty, "unit_price_cents": prices[pid]}
            for pid, qty in items
        ]
        total = sum(prices[pid] * qty for pid, qty in items)
        return {"id": order_id, "created_at": created_at, "total_cents": total, "items": lines}

    def list_orders(self, user_id: int, limit: int = 20) -> list[dict[str, Any]]:
        rows = (
            self._conn()
            .execute(
                """
            SELECT o.id, o.created_at, SUM(i.quantity * i.unit_price_cents) AS total_cents,
                   SUM(i.quantity) AS units
            FROM orders o JOIN order_items i ON i.order_id = o.id
            WHERE o.user_id = ?
            GROUP BY o.id ORDER BY o.id DESC LIMIT ?
            """,
                (user_id, limit),
            )
            .fetchall()
        )
        return [dict(row) for row in rows]

    # -- reports -----------------------------------------------------------------------------

    def sales_report(self) -> dict[str, Any]:
        """Deliberately heavier: several full-table aggregates plus some work in Python."""
        conn = self._conn()
        by_category = [
            dict(row)
            for row in conn.execute(
                """
                SELECT p.category, SUM(i.quantity) AS units,
                       SUM(i.quantity * i.unit_price_cents) AS revenue_cents
                FROM order_items i JOIN products p ON p.id = i.product_id
                GROUP BY p.category ORDER BY revenue_cents DESC
                """
            )
        ]
        top_products = [
            dict(row)
            for row in conn.execute(
                """
                SELECT p.id, p.name, SUM(i.quantity) AS units,
                       SUM(i.quantity * i.unit_price_cents) AS revenue_cents
                FROM order_items i JOIN products p ON p.id = i.product_id
                GROUP BY p.id ORDER BY revenue_cents DESC, p.id LIMIT 10
                """
            )
        ]
        order_totals = [
            row[0]
            for row in conn.execute(
                "SELECT SUM(quantity * unit_price_cents) FROM order_items GROUP BY order_id"
            )
        ]
        daily = conn.execute(
            """
            SELECT substr(o.created_at, 1, 10) AS day, SUM(i.quantity * i.unit_price_cents)
            FROM orders o JOIN order_items i ON i.order_id = o.id
            GROUP BY day ORDER BY day
            """
        ).fetchall()
        return {
            "orders": len(order_totals),
            "revenue_cents": sum(order_totals),
            "by_category": by_category,
            "top_products": top_products,
            "order_value_cents": _distribution(order_totals),
            "daily_revenue_cents": _moving_averages([int(row[1]) for row in daily], window=7)[-30:],
        }


def _now_iso() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


def _distribution(values: list[int]) -> dict[str, float]:
    """Percentiles computed the slow, obvious way (sorting) — part of what makes reports heavy."""
    if not values:
        return {"p50": 0.0, "p90": 0.0, "p99": 0.0, "mean": 0.0}
    ordered = sorted(values)

    def pct(q: float) -> float:
        return float(ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)])

    return {"p50": pct(0.5), "p90": pct(0.9), "p99": pct(0.99), "mean": statistics.fmean(ordered)}


def _moving_averages(series: list[int], window: int) -> list[float]:
    out: list[float] = []
    for end in range(1, len(series) + 1):
        chunk = series[max(0, end - window) : end]
        out.append(round(sum(chunk) / len(chunk), 2))
    return out


# --------------------------------------------------------------------------------------------
# HTTP layer
# --------------------------------------------------------------------------------------------


def _shop(request: Request) -> Shop:
    shop: Shop = request.app.state.shop
    return shop


def _error(status: int, detail: str) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status)


def _int_param(request: Request, name: str, default: int, lo: int, hi: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValidationError(f"{name} must be an integer, got {raw!r}") from None
    if not lo <= value <= hi:
        raise ValidationError(f"{name} must be between {lo} and {hi}, got {value}")
    return value


async def _json_object(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise ValidationError("request body must be JSON") from None
    if not isinstance(body, dict):
        raise ValidationError("request body must be a JSON object")
    return body


def _bearer_user(request: Request) -> int | None:
    """The user id behind ``Authorization: Bearer <token>``, or None."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    return _shop(request).user_for_token(token.strip())


async def health(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def login(request: Request) -> JSONResponse:
    body = await _json_object(request)
    username, password = body.get("username"), body.get("password")
    if not isinstance(username, str) or not isinstance(password, str):
        raise ValidationError("username and password must be strings")
    token = await run_in_threadpool(_shop(request).login, username, password)
    if token is None:
        return _error(401, "invalid username or password")
    return JSONResponse({"token": token})


def list_products(request: Request) -> JSONResponse:
    page = _int_param(request, "page", 1, 1, 1_000_000)
    page_size = _int_param(request, "page_size", 20, 1, MAX_PAGE_SIZE)
    return JSONResponse(_shop(request).list_products(page, page_size))


def product_detail(request: Request) -> JSONResponse:
    product = _shop(request).get_product(request.path_params["product_id"])
    if product is None:
        return _error(404, "product not found")
    return JSONResponse(product)


def search_products(request: Request) -> JSONResponse:
    query = request.query_params.get("q", "").strip()
    if not query:
        raise ValidationError("q is required, e.g. /api/products/search?q=lamp")
    results = _shop(request).search_products(query)
    return JSONResponse({"query": query, "count": len(results), "items": results})


def _parse_order_items(body: dict[str, Any]) -> list[tuple[int, int]]:
    items = body.get("items")
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_ORDER_ITEMS:
        raise ValidationError(f"items must be a list of 1 to {MAX_ORDER_ITEMS} entries")
    parsed = []
    for item in items:
        pid = item.get("product_id") if isinstance(item, dict) else None
        qty = item.get("quantity", 1) if isinstance(item, dict) else None
        if type(pid) is not int or type(qty) is not int or not 1 <= qty <= MAX_ITEM_QUANTITY:
            raise ValidationError(
                f"each item needs an integer product_id and a quantity of 1 to {MAX_ITEM_QUANTITY}"
            )
        parsed.append((pid, qty))
    return parsed


async def create_order(request: Request) -> JSONResponse:
    user_id = await run_in_threadpool(_bearer_user, request)
    if user_id is None:
        return _error(401, "missing or invalid bearer token")
    items = _parse_order_items(await _json_object(request))
    order = await run_in_threadpool(_shop(request).create_order, user_id, items)
    return JSONResponse(order, status_code=201)


def list_orders(request: Request) -> JSONResponse:
    user_id = _bearer_user(request)
    if user_id is None:
        return _error(401, "missing or invalid bearer token")
    return JSONResponse({"orders": _shop(request).list_orders(user_id)})


async def calc(request: Request) -> JSONResponse:
    numbers = (await _json_object(request)).get("numbers")
    if (
        not isinstance(numbers, list)
        or not 1 <= len(numbers) <= MAX_CALC_NUMBERS
        or not all(isinstance(n, int | float) and not isinstance(n, bool) for n in numbers)
        or not all(math.isfinite(n) for n in numbers)
    ):
        raise ValidationError(f"numbers must be a list of 1 to {MAX_CALC_NUMBERS} finite numbers")
    return JSONResponse(
        {
            "count": len(numbers),
            "sum": math.fsum(numbers),
            "mean": statistics.fmean(numbers),
            "min": min(numbers),
            "max": max(numbers),
            "stdev": statistics.stdev(numbers) if len(numbers) > 1 else 0.0,
        }
    )


def sales_report(request: Request) -> JSONResponse:
    return JSONResponse(_shop(request).sales_report())


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    return _error(422, str(exc))


ROUTES = [
    Route("/api/health", health, methods=["GET"]),
    Route("/api/login", login, methods=["POST"]),
    Route("/api/products", list_products, methods=["GET"]),
    Route("/api/products/search", search_products, methods=["GET"]),
    Route("/api/products/{product_id:int}", product_detail, methods=["GET"]),
    Route("/api/orders", create_order, methods=["POST"]),
    Route("/api/orders", list_orders, methods=["GET"]),
    Route("/api/calc", calc, methods=["POST"]),
    Route("/api/reports/sales", sales_report, methods=["GET"]),
]


def create_app(db_path: Path | None = None) -> Starlette:
    """The Starlette app. The database is created and seeded when the app starts (lifespan)."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        with contextlib.ExitStack() as stack:
            path = db_path
            if path is None:
                tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="surge-demo-"))
                path = Path(tmp) / "shop.sqlite3"
            shop = Shop(path)
            stack.callback(shop.close)
            await run_in_threadpool(shop.create_and_seed)
            app.state.shop = shop
            yield

    return Starlette(
        routes=ROUTES,
        exception_handlers={ValidationError: _validation_error},
        lifespan=lifespan,
    )


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m surge.demo.app [--host H] [--port P]``: serve the demo shop with uvicorn."""
    import uvicorn  # imported here so importing this module stays cheap

    parser = argparse.ArgumentParser(
        prog="python -m surge.demo.app", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
    args = parser.parse_args(argv)
    uvicorn.run(create_app(), host=args.host, port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
