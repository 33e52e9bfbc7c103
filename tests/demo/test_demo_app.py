"""The demo shop's endpoints, exercised over real HTTP against the subprocess."""

from __future__ import annotations

import time

import pytest

from demo.demo_http import call
from surge.demo.app import DEMO_USERS, MAX_PAGE_SIZE, PRODUCT_COUNT
from surge.demo.server import DemoServer


def _login(url: str, username: str = "alice", password: str = "secret") -> str:
    reply = call(url, "POST", "/api/login", body={"username": username, "password": password})
    assert reply.status == 200
    token = reply.json()["token"]
    assert isinstance(token, str) and len(token) >= 16
    return token


def test_health(demo_server: DemoServer) -> None:
    reply = call(demo_server.url, "GET", "/api/health")
    assert reply.status == 200
    assert reply.json() == {"status": "ok"}
    assert reply.headers["content-type"].startswith("application/json")


@pytest.mark.parametrize("username", sorted(DEMO_USERS))
def test_every_seeded_user_can_log_in(demo_server: DemoServer, username: str) -> None:
    _login(demo_server.url, username, DEMO_USERS[username])


def test_login_tokens_are_unique(demo_server: DemoServer) -> None:
    assert _login(demo_server.url) != _login(demo_server.url)


@pytest.mark.parametrize(
    "credentials",
    [
        {"username": "alice", "password": "wrong"},
        {"username": "mallory", "password": "secret"},
        {"username": "alice", "password": ""},
    ],
)
def test_login_with_bad_credentials_is_401(
    demo_server: DemoServer, credentials: dict[str, str]
) -> None:
    reply = call(demo_server.url, "POST", "/api/login", body=credentials)
    assert reply.status == 401
    assert "token" not in reply.json()


@pytest.mark.parametrize(
    "raw", [b"not json", b"[1, 2]", b'{"username": 1, "password": "x"}', b"{}"]
)
def test_login_with_malformed_body_is_422(demo_server: DemoServer, raw: bytes) -> None:
    assert call(demo_server.url, "POST", "/api/login", raw=raw).status == 422


def test_login_rejects_get(demo_server: DemoServer) -> None:
    assert call(demo_server.url, "GET", "/api/login").status == 405


def test_products_pages(demo_server: DemoServer) -> None:
    first = call(demo_server.url, "GET", "/api/products").json()
    assert first["page"] == 1 and first["page_size"] == 20 and first["total"] == PRODUCT_COUNT
    assert [p["id"] for p in first["items"]] == list(range(1, 21))
    second = call(demo_server.url, "GET", "/api/products?page=2&page_size=5").json()
    assert [p["id"] for p in second["items"]] == list(range(6, 11))
    product = second["items"][0]
    assert set(product) == {"id", "name", "category", "description", "price_cents", "stock"}
    past_end = call(demo_server.url, "GET", "/api/products?page=1000").json()
    assert past_end["items"] == []


@pytest.mark.parametrize(
    "query", ["page=0", "page=abc", f"page_size={MAX_PAGE_SIZE + 1}", "page_size=0"]
)
def test_products_invalid_paging_is_422(demo_server: DemoServer, query: str) -> None:
    reply = call(demo_server.url, "GET", f"/api/products?{query}")
    assert reply.status == 422
    assert "detail" in reply.json()


def test_product_detail_and_404(demo_server: DemoServer) -> None:
    listed = call(demo_server.url, "GET", "/api/products?page=1&page_size=3").json()["items"][2]
    detail = call(demo_server.url, "GET", f"/api/products/{listed['id']}")
    assert detail.status == 200
    assert detail.json() == listed
    assert call(demo_server.url, "GET", f"/api/products/{PRODUCT_COUNT + 1}").status == 404
    assert call(demo_server.url, "GET", "/api/products/not-a-number").status == 404


def test_catalogue_is_deterministic(demo_server: DemoServer) -> None:
    with DemoServer() as other:
        for path in ("/api/products?page=3", "/api/products/42", "/api/reports/sales"):
            assert call(demo_server.url, "GET", path).json() == call(other.url, "GET", path).json()


def test_search(demo_server: DemoServer) -> None:
    reply = call(demo_server.url, "GET", "/api/products/search?q=lamp")
    assert reply.status == 200
    result = reply.json()
    assert result["query"] == "lamp"
    assert 0 < result["count"] == len(result["items"]) <= 50
    assert all("lamp" in p["name"].lower() for p in result["items"])
    assert call(demo_server.url, "GET", "/api/products/search?q=zzzz").json()["count"] == 0
    # LIKE wildcards in the query are literal characters, not patterns.
    assert call(demo_server.url, "GET", "/api/products/search?q=%25").json()["count"] == 0


def test_search_without_query_is_422(demo_server: DemoServer) -> None:
    assert call(demo_server.url, "GET", "/api/products/search").status == 422
    assert call(demo_server.url, "GET", "/api/products/search?q=%20").status == 422


def test_login_then_order_then_list_orders(demo_server: DemoServer) -> None:
    token = _login(demo_server.url, "carol", "password")
    before = call(demo_server.url, "GET", "/api/orders", token=token)
    assert before.status == 200
    product = call(demo_server.url, "GET", "/api/products/7").json()
    order_body = {"items": [{"product_id": 7, "quantity": 2}, {"product_id": 8}]}
    created = call(demo_server.url, "POST", "/api/orders", body=order_body, token=token)
    assert created.status == 201
    order = created.json()
    assert order["items"][0] == {
        "product_id": 7,
        "quantity": 2,
        "unit_price_cents": product["price_cents"],
    }
    assert order["items"][1]["quantity"] == 1
    assert order["total_cents"] == sum(
        i["quantity"] * i["unit_price_cents"] for i in order["items"]
    )
    after = call(demo_server.url, "GET", "/api/orders", token=token).json()["orders"]
    assert after[0]["id"] == order["id"]
    assert after[0]["total_cents"] == order["total_cents"]
    assert after[0]["units"] == 3


@pytest.mark.parametrize("token", [None, "not-a-real-token"])
def test_orders_require_a_valid_token(demo_server: DemoServer, token: str | None) -> None:
    body = {"items": [{"product_id": 1, "quantity": 1}]}
    assert call(demo_server.url, "POST", "/api/orders", body=body, token=token).status == 401
    assert call(demo_server.url, "GET", "/api/orders", token=token).status == 401


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"items": []},
        {"items": [{"product_id": "1"}]},
        {"items": [{"product_id": 1, "quantity": 0}]},
        {"items": [{"product_id": 1, "quantity": 11}]},
        {"items": [{"product_id": PRODUCT_COUNT + 5, "quantity": 1}]},
        {"items": ["x"]},
    ],
)
def test_invalid_orders_are_422(demo_server: DemoServer, body: dict[str, object]) -> None:
    token = _login(demo_server.url)
    assert call(demo_server.url, "POST", "/api/orders", body=body, token=token).status == 422


def test_calc(demo_server: DemoServer) -> None:
    reply = call(demo_server.url, "POST", "/api/calc", body={"numbers": [2, 4, 4, 4, 5, 5, 7, 9]})
    assert reply.status == 200
    stats = reply.json()
    assert stats["count"] == 8 and stats["sum"] == 40 and stats["mean"] == 5
    assert stats["min"] == 2 and stats["max"] == 9
    assert stats["stdev"] == pytest.approx(2.138, abs=1e-3)
    single = call(demo_server.url, "POST", "/api/calc", body={"numbers": [1.5]}).json()
    assert single["stdev"] == 0.0 and single["mean"] == 1.5


@pytest.mark.parametrize(
    "body",
    [{}, {"numbers": []}, {"numbers": [1, "2"]}, {"numbers": [True]}, {"numbers": 3}],
)
def test_calc_validates_input(demo_server: DemoServer, body: dict[str, object]) -> None:
    reply = call(demo_server.url, "POST", "/api/calc", body=body)
    assert reply.status == 422
    assert "numbers" in reply.json()["detail"]


def test_sales_report(demo_server: DemoServer) -> None:
    started = time.perf_counter()
    reply = call(demo_server.url, "GET", "/api/reports/sales")
    elapsed_s = time.perf_counter() - started
    assert reply.status == 200
    report = reply.json()
    assert report["orders"] >= 3000 and report["revenue_cents"] > 0
    assert sum(c["revenue_cents"] for c in report["by_category"]) == report["revenue_cents"]
    assert len(report["top_products"]) == 10
    assert set(report["order_value_cents"]) == {"p50", "p90", "p99", "mean"}
    assert len(report["daily_revenue_cents"]) == 30
    assert elapsed_s < 2.0  # heavier than the rest, but not pathological


def test_unknown_route_is_404(demo_server: DemoServer) -> None:
    assert call(demo_server.url, "GET", "/api/nope").status == 404
