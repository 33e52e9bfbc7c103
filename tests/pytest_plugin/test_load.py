"""`surge_load` runs real load tests through the runner against a real FastAPI app under uvicorn
(served for the test by `surge_serve` / `surge.testing.serve`), asserting p95 and the error
rate; `assert_ok()` fails with the verdict table."""

from __future__ import annotations

import os
import urllib.error
import urllib.request

import pytest

from surge.testing import ServeError, serve

FASTAPI_APP = """
import asyncio

from fastapi import FastAPI

app = FastAPI()
served = {"items": 0}


@app.get("/items/{item_id}")
async def item(item_id: int):
    served["items"] += 1
    await asyncio.sleep(0.001)
    return {"id": item_id, "name": f"item {item_id}"}


@app.get("/broken")
async def broken():
    raise RuntimeError("boom")
"""

LOAD_TESTS = """
import pytest
from shop import app, served


def test_items_hold_their_sla(surge_load, surge_serve):
    server = surge_serve(app)
    result = surge_load(server.url + "/items/7", users=4, requests_per_user=25,
                        thresholds=["p95<500ms", "error_rate<1%"], allow_saturated=True)
    result.assert_ok()
    assert result.requests == 100 == served["items"]
    assert result.error_rate == 0 and 0 < result.p95_ms < 500


def test_broken_endpoint_fails_with_the_verdicts(surge_load, surge_serve):
    server = surge_serve(app)
    result = surge_load(server.url + "/broken", users=2, requests_per_user=10,
                        thresholds=["error_rate<1%"], allow_saturated=True)
    assert result.error_rate == 1.0
    result.assert_ok()
"""


def test_load_tests_against_fastapi_under_uvicorn(
    pytester: pytest.Pytester, fast: tuple[str, ...]
) -> None:
    pytester.makepyfile(shop=FASTAPI_APP, test_load=LOAD_TESTS)
    pytester.syspathinsert()
    result = pytester.runpytest(*fast, "--junitxml=junit.xml")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*AssertionError: run 'test_broken_endpoint_fails_with_the_verdicts' against *: "
            "FAILED (exit 3: no request succeeded)",
            "*threshold*on*observed*verdict*",
            "*error_rate<1%*all requests*100.00%*FAIL*",
            "*20 requests, 20 failed (100.00%)*",
            "*surge load tests*",
            "*Load test*Requests*Failures*P95 (ms)*Verdict*",
            "*test_items_hold_their_sla*100*0 (0.00%)*passed*",
        ]
    )
    junit = (pytester.path / "junit.xml").read_text()
    assert 'name="surge_p95_ms"' in junit and 'name="surge_error_rate"' in junit


def test_serve_wsgi_and_an_import_string(pytester: pytest.Pytester) -> None:
    def wsgi(environ, start_response):  # type: ignore[no-untyped-def]
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [environ["PATH_INFO"].encode()]

    with serve(wsgi) as server, urllib.request.urlopen(server.url + "/hello") as response:
        assert response.read() == b"/hello"
        assert server.pid == os.getpid()  # an app object is served on a thread of this process
    pytester.makepyfile(shop=FASTAPI_APP)
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(pytester.path)
        with serve("shop:app") as child:
            assert child.pid != os.getpid()
            with urllib.request.urlopen(child.url + "/items/3", timeout=10) as response:
                assert b'"name":"item 3"' in response.read()
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(child.url + "/items/3", timeout=2)


def test_serve_reports_an_app_that_cannot_start(pytester: pytest.Pytester) -> None:
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(pytester.path)
        failed = pytest.raises(ServeError, match=r"(?s)did not start.*No module named 'nowhere'")
        with failed, serve("nowhere:app"):
            pass
