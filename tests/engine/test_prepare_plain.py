"""A path never requested before, with nothing but the session's defaults, takes the short way
(the request line before a kept header block): its bytes are exactly what the general way
(`prepare`) builds, whatever the base URL, method, path and default headers."""

from __future__ import annotations

import pytest

from surge.engine.http.hops import resolve
from surge.engine.http.preparing import CACHE_MAX, SHARED_MAX, shared_requests
from surge.engine.http.request import prepare
from surge.engine.http.session import Session
from surge.metrics.recorder import Recorder

PATHS = (
    "/",
    "/api/items/123?v=123",
    "/a?b?c",
    "/a?",
    "/a#fragment",
    "/a?x=1#f",
    "//double",
    "/caf%C3%A9/%20space",
)


@pytest.mark.parametrize("base", ["http://127.0.0.1:8080", "http://h.test/api/", "https://h.test"])
@pytest.mark.parametrize("method", ["GET", "POST", "HEAD", "DELETE"])
def test_the_short_way_builds_the_same_bytes(base: str, method: str) -> None:
    session = Session(base, Recorder())
    session.headers["Accept"] = "application/json"
    session.headers["Authorization"] = "Bearer t0k3n"
    for path in PATHS:
        short = session._preparer.plain(method, path, None)
        assert short is not None, path
        url = resolve(session.base_url, path)
        general = prepare(
            method, url, [], None, None, session.headers, session.cookies, short.endpoint
        )  # fmt: skip
        assert short == general, path
        assert session._preparer.fresh(method, path) == general, path  # shared with the run
        assert Session(base, session._recorder)._preparer.fresh(method, path) != general, path


def test_a_change_of_the_defaults_is_in_the_next_request() -> None:
    session = Session("http://127.0.0.1:8080", Recorder())
    first = session._preparer.plain("GET", "/a/1", None)
    session.headers["X-Trace"] = "on"
    second = session._preparer.plain("GET", "/a/2", None)
    assert first is not None and second is not None
    assert b"X-Trace" not in first.wire and b"X-Trace: on\r\n" in second.wire
    assert second.version == session.headers.version  # type: ignore[attr-defined]


@pytest.mark.parametrize("path", ["http://other.test/x", "relative", "?q=1", "", "/a\r\nX: y"])
def test_other_paths_take_the_general_way(path: str) -> None:
    assert Session("http://127.0.0.1:8080", Recorder())._preparer.plain("GET", path, None) is None


def test_users_of_one_run_share_a_url_one_of_them_prepared() -> None:
    recorder = Recorder()
    first, second = Session("http://h.test/api", recorder), Session("http://h.test/api", recorder)
    prep = first._preparer.fresh("GET", "/items/7?v=7")
    assert second._preparer.fresh("GET", "/items/7?v=7") is prep  # not prepared again
    general = prepare(
        "GET", "http://h.test/api/items/7?v=7", [], None, None, second.headers, second.cookies,
        prep.endpoint,
    )  # fmt: skip
    assert prep == general
    assert second._preparer.fresh("DELETE", "/items/7?v=7").wire.startswith(b"DELETE ")


def test_users_with_other_headers_or_another_run_prepare_their_own() -> None:
    recorder = Recorder()
    plain, signed = Session("http://h.test", recorder), Session("http://h.test", recorder)
    signed.headers["Authorization"] = "Bearer own"
    prep = plain._preparer.fresh("GET", "/a/1")
    theirs = signed._preparer.fresh("GET", "/a/1")
    assert theirs is not prep and b"Authorization: Bearer own\r\n" in theirs.wire
    other_run = Session("http://h.test", Recorder())._preparer.fresh("GET", "/a/1")
    assert other_run is not prep and other_run.endpoint is not prep.endpoint
    # the same headers set again (another version) are not confused with the first ones
    signed.headers["Authorization"] = "Bearer own"
    again = signed._preparer.fresh("GET", "/a/1")
    assert again is not theirs and again.version == signed.headers.version


def test_the_shared_requests_stay_bounded_whatever_the_number_of_urls() -> None:
    recorder = Recorder()
    users = [Session("http://h.test", recorder) for _ in range(3)]
    for k in range(SHARED_MAX + 1000):
        prep = users[k % 3]._preparer.fresh("GET", f"/api/items/{k}?v={k}")
        assert prep.wire.startswith(f"GET /api/items/{k}?v={k} HTTP/1.1\r\n".encode())
    shared = shared_requests(recorder).requests
    assert len(shared) == SHARED_MAX  # the oldest forgotten one at a time, not all at once
    paths = [path for _, path, _ in shared]
    assert paths[0] == "/api/items/1000?v=1000" and paths[-1] == f"/api/items/{k}?v={k}"
    assert all(len(user._preparer.cache) <= CACHE_MAX for user in users)
    assert len(recorder._by_target) == 16_384  # the memo of targets named: bounded too


def test_users_share_a_named_request_too() -> None:
    """`get(path, name=...)` with nothing else is as plain as a bare path: the users of a run
    share it (a burst of pooled users over 20 named endpoints prepared 20 each before), under
    its name, apart from the same path without one."""
    recorder = Recorder()
    first, second = Session("http://h.test", recorder), Session("http://h.test", recorder)
    named = first._preparer.prepare("GET", "/ok?e=3", None, None, None, None, "/e03")
    assert second._preparer.prepare("GET", "/ok?e=3", None, None, None, None, "/e03") is named
    assert named.endpoint is recorder.endpoint("GET", "/e03")
    assert named.wire.startswith(b"GET /ok?e=3 HTTP/1.1\r\n")
    unnamed = second._preparer.fresh("GET", "/ok?e=3")
    assert unnamed is not named and unnamed.endpoint is not named.endpoint
    assert unnamed.wire == named.wire
    other = second._preparer.prepare("GET", "/ok?e=3", None, None, None, None, "/other")
    assert other is not named and other.endpoint is recorder.endpoint("GET", "/other")
    assert second._preparer.cache[("GET", "/ok?e=3", "/e03")] is named  # the user's own lookup
