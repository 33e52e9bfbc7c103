"""The scripted HTTP client against a real loopback server."""

from __future__ import annotations

import asyncio
import base64
import gc
import time

import pytest
import uvloop

from engine.conftest import TestServer
from engine.loads import names, run, totals
from servers import FIXED_BODY, closed_port
from surge.engine.http import ClientConfig, HttpStatusError, Session, classify_error
from surge.engine.http.request import basic_auth
from surge.metrics.errors import ErrorKind
from surge.metrics.recorder import Recorder


def _session(
    srv: TestServer, config: ClientConfig | None = None, tls: bool = False
) -> tuple[Session, Recorder]:
    recorder = Recorder()
    base = srv.tls_url("") if tls else srv.url("")
    return Session(base, recorder, config or ClientConfig()), recorder


def test_keep_alive_reuses_one_connection(fresh: TestServer) -> None:
    async def main() -> None:
        http, _ = _session(fresh)
        for _ in range(20):
            r = await http.get("/fixed")
            assert r.status == 200 and r.content == FIXED_BODY
        await http.close()

    run(main())
    assert fresh.requests["/fixed"] == 20
    assert fresh.connections == 1


def test_bodies_content_length_chunked_and_until_close(fresh: TestServer) -> None:
    async def main() -> None:
        http, recorder = _session(fresh)
        assert (await http.get("/chunked-abc")).content == b"abcdefg" + b"h" * 300
        r = await http.get("/until-close")
        assert r.text == "until the end"
        assert (await http.get("/fixed")).text == FIXED_BODY.decode()
        head = await http.head("/fixed")
        assert head.status == 200 and head.content == b""
        assert (await http.get("/fixed")).ok  # the connection survived the HEAD
        await http.close()
        assert totals(recorder) == {"ok": 5, "fail": 0, "incomplete": 0}

    run(main())


def test_gzip_and_deflate_decoded_when_read(fresh: TestServer) -> None:
    async def main() -> None:
        http, _ = _session(fresh)
        for path in ("/gzip", "/deflate"):
            r = await http.get(path)
            assert r.headers["content-encoding"] == path[1:]
            assert r.json()["compressed"] is True
        echo = (await http.get("/echo")).json()
        sent = {k.lower(): v for k, v in echo["raw_headers"]}
        assert sent["accept-encoding"] == "gzip, deflate"
        await http.close()

    run(main())


def test_cookies_are_per_user(fresh: TestServer) -> None:
    async def main() -> None:
        alice, _ = _session(fresh)
        bob, _ = _session(fresh)
        await alice.get("/set-cookie?sid=alice")
        await bob.get("/set-cookie?sid=bob")
        await alice.get("/set-cookie?theme=dark")
        assert (await alice.get("/cookies")).json()["cookie"] == "sid=alice; theme=dark"
        assert (await bob.get("/cookies")).json()["cookie"] == "sid=bob"
        await alice.get("/set-cookie-expired?sid")
        assert (await alice.get("/cookies")).json()["cookie"] == "theme=dark"
        assert alice.cookies.get("theme") == "dark"
        await alice.close()
        await bob.close()

    run(main())


def test_default_headers_bearer_token_flow(fresh: TestServer) -> None:
    async def main() -> None:
        http, _ = _session(fresh)
        login = await http.post("/echo", json={"user": "u", "password": "p"})
        assert login.json()["body"] == '{"user":"u","password":"p"}'
        http.headers["Authorization"] = "Bearer t0k3n"
        for _ in range(3):
            echo = (await http.get("/echo", params={"page": 2})).json()
            sent = {k.lower(): v for k, v in echo["raw_headers"]}
            assert sent["authorization"] == "Bearer t0k3n"
            assert echo["query_string"] == "page=2"
        override = await http.get("/echo", headers={"authorization": "Basic x"})
        sent = {k.lower(): v for k, v in override.json()["raw_headers"]}
        assert sent["authorization"] == "Basic x"
        await http.close()

    run(main())


def test_request_bodies_and_names(fresh: TestServer) -> None:
    async def main() -> Recorder:
        http, recorder = _session(fresh)
        form = (await http.post("/echo", data={"a": "1", "b": "x y"})).json()
        hdrs = {k.lower(): v for k, v in form["raw_headers"]}
        assert form["body"] == "a=1&b=x+y"
        assert hdrs["content-type"] == "application/x-www-form-urlencoded"
        assert (await http.put("/echo", data=b"\x01raw")).json()["method"] == "PUT"
        assert (await http.patch("/echo?x=1", data="txt")).json()["body"] == "txt"
        assert (await http.delete("/echo")).ok
        assert (await http.options("/echo")).ok
        await http.get("/echo?id=1")
        await http.get("/echo?id=2", name="echo by id")
        await http.get(fresh.url("/fixed"))  # an absolute URL
        await http.close()
        return recorder

    recorder = run(main())
    counts = names(recorder)
    assert counts[("GET", "/echo")] == 1
    assert counts[("GET", "echo by id")] == 1
    assert counts[("PATCH", "/echo")] == 1
    assert counts[("GET", "/fixed")] == 1
    with pytest.raises(ValueError, match="json= or data="):
        run(Session(fresh.url(""), Recorder()).post("/echo", json={}, data=b""))


def test_status_500_is_recorded_but_returned(fresh: TestServer) -> None:
    async def main() -> Recorder:
        http, recorder = _session(fresh)
        r = await http.get("/status/500")
        assert r.status == 500 and not r.ok and r.error == "http_status"
        assert r.text == "status body"
        with pytest.raises(HttpStatusError, match="HTTP 500"):
            r.raise_for_status()
        (await http.get("/fixed")).raise_for_status()
        await http.close()
        return recorder

    recorder = run(main())
    assert totals(recorder) == {"ok": 1, "fail": 1, "incomplete": 0, "http_status": 1}


def test_redirects_followed_for_get_and_off_on_request(fresh: TestServer) -> None:
    async def main() -> Recorder:
        http, recorder = _session(fresh)
        r = await http.get("/redirect/3")
        assert r.status == 200 and r.url.endswith("/redirect/0") and r.text == "landed"
        off = await http.get("/redirect/3", follow_redirects=False)
        assert off.status == 302 and off.headers["location"] == "/redirect/2"
        post = await http.post("/redirect-307/1", data=b"x")
        assert post.status == 307
        post = await http.post("/redirect-307/1", data=b"x", follow_redirects=True)
        assert post.status == 200
        loop = await http.get("/redirect-loop")
        assert loop.error == "protocol" and "redirects" in (loop.error_message or "")
        await http.close()
        return recorder

    recorder = run(main())
    assert fresh.requests["/redirect/0"] == 1
    counts = names(recorder)
    assert counts[("GET", "/redirect/{id}")] == 2  # the chain is one request
    assert counts[("POST", "/redirect-307/{id}")] == 2


@pytest.mark.parametrize(
    ("path", "kind"),
    [("/reset-mid", "reset"), ("/garbage", "protocol"), ("/close", None)],
)
def test_misbehaving_server_classified(fresh: TestServer, path: str, kind: str | None) -> None:
    async def main() -> None:
        http, recorder = _session(fresh)
        r = await http.get(path)
        assert r.error == kind, r.error_message
        assert (await http.get("/fixed")).ok  # the user carries on with a fresh connection
        await http.close()
        expected = {"ok": 2 if kind is None else 1, "fail": 0 if kind is None else 1}
        if kind is not None:
            expected[kind] = 1
        assert totals(recorder) == {**expected, "incomplete": 0}

    run(main())


def test_dns_and_refused() -> None:
    async def main() -> None:
        dns = await Session("http://nonexistent.invalid", Recorder()).get("/")
        assert dns.error == "dns" and dns.status == 0 and not dns.ok
        port = closed_port()
        refused = await Session(f"http://127.0.0.1:{port}", Recorder()).get("/")
        assert refused.error == "refused", refused.error_message

    run(main())


@pytest.mark.parametrize("path", ["/hang", "/stall-body"])
def test_read_timeout_fires_at_its_value(fresh: TestServer, path: str) -> None:
    async def main() -> None:
        config = ClientConfig(read_timeout_s=0.3, total_timeout_s=5)
        http, _ = _session(fresh, config)
        t = time.perf_counter()
        r = await http.get(path)
        took = time.perf_counter() - t
        assert r.error == "timeout" and "read timeout" in (r.error_message or "")
        assert 0.25 <= took < 2.0
        assert 0.25 <= r.elapsed.total_seconds() < 2.0
        await http.close()

    run(main())


def test_total_timeout_and_per_request_timeout(fresh: TestServer) -> None:
    async def main() -> None:
        http, _ = _session(fresh, ClientConfig(total_timeout_s=0.3))
        r = await http.get("/delay?ms=2000")
        assert r.error == "timeout" and 0.25 <= r.elapsed.total_seconds() < 2.0
        quick = await http.get("/delay?ms=2000", timeout_s=0.1)
        assert quick.error == "timeout" and quick.elapsed.total_seconds() < 1.0
        assert (await http.get("/delay?ms=10")).ok
        await http.close()

    run(main())


def test_stale_keep_alive_is_retried_once(fresh: TestServer) -> None:
    async def main() -> Recorder:
        http, recorder = _session(fresh)
        assert (await http.get("/drop-idle")).ok
        await asyncio.sleep(0.15)  # the server has closed the idle connection
        assert (await http.get("/fixed")).ok
        await http.close()
        return recorder

    recorder = run(main())
    assert totals(recorder) == {"ok": 2, "fail": 0, "incomplete": 0}


def test_server_closing_reused_connection_is_retried_once(fresh: TestServer) -> None:
    async def main() -> Recorder:
        http, recorder = _session(fresh)
        for _ in range(3):
            assert (await http.get("/one-per-connection")).ok
        await http.close()
        return recorder

    recorder = run(main())
    assert totals(recorder) == {"ok": 3, "fail": 0, "incomplete": 0}
    assert fresh.requests["/one-per-connection"] == 5 and fresh.connections == 3


def test_cancelled_request_is_incomplete(fresh: TestServer) -> None:
    async def main() -> Recorder:
        http, recorder = _session(fresh)
        task = asyncio.ensure_future(http.get("/hang"))
        await asyncio.sleep(0.1)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await http.close()
        return recorder

    assert totals(run(main())) == {"ok": 0, "fail": 0, "incomplete": 1}


def test_tls_verification_on_by_default(fresh: TestServer, ca_file: str) -> None:
    async def main() -> None:
        strict, recorder = _session(fresh, tls=True)
        r = await strict.get("/fixed")
        assert r.error == "tls", r.error_message
        insecure, _ = _session(fresh, ClientConfig(insecure=True), tls=True)
        assert (await insecure.get("/fixed")).content == FIXED_BODY
        trusted, _ = _session(fresh, ClientConfig(ca_file=ca_file), tls=True)
        for _ in range(3):
            assert (await trusted.get("/chunked-abc")).ok
        for s in (strict, insecure, trusted):
            await s.close()
        assert totals(recorder)["tls"] == 1

    run(main())


def test_classify_error_table() -> None:
    import socket
    import ssl

    import httptools

    assert classify_error(socket.gaierror(-2, "x")) is ErrorKind.DNS
    assert classify_error(ConnectionRefusedError()) is ErrorKind.REFUSED
    assert classify_error(ConnectionResetError()) is ErrorKind.RESET
    assert classify_error(BrokenPipeError()) is ErrorKind.RESET
    assert classify_error(TimeoutError()) is ErrorKind.TIMEOUT
    assert classify_error(ssl.SSLCertVerificationError()) is ErrorKind.TLS
    assert classify_error(httptools.HttpParserError()) is ErrorKind.PROTOCOL
    assert classify_error(OSError(113, "No route to host")) is ErrorKind.OTHER
    multiple = OSError("Multiple exceptions: [Errno 111] a, [Errno 111] b")
    assert classify_error(multiple) is ErrorKind.REFUSED


def test_on_uvloop_the_production_loop(fresh: TestServer, ca_file: str) -> None:
    async def main() -> Recorder:
        http, recorder = _session(fresh)
        for path in ("/fixed", "/chunked-abc", "/gzip", "/fixed"):
            assert (await http.get(path)).ok
        assert (await http.get("/garbage")).error == "protocol"
        trusted, _ = _session(fresh, ClientConfig(ca_file=ca_file), tls=True)
        assert (await trusted.get("/fixed")).content == FIXED_BODY
        refused = Session(f"http://127.0.0.1:{closed_port()}", recorder)
        assert (await refused.get("/")).error == "refused"
        for s in (http, trusted, refused):
            await s.close()
        return recorder

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        recorder = runner.run(main())
    assert totals(recorder) == {"ok": 4, "fail": 2, "incomplete": 0, "protocol": 1, "refused": 1}


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://alice:s3cret-pw@h/x", "Basic YWxpY2U6czNjcmV0LXB3"),
        ("http://al%40ce:p%3Ass@h/", "Basic " + base64.b64encode(b"al@ce:p:ss").decode()),
        ("http://alice@h/", "Basic " + base64.b64encode(b"alice:").decode()),
        ("http://h/x?email=a@b", None),
        ("http://h/x", None),
    ],
)
def test_url_credentials_become_basic_auth(url: str, expected: str | None) -> None:
    assert basic_auth(url) == expected


def test_a_closed_connection_is_freed_without_the_garbage_collector(fresh: TestServer) -> None:
    """A run freezes start-up's objects and its full collections are rare: a connection whose
    parser's callbacks still pointed back at it (a cycle) stayed in memory until one came, so
    every connection a long run closed crept up its memory. Closed, it goes by reference count
    alone (the collector off here)."""

    def alive() -> int:
        return sum(1 for o in gc.get_objects() if type(o).__name__ == "SessionConnection")

    async def main() -> int:
        before = alive()
        for _ in range(20):
            http, _ = _session(fresh)
            assert (await http.get("/fixed")).status == 200
            await http.close()
        await asyncio.sleep(0.05)  # the transports' close callbacks
        return alive() - before

    gc.collect()
    gc.disable()
    try:
        left = run(main())
    finally:
        gc.enable()
    assert fresh.connections == 20
    assert left == 0, f"{left} closed connections still in memory"
