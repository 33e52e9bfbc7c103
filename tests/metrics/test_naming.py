"""Endpoint names: the templating rules, the recorder's cache and cap, and the merged cap of the
aggregator (exact: every request counted once, under its name or `(other)`)."""

from __future__ import annotations

import pytest

from surge.metrics import Aggregator, Recorder
from surge.metrics.errors import ErrorKind
from surge.metrics.naming import OTHER, SCRIPT_METHOD, Naming, default_name, template_path


@pytest.mark.parametrize(
    ("target", "name"),
    [
        ("/api/orders/123?x=1", "/api/orders/{id}"),
        ("/api/orders/456", "/api/orders/{id}"),
        ("/api/orders/123/items/7#top", "/api/orders/{id}/items/{id}"),
        ("/u/4f9c2a1e-8b7d-4c3e-9a6f-1d2e3f4a5b6c/avatar", "/u/{uuid}/avatar"),
        ("/u/4F9C2A1E-8B7D-4C3E-9A6F-1D2E3F4A5B6C", "/u/{uuid}"),
        ("/objects/507f1f77bcf86cd799439011", "/objects/{hex}"),
        ("/commits/3f786850e387550fdab836ed7e6dc881de23001b", "/commits/{hex}"),
        ("/reset/Zx9kQ2mP7vR4tL8wN3bYc5", "/reset/{token}"),
        ("/t/eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJl1", "/t/{token}"),
        ("/files/123.json", "/files/{id}.json"),
        ("http://127.0.0.1:8000/api/orders/9?page=2", "/api/orders/{id}"),
        ("https://cdn.example.com", "/"),
        ("?page=2", "/"),
        ("", "/"),
        ("items", "items"),
        # words, slugs, versions and short codes stay what they are
        ("/api/v2/orders", "/api/v2/orders"),
        ("/blog/2024-annual-report-final-v2", "/blog/2024-annual-report-final-v2"),
        ("/blog/bake-bread-at-home-in-10-steps", "/blog/bake-bread-at-home-in-10-steps"),
        ("/colors/deadbeef", "/colors/deadbeef"),
        ("/sku/a1b2c3", "/sku/a1b2c3"),
        ("/api//orders/", "/api//orders/"),
    ],
)
def test_template_path(target: str, name: str) -> None:
    assert template_path(target) == name


def test_without_templating_the_name_is_the_path() -> None:
    assert default_name("/api/orders/123?x=1", template=False) == "/api/orders/123"
    assert default_name("/api/orders/123?x=1", template=True) == "/api/orders/{id}"


def test_recorder_names_targets_once_and_keeps_the_answer() -> None:
    recorder = Recorder()
    first = recorder.endpoint_for("GET", "/orders/1?page=2")
    assert (first.method, first.name) == ("GET", "/orders/{id}")
    assert recorder.endpoint_for("GET", "/orders/2") is first
    assert recorder.endpoint_for("GET", "/orders/1?page=2") is first
    posted = recorder.endpoint_for("POST", "/orders/3")
    assert (posted.method, posted.name) == ("POST", "/orders/{id}")


def test_recorder_without_templating() -> None:
    recorder = Recorder(naming=Naming(template=False))
    assert recorder.endpoint_for("GET", "/orders/1?page=2").name == "/orders/1"


def test_names_after_the_cap_go_to_other_per_method() -> None:
    recorder = Recorder(naming=Naming(max_endpoints=3))
    kept = [recorder.endpoint("GET", f"/w/{c}") for c in "abc"]
    over = [recorder.endpoint("GET", f"/w/{c}") for c in "defg"]
    posted = recorder.endpoint("POST", "/w/h")
    assert {e.name for e in kept} == {"/w/a", "/w/b", "/w/c"}
    assert all(e is over[0] for e in over) and over[0].name == OTHER
    assert (posted.method, posted.name) == ("POST", OTHER)
    assert recorder.endpoint("GET", "/w/a") is kept[0]  # a kept name stays itself
    script = recorder.endpoint(SCRIPT_METHOD, "User.task")  # script errors are never capped
    assert script.name == "User.task"
    assert recorder.names_seen == 3 + 5  # a..c kept, d..g and POST /w/h over the cap
    for endpoint in (*kept, *over, posted, script):
        endpoint.ok(1000, 200, 10)
    snap = recorder.snapshot(0.0, 1.0, 1)
    assert snap.names_seen == 8
    counts = {e.key: e.requests for e in snap.endpoints}
    assert counts[("GET", OTHER)] == 4 and counts[("POST", OTHER)] == 1
    assert sum(counts.values()) == len(kept) + len(over) + 2


def test_the_merged_cap_keeps_every_request() -> None:
    """Two workers that each keep 3 names, 5 names in all: merged, 3 names and (other), the
    requests of every name counted exactly once (in the totals and in each second)."""
    workers = [Recorder(worker=w, naming=Naming(max_endpoints=3)) for w in range(2)]
    names = [["/a", "/b", "/c"], ["/c", "/d", "/e"]]
    for recorder, mine in zip(workers, names, strict=True):
        for i, name in enumerate(mine):
            endpoint = recorder.endpoint("GET", name)
            for _ in range(i + 1):
                endpoint.ok(2000, 200, 10)
            endpoint.fail(5000, ErrorKind.HTTP_STATUS, 500, 0, "HTTP 500")
    aggregator = Aggregator(max_endpoints=3)
    for recorder in workers:
        aggregator.add(recorder.snapshot(0.0, 1.0, 1))
    endpoints = {e.name: e for e in aggregator.endpoints()}
    assert len(endpoints) == 4 and OTHER in endpoints
    assert sum(e.requests for e in endpoints.values()) == 2 * (2 + 3 + 4)
    assert aggregator.total().requests == 18 and aggregator.total().failures == 6
    assert endpoints[OTHER].latency.total + endpoints[OTHER].failures == endpoints[OTHER].requests
    (interval,) = aggregator.intervals()
    assert {e.name for e in interval.endpoints} == set(endpoints)
    assert sum(e.requests for e in interval.endpoints) == 18
    assert aggregator.names_seen >= 5


def test_naming_rejects_a_cap_below_one() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Naming(max_endpoints=0)
