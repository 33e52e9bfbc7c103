"""The session's hot path (a verb with a path alone) against the general one: the same requests
on the wire and the same results, whatever changes between two calls."""

from __future__ import annotations

from engine.conftest import TestServer
from engine.loads import names, run
from surge.engine.http import Session
from surge.metrics.recorder import Recorder


def _sent(echo: dict[str, object]) -> dict[str, str]:
    pairs = echo["raw_headers"]
    assert isinstance(pairs, list)
    return {k.lower(): v for k, v in pairs}


def test_default_headers_changed_between_calls_are_sent(fresh: TestServer) -> None:
    async def main() -> None:
        async with Session(fresh.url(""), Recorder()) as http:
            assert "x-team" not in _sent((await http.get("/echo")).json())
            http.headers["X-Team"] = "blue"
            assert _sent((await http.get("/echo")).json())["x-team"] == "blue"
            http.headers.update({"X-Team": "red"})
            assert _sent((await http.get("/echo")).json())["x-team"] == "red"
            del http.headers["X-Team"]
            assert "x-team" not in _sent((await http.get("/echo")).json())
            http.headers.setdefault("X-Team", "green")
            assert _sent((await http.get("/echo")).json())["x-team"] == "green"

    run(main())
    assert fresh.connections == 1  # all of it on one keep-alive connection


def test_a_head_split_over_two_reads_keeps_every_header(fresh: TestServer) -> None:
    async def main() -> None:
        async with Session(fresh.url(""), Recorder()) as http:
            for _ in range(2):  # the general path, then the hot path
                r = await http.get("/split-head")
                assert r.ok and r.content == b"ok"
                assert r.headers["x-first"] == "1"
                assert r.headers["set-cookie"] == "split=yes; Path=/"
            assert http.cookies.get("split") == "yes"
            assert (await http.get("/cookies")).json() == {"cookie": "split=yes"}

    run(main())


def test_interim_responses_are_not_the_headers(fresh: TestServer) -> None:
    async def main() -> None:
        async with Session(fresh.url(""), Recorder()) as http:
            for _ in range(2):
                hinted = await http.get("/early-hints")
                assert hinted.status == 200 and hinted.text == "hinted"
                assert "link" not in hinted.headers  # the 103's header
                continued = await http.get("/continue")
                assert continued.status == 200 and continued.text == "continued"

    run(main())


def test_redirects_on_the_hot_path_are_followed_and_counted_once(fresh: TestServer) -> None:
    recorder = Recorder()

    async def main() -> None:
        async with Session(fresh.url(""), recorder) as http:
            for _ in range(3):
                r = await http.get("/redirect/2")
                assert r.status == 200 and r.text == "landed" and r.url.endswith("/redirect/0")

    run(main())
    assert names(recorder) == {("GET", "/redirect/{id}"): 3}  # named by template
    assert fresh.requests["/redirect/0"] == 3
