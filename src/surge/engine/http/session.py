"""The per-user HTTP session of scripted load: keep-alive pool, cookie jar, default headers.

Every call of `request` records exactly once into the recorder, under (method, name), with the
whole redirect chain counted as one request. Transport errors never raise: they come back as a
response whose `error` is set. Only a caller's own mistakes (an invalid header, json= and data=
together) raise ValueError, before anything is sent. A request cancelled while in flight (the run
ended) is counted with `EndpointRecorder.incomplete()`.

Checks (`checks=[...]`) are evaluated after the response arrives and before it is recorded, so
`fail_on_check=True` can turn a success into a failure of kind `check`.

In the open model (`open_model=True`) the engine calls `begin_iteration(intended_ns)` when an
arrival starts a task iteration: the first request recorded after it is timed from the intended
time (no coordinated omission), and every request records its service time and schedule lag.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from surge.engine.http.classify import (
    ConnectionClosedError,
    TooManyRedirectsError,
    classify_error,
    describe_error,
)
from surge.engine.http.config import ClientConfig
from surge.engine.http.connection import HttpConnection, RawResponse, open_connection
from surge.engine.http.cookies import CookieJar
from surge.engine.http.request import (
    USER_AGENT,
    Origin,
    add_params,
    build_request,
    encode_body,
    merge_headers,
    split_url_cached,
)
from surge.engine.http.response import Headers, HttpResponse, run_checks
from surge.metrics.errors import ErrorKind
from surge.metrics.recorder import EndpointRecorder, Recorder
from surge.scenario.checks import Check

if TYPE_CHECKING:
    from surge.scenario.protocols import HttpSession

_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_ABSOLUTE = ("http://", "https://")
_CLOSE_WAIT_S = 1.0
_CACHE_MAX = 256


class _Hop:
    """One request of a redirect chain, as it will go on the wire."""

    __slots__ = ("body", "content_type", "headers", "method", "url")

    def __init__(
        self,
        method: str,
        url: str,
        headers: list[tuple[str, str]],
        body: bytes | None,
        content_type: str | None,
    ) -> None:
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.content_type = content_type


class Session:
    """A virtual user's HTTP client (implements `surge.scenario.protocols.HttpSession`)."""

    def __init__(
        self,
        base_url: str,
        recorder: Recorder,
        config: ClientConfig | None = None,
        *,
        open_model: bool = False,
    ) -> None:
        self.base_url = base_url
        self.open_model = open_model
        self._intended_ns: int | None = None
        self.config = config if config is not None else ClientConfig()
        self.cookies = CookieJar()
        self._recorder = recorder
        self._headers: dict[str, str] = {}
        self._idle: dict[Origin, list[HttpConnection]] = {}
        self._live: set[HttpConnection] = set()
        self._endpoints: dict[tuple[str, str], EndpointRecorder] = {}
        self._names: dict[str, str] = {}
        # request bytes by (method, url, content type, cookie), valid while the default
        # headers equal the copy stored beside them: scripts repeat the same requests
        self._wire_cache: dict[
            tuple[str, str, str | None, str | None], tuple[dict[str, str], bytes]
        ] = {}
        self._closed = False

    @property
    def headers(self) -> dict[str, str]:
        """Default headers sent with every request of this user; later layers override them."""
        return self._headers

    def begin_iteration(self, intended_ns: int) -> None:
        """Open model: an arrival intended at `intended_ns` (perf_counter_ns) starts an iteration.

        The next request recorded is timed from `intended_ns` when that is earlier than its
        actual send; the requests after it in the iteration have no schedule lag.
        """
        self._intended_ns = intended_ns

    # -- public API ------------------------------------------------------------------------
    # The verb methods return `request`'s coroutine directly (no extra coroutine frame per call).
    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        json: Any = None,
        data: bytes | str | Mapping[str, Any] | None = None,
        name: str | None = None,
        follow_redirects: bool | None = None,
        timeout_s: float | None = None,
        checks: Sequence[Check] = (),
        fail_on_check: bool = False,
    ) -> HttpResponse:
        """Send one request (following redirects), evaluate `checks`, and record it once."""
        method = method.upper()
        url = add_params(self._resolve(path), params)
        body, content_type = encode_body(json, data)
        hop = _Hop(method, url, list((headers or {}).items()), body, content_type)
        prepared = self._prepare(hop, strip_auth=False)  # a caller's invalid input raises here
        endpoint = self._endpoint(method, name or self._name_of(path))
        follow = follow_redirects if follow_redirects is not None else method in ("GET", "HEAD")
        t0 = time.perf_counter_ns()
        try:
            response, nbytes = await self._send_chain(
                hop, prepared, follow, timeout_s, t0, endpoint
            )
        except asyncio.CancelledError:
            endpoint.incomplete()
            raise
        if checks:
            failed = run_checks(checks, response, endpoint)
            if failed is not None and fail_on_check and response.error_kind is None:
                response.error_kind = ErrorKind.CHECK
                response.error_message = "check failed: " + ", ".join(failed)
        if self.open_model:
            self._record_open(endpoint, response, nbytes, t0)
            return response
        latency_us = response.elapsed_ns // 1000
        if response.error_kind is None:
            endpoint.ok(latency_us, response.status, nbytes)
        else:
            message = response.error_message or ""
            endpoint.fail(latency_us, response.error_kind, response.status, nbytes, message)
        return response

    def _record_open(
        self, endpoint: EndpointRecorder, response: HttpResponse, nbytes: int, t0: int
    ) -> None:
        """Record with the latency from the iteration's intended time (first request only)."""
        intended_ns = self._intended_ns
        self._intended_ns = None
        lag_ns = t0 - intended_ns if intended_ns is not None and intended_ns < t0 else 0
        service_us = response.elapsed_ns // 1000
        latency_us = (response.elapsed_ns + lag_ns) // 1000
        if response.error_kind is None:
            endpoint.ok(latency_us, response.status, nbytes)
        else:
            message = response.error_message or ""
            endpoint.fail(latency_us, response.error_kind, response.status, nbytes, message)
        endpoint.timing(service_us, lag_ns // 1000)

    def get(self, path: str, **kwargs: Any) -> Coroutine[Any, Any, HttpResponse]:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Coroutine[Any, Any, HttpResponse]:
        return self.request("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> Coroutine[Any, Any, HttpResponse]:
        return self.request("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> Coroutine[Any, Any, HttpResponse]:
        return self.request("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Coroutine[Any, Any, HttpResponse]:
        return self.request("DELETE", path, **kwargs)

    def head(self, path: str, **kwargs: Any) -> Coroutine[Any, Any, HttpResponse]:
        return self.request("HEAD", path, **kwargs)

    def options(self, path: str, **kwargs: Any) -> Coroutine[Any, Any, HttpResponse]:
        return self.request("OPTIONS", path, **kwargs)

    async def close(self) -> None:
        """Close every connection of this user (waiting briefly for TLS shutdowns)."""
        self._closed = True
        self._idle.clear()
        live = list(self._live)
        for conn in live:
            conn.close()
        if live:
            await asyncio.wait([conn.lost for conn in live], timeout=_CLOSE_WAIT_S)
        for conn in live:
            if not conn.lost.done():
                conn.abort()

    async def __aenter__(self) -> Session:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # -- internals -------------------------------------------------------------------------
    def _resolve(self, path: str) -> str:
        if path.lower().startswith(_ABSOLUTE):
            return path
        base = self.base_url.rstrip("/")
        if not path:
            return self.base_url
        return base + path if path.startswith(("/", "?")) else f"{base}/{path}"

    def _name_of(self, path: str) -> str:
        """The default endpoint name: the path without its query string."""
        found = self._names.get(path)
        if found is None:
            found = urlsplit(path).path or "/"
            if len(self._names) >= _CACHE_MAX:
                self._names.clear()
            self._names[path] = found
        return found

    def _endpoint(self, method: str, name: str) -> EndpointRecorder:
        key = (method, name)
        found = self._endpoints.get(key)
        if found is None:
            found = self._endpoints[key] = self._recorder.endpoint(method, name)
        return found

    def _prepare(self, hop: _Hop, *, strip_auth: bool) -> tuple[Origin, str, bytes]:
        origin, target = split_url_cached(hop.url)
        cookie = self.cookies.header_for(origin.host, target, origin.tls) if self.cookies else None
        key = None
        if not hop.headers and hop.body is None and not strip_auth:
            key = (hop.method, hop.url, hop.content_type, cookie)
            cached = self._wire_cache.get(key)
            if cached is not None and cached[0] == self._headers:
                return origin, target, cached[1]
        wire = self._serialise(hop, origin, target, cookie, strip_auth=strip_auth)
        if key is not None:
            if len(self._wire_cache) >= _CACHE_MAX:
                self._wire_cache.clear()
            self._wire_cache[key] = (dict(self._headers), wire)
        return origin, target, wire

    def _serialise(
        self, hop: _Hop, origin: Origin, target: str, cookie: str | None, *, strip_auth: bool
    ) -> bytes:
        defaults = [
            ("Host", origin.host_header),
            ("User-Agent", USER_AGENT),
            ("Accept", "*/*"),
            ("Accept-Encoding", "gzip, deflate"),
        ]
        layers: list[Iterable[tuple[str, str]]] = [defaults]
        if hop.content_type is not None:
            layers.append([("Content-Type", hop.content_type)])
        if cookie is not None:
            layers.append([("Cookie", cookie)])
        layers += [self._headers.items(), hop.headers]
        merged = merge_headers(*layers)
        if strip_auth:
            merged = [(k, v) for k, v in merged if k.lower() not in ("authorization", "cookie")]
            if cookie is not None:
                merged.append(("Cookie", cookie))
        return build_request(hop.method, target, merged, hop.body)

    async def _send_chain(
        self,
        hop: _Hop,
        prepared: tuple[Origin, str, bytes],
        follow: bool,
        timeout_s: float | None,
        t0: int,
        endpoint: EndpointRecorder,
    ) -> tuple[HttpResponse, int]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + (
            timeout_s if timeout_s is not None else self.config.total_timeout_s
        )
        first_host = prepared[0].host
        next_hop: tuple[Origin, str, bytes] | None = prepared
        nbytes = 0
        redirects = 0
        while True:
            try:
                if next_hop is None:
                    origin = split_url_cached(hop.url)[0]
                    next_hop = self._prepare(hop, strip_auth=origin.host != first_host)
                origin, target, wire = next_hop
                next_hop = None
                raw = await self._exchange(origin, wire, hop.method == "HEAD", deadline)
            except Exception as exc:
                return self._error_response(hop, exc, t0, endpoint), nbytes
            nbytes += raw.nbytes
            headers = Headers(raw.headers)
            set_cookies = headers.get_all("set-cookie")
            if set_cookies:
                self.cookies.set_from_response(set_cookies, origin.host, target)
            if follow and raw.status in _REDIRECTS and "location" in headers:
                if redirects >= self.config.max_redirects:
                    too_many = TooManyRedirectsError(
                        f"more than {self.config.max_redirects} redirects (max_redirects)"
                    )
                    too_many_response = self._error_response(
                        hop, too_many, t0, endpoint, raw.status, headers
                    )
                    return too_many_response, nbytes
                redirects += 1
                hop = _redirected(hop, raw.status, urljoin(hop.url, headers["location"]))
                continue
            return self._final_response(hop, raw, headers, t0, endpoint), nbytes

    @staticmethod
    def _final_response(
        hop: _Hop, raw: RawResponse, headers: Headers, t0: int, endpoint: EndpointRecorder
    ) -> HttpResponse:
        elapsed_ns = time.perf_counter_ns() - t0
        status = raw.status
        kind = ErrorKind.HTTP_STATUS if status >= 400 else None
        message = f"HTTP {status}" if kind is not None else None
        return HttpResponse(
            hop.method, hop.url, status, headers, raw.chunks, elapsed_ns, kind, message, endpoint
        )

    @staticmethod
    def _error_response(
        hop: _Hop,
        exc: Exception,
        t0: int,
        endpoint: EndpointRecorder,
        status: int = 0,
        headers: Headers | None = None,
    ) -> HttpResponse:
        elapsed_ns = time.perf_counter_ns() - t0
        kind = classify_error(exc)
        message = describe_error(exc)
        return HttpResponse(
            hop.method, hop.url, status, headers, [], elapsed_ns, kind, message, endpoint
        )

    async def _exchange(
        self, origin: Origin, wire: bytes, head: bool, deadline: float
    ) -> RawResponse:
        read_timeout_s = self.config.read_timeout_s
        conn, reused = await self._acquire(origin, deadline)
        try:
            raw = await conn.roundtrip(
                wire, head=head, read_timeout_s=read_timeout_s, deadline=deadline
            )
        except ConnectionError:
            self._discard(conn)
            if not reused or conn.nbytes:
                raise
            # The server closed the idle keep-alive connection: retry once on a fresh one.
            conn = await self._connect(origin, deadline)
            try:
                raw = await conn.roundtrip(
                    wire, head=head, read_timeout_s=read_timeout_s, deadline=deadline
                )
            except BaseException:
                self._discard(conn)
                raise
        except BaseException:
            self._discard(conn)
            raise
        if raw.keep_alive and not self._closed:
            self._idle.setdefault(origin, []).append(conn)
        else:
            conn.close()
        return raw

    async def _acquire(self, origin: Origin, deadline: float) -> tuple[HttpConnection, bool]:
        idle = self._idle.get(origin)
        while idle:
            conn = idle.pop()
            if not conn.closed:
                return conn, True
        return await self._connect(origin, deadline), False

    async def _connect(self, origin: Origin, deadline: float) -> HttpConnection:
        if self._closed:
            raise ConnectionClosedError("session is closed")
        conn = await open_connection(origin, self.config, deadline)
        if not conn.lost.done():
            self._live.add(conn)
            conn.lost.add_done_callback(lambda _: self._live.discard(conn))
        return conn

    @staticmethod
    def _discard(conn: HttpConnection) -> None:
        conn.abort()


def _redirected(hop: _Hop, status: int, location: str) -> _Hop:
    """The next hop of a redirect: 303 (and 301/302 after POST) become a body-less GET."""
    method, body, content_type = hop.method, hop.body, hop.content_type
    if (status == 303 and method != "HEAD") or (status in (301, 302) and method == "POST"):
        method, body, content_type = "GET", None, None
    headers = hop.headers
    if body is None:
        headers = [(k, v) for k, v in headers if k.lower() != "content-type"]
    return _Hop(method, location, headers, body, content_type)


if TYPE_CHECKING:  # mypy proves Session satisfies the scenario-facing protocol

    def _conforms(session: Session) -> HttpSession:
        return session
