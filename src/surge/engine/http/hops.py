"""Between the hops of one scripted request: the URL it goes to, where a redirect goes, the
cookies a response sets, and the response of a request that failed (recorded at the instant a
timeout expired)."""

from __future__ import annotations

import asyncio
from time import perf_counter_ns
from urllib.parse import urljoin

from surge.engine.http.classify import classify_error, describe_error
from surge.engine.http.cookies import CookieJar
from surge.engine.http.exchange import SessionConnection
from surge.engine.http.request import Prepared, prepare, split_url_cached
from surge.engine.http.response import Headers, HttpResponse
from surge.engine.http.stream import StreamBody

REDIRECTS = frozenset({301, 302, 303, 307, 308})
_ABSOLUTE = ("http://", "https://")


def resolve(base_url: str, path: str) -> str:
    """The URL a scripted request for `path` goes to (`path` may be absolute)."""
    if path.lower().startswith(_ABSOLUTE):
        return path
    if not path:
        return base_url
    base = base_url.rstrip("/")
    return base + path if path.startswith(("/", "?")) else f"{base}/{path}"


def redirected(
    prep: Prepared,
    status: int,
    location: str,
    first_host: str,
    defaults: dict[str, str],
    jar: CookieJar,
) -> Prepared:
    """The next hop of a redirect: 303 (and 301/302 after POST) become a body-less GET;
    Authorization and the caller's Cookie stay behind when it leaves the first host."""
    method, body, content_type = prep.method, prep.body, prep.content_type
    if (status == 303 and method != "HEAD") or (status in (301, 302) and method == "POST"):
        method, body, content_type = "GET", None, None
    extra = prep.extra
    if body is None:
        extra = [(k, v) for k, v in extra if k.lower() != "content-type"]
    url = urljoin(prep.url, location)
    strip_auth = split_url_cached(url)[0].host != first_host
    return prepare(
        method, url, extra, body, content_type, defaults, jar, prep.endpoint, strip_auth=strip_auth
    )


def store_cookies(jar: CookieJar, prep: Prepared, headers: Headers) -> None:
    """Keep (or expire) the cookies a response to `prep` sets."""
    values = headers.get_all("set-cookie")
    if values:
        origin, target = split_url_cached(prep.url)
        jar.set_from_response(values, origin.host, target)


def error_response(
    prep: Prepared,
    exc: Exception,
    t0: int,
    nbytes: int,
    status: int = 0,
    headers: Headers | None = None,
) -> HttpResponse:
    """The response of a request that failed with `exc`; a timeout's elapsed time ends when
    it expired, not when the task saw it."""
    at_ns = getattr(exc, "at_ns", None)
    elapsed_ns = (at_ns if at_ns is not None else perf_counter_ns()) - t0
    kind, message = classify_error(exc), describe_error(exc)
    response = HttpResponse(
        prep.method, prep.url, status, headers, None, elapsed_ns, kind, message, prep.endpoint
    )
    response.nbytes = nbytes
    return response


async def await_exchange(
    conn: SessionConnection,
    wire: bytes,
    t0: int,
    head: bool,
    total_ns: int,
    stream: StreamBody | None = None,
) -> BaseException | None:
    """One exchange on `conn`; a cancelled one drops the connection (it cannot be reused)."""
    try:
        return await conn.exchange(wire, t0, head, total_ns, stream)
    except asyncio.CancelledError:
        conn.abort()
        raise
