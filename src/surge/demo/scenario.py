"""The scenario ``surge demo`` runs against the demo shop — and a template to copy for your own.

A scenario is a Python file with one or more ``surge.User`` subclasses. Each virtual user is one
instance of one of these classes: surge picks the class by ``weight``, calls ``on_start`` once,
then repeatedly picks a ``@surge.task`` (by task weight), runs it, and waits ``wait_time``
seconds before the next one. ``on_stop`` runs when the user is stopped.

``self.http`` is the user's own HTTP session: one keep-alive connection, a cookie jar, and
default ``headers`` sent with every request. Paths are relative to the target URL given on the
command line (``surge run scenario.py --host http://127.0.0.1:8000``). Every request returns a
response with ``.status``, ``.headers``, ``.text``, ``.json()`` and ``.ok``. A request never
raises on a transport error (refused, reset, timeout …): it is recorded as a failure, and the
response has ``.status == 0`` and ``.error`` set, so a script checks ``.ok`` instead of catching.

Run it yourself (with the shop started by ``python -m surge.demo.app --port 8000``):

    surge run src/surge/demo/scenario.py --host http://127.0.0.1:8000 --users 20 --duration 30s
"""

from __future__ import annotations

import random

import surge

# The shop seeds products 1..300; asking for ids up to 320 means some detail requests get a
# 404 on purpose — a realistic mix of hits and misses shows up as such in the report.
PRODUCT_IDS = range(1, 321)
SEARCH_TERMS = ("lamp", "oak", "chair", "steel kettle", "vintage", "wool", "puzzle")
# The shop's seeded accounts. In your own scenario, read secrets from the environment instead.
ACCOUNTS = (("alice", "secret"), ("bob", "builder"), ("carol", "password"))


class Shopper(surge.User):
    """A signed-in customer: browses, searches, and places orders with a bearer token."""

    # Three shoppers for every one anonymous Browser (weights are relative to each other).
    weight = 3
    # Think time between tasks: uniformly random between 0.1 and 0.5 seconds. Other choices:
    # surge.constant(1.0), or surge.constant_pacing(2.0) (start a task every 2 s at most).
    wait_time = surge.between(0.1, 0.5)

    async def on_start(self) -> None:
        # Runs once per virtual user, before its first task. Log in and keep the token as a
        # default header so every later request of this user carries it.
        username, password = random.choice(ACCOUNTS)
        response = await self.http.post(
            "/api/login", json={"username": username, "password": password}
        )
        if response.ok:
            self.http.headers["Authorization"] = f"Bearer {response.json()['token']}"
        # Never print or log the token: surge keeps Authorization headers out of every report.

    @surge.task(5)
    async def browse(self) -> None:
        # Task weight 5: picked five times as often as a weight-1 task of this class.
        page = random.randint(1, 15)
        # The query string differs between requests, but they are one endpoint to report on:
        # `name=` sets the label the statistics are grouped under.
        await self.http.get("/api/products", params={"page": page}, name="/api/products")

    @surge.task(3)
    async def view_product(self) -> None:
        product_id = random.choice(PRODUCT_IDS)
        # Dynamic URLs get a templated name, or every id would become its own endpoint.
        await self.http.get(f"/api/products/{product_id}", name="/api/products/{id}")

    @surge.task(2)
    async def search(self) -> None:
        await self.http.get(
            "/api/products/search",
            params={"q": random.choice(SEARCH_TERMS)},
            name="/api/products/search",
        )

    @surge.task(1)
    async def place_order(self) -> None:
        items = [
            {"product_id": random.randint(1, 300), "quantity": random.randint(1, 3)}
            for _ in range(random.randint(1, 3))
        ]
        # The Authorization header set in on_start is sent automatically.
        await self.http.post("/api/orders", json={"items": items})

    @surge.task(1)
    async def my_orders(self) -> None:
        await self.http.get("/api/orders")


class Browser(surge.User):
    """An anonymous visitor: health checks, catalogue pages, details, search, the sales report."""

    weight = 1
    wait_time = surge.between(0.2, 1.0)

    @surge.task(1)
    async def health(self) -> None:
        await self.http.get("/api/health")

    @surge.task(4)
    async def list_products(self) -> None:
        await self.http.get(
            "/api/products",
            params={"page": random.randint(1, 15), "page_size": 20},
            name="/api/products",
        )

    @surge.task(3)
    async def product_detail(self) -> None:
        await self.http.get(
            f"/api/products/{random.choice(PRODUCT_IDS)}", name="/api/products/{id}"
        )

    @surge.task(2)
    async def search_then_view(self) -> None:
        # A two-step flow: search, then open the first hit. Reading the body with .json()
        # is how a script uses one response to build the next request.
        response = await self.http.get(
            "/api/products/search",
            params={"q": random.choice(SEARCH_TERMS)},
            name="/api/products/search",
        )
        if response.ok:
            hits = response.json()["items"]
            if hits:
                await self.http.get(f"/api/products/{hits[0]['id']}", name="/api/products/{id}")

    @surge.task(1)
    async def calc(self) -> None:
        numbers = [random.uniform(0, 100) for _ in range(50)]
        await self.http.post("/api/calc", json={"numbers": numbers})

    @surge.task(1)
    async def sales_report(self) -> None:
        # The heaviest endpoint (tens of milliseconds): expect it to dominate the p99.
        await self.http.get("/api/reports/sales")
