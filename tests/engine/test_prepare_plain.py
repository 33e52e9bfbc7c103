"""A path never requested before, with nothing but the session's defaults, takes the short way
(the request line before a kept header block): its bytes are exactly what the general way
(`prepare`) builds, whatever the base URL, method, path and default headers."""

from __future__ import annotations

import pytest

from surge.engine.http.hops import resolve
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
