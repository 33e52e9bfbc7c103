"""`self.client` of HttpUser and FastHttpUser: Locust's client API on surge's HTTP/1.1 core.

Each call hands one request to the engine's per-user session (keep-alive pool, cookie jar,
default headers) through the greenlet bridge and returns a `Response`. Keyword arguments are
requests' (`params`, `data`, `json`, `headers`, `cookies`, `auth`, `timeout`,
`allow_redirects`), plus Locust's `name`, `catch_response` and `context`. A request is named
`name=`, else as every surge client names it (its path with ids as placeholders, no query
string: `surge.metrics.naming`, through the engine session), records once in surge's recorder, and
fires `events.request` when the locustfile listens. What requests can do that surge's client
does not (`files=`, `stream=True`, `proxies=`, `cert=`, `verify=False`, other auth objects)
raises LocustUnsupportedError naming the argument.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator, Mapping, MutableMapping
from typing import Any, Protocol
from urllib.parse import urlencode, urlsplit

from surge.locust.bridge import await_
from surge.locust.exceptions import LocustUnsupportedError
from surge.locust.responses import CatchResponse, EngineResponse, Response

_SUPPORTED = frozenset(
    {"params", "data", "json", "headers", "cookies", "auth", "timeout", "allow_redirects",
     "verify", "stream", "files"}
)  # fmt: skip
_ADVICE = {
    "files": "upload the body with data= (bytes) and a Content-Type header",
    "stream": "surge reads whole bodies; drop stream=True",
    "proxies": "surge connects to the host directly",
    "cert": "client certificates are not supported",
    "verify": "run with --insecure to skip certificate checks",
    "hooks": "use events.request listeners instead",
}
_FORM = "application/x-www-form-urlencoded"


class EngineJar(Protocol):
    def get(self, name: str) -> str | None: ...
    def clear(self) -> None: ...
    def __len__(self) -> int: ...
    def set_from_response(self, set_cookie_values: list[str], host: str, path: str) -> None: ...
    def header_for(self, host: str, path: str, secure: bool) -> str | None: ...


class EngineSession(Protocol):
    """The engine's per-user session (surge.engine.http.Session), as this client uses it."""

    base_url: str
    cookies: EngineJar

    @property
    def headers(self) -> MutableMapping[str, str]: ...
    async def request(self, method: str, path: str, **kwargs: Any) -> Any: ...
    def record(self, response: Any) -> None: ...
    def endpoint_for(self, method: str, path: str, name: str | None = None) -> Any: ...


class Cookies(MutableMapping[str, str]):
    """`self.client.cookies`: the user's cookie jar, read like requests' (get, [], set)."""

    def __init__(self, jar: EngineJar, host: str) -> None:
        self._jar = jar
        self._host = host

    def __getitem__(self, name: str) -> str:
        value = self._jar.get(name)
        if value is None:
            raise KeyError(name)
        return value

    def __setitem__(self, name: str, value: str) -> None:
        self.set(name, value)

    def __delitem__(self, name: str) -> None:
        self._jar.set_from_response([f"{name}=; Max-Age=0"], self._host, "/")

    def __iter__(self) -> Iterator[str]:
        header = self._jar.header_for(self._host, "/", True) or ""
        return iter([part.split("=", 1)[0] for part in header.split("; ") if part])

    def __len__(self) -> int:
        return len(self._jar)

    def set(self, name: str, value: str, **_: Any) -> None:
        self._jar.set_from_response([f"{name}={value}; Path=/"], self._host, "/")

    def get_dict(self) -> dict[str, str]:
        return {name: self[name] for name in self}

    def clear(self) -> None:
        self._jar.clear()


class HttpSession:
    """Locust's `HttpSession`/`FastHttpSession` API; see the module docstring."""

    def __init__(self, session: EngineSession, user: Any, events: Any) -> None:
        self._session = session
        self.base_url = session.base_url
        self.user = user
        self._request_event = events.request
        self._pending: list[CatchResponse] = []
        self._host = urlsplit(session.base_url).hostname or ""
        self.cookies = Cookies(session.cookies, self._host)
        self.auth: tuple[str, str] | None = None

    @property
    def headers(self) -> MutableMapping[str, str]:
        return self._session.headers

    def __setattr__(self, name: str, value: Any) -> None:
        if name in ("verify", "proxies", "cert", "trust_env") and value not in (True, None, {}):
            raise LocustUnsupportedError(f"client.{name} = {value!r}", _ADVICE.get(name, ""))
        object.__setattr__(self, name, value)

    def get(self, url: str, **kwargs: Any) -> Any:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, data: Any = None, json: Any = None, **kwargs: Any) -> Any:
        return self.request("POST", url, data=data, json=json, **kwargs)

    def put(self, url: str, data: Any = None, **kwargs: Any) -> Any:
        return self.request("PUT", url, data=data, **kwargs)

    def patch(self, url: str, data: Any = None, **kwargs: Any) -> Any:
        return self.request("PATCH", url, data=data, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> Any:
        return self.request("DELETE", url, **kwargs)

    def head(self, url: str, **kwargs: Any) -> Any:
        kwargs.setdefault("allow_redirects", False)
        return self.request("HEAD", url, **kwargs)

    def options(self, url: str, **kwargs: Any) -> Any:
        return self.request("OPTIONS", url, **kwargs)

    def request(
        self,
        method: str,
        url: str,
        name: str | None = None,
        catch_response: bool = False,
        context: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> Any:
        """Send one request; see the module docstring."""
        method = method.upper()
        shown = name or self._session.endpoint_for(method, url).name
        options = _engine_options(kwargs, method) if kwargs or self.auth else {}
        if self.auth is not None and "auth" not in kwargs:
            _add_auth(options, self.auth)
        if "cookies" in kwargs:
            self._add_cookies(options, url, kwargs["cookies"])
        if catch_response:
            started = time.time()
            raw = await_(self._session.request(method, url, name=shown, record=False, **options))
            caught = CatchResponse(raw, shown, self._catch_finished)
            caught.meta = (started, context)
            self._pending.append(caught)
            return caught
        if self._request_event.has_listeners:
            started = time.time()
            raw = await_(self._session.request(method, url, name=shown, **options))
            response = Response(raw, shown)
            self._fire(response, started, context, response.error)
            return response
        return Response(await_(self._session.request(method, url, name=shown, **options)), shown)

    def rest(
        self, method: str, url: str, headers: Mapping[str, str] | None = None, **kwargs: Any
    ) -> Any:
        """FastHttpUser.rest: a JSON request with catch_response=True (use it in a `with`)."""
        merged = {"Content-Type": "application/json", "Accept": "application/json"}
        merged.update(headers or {})
        return self.request(method, url, headers=merged, catch_response=True, **kwargs)

    def finish_pending(self) -> None:
        """Record `catch_response` requests whose `with` block never ran (at the task's end)."""
        pending, self._pending = self._pending, []
        for response in pending:
            response.finish()

    # -- recording ---------------------------------------------------------------------------

    def _catch_finished(self, response: CatchResponse, manual: bool | BaseException | None) -> None:
        raw: EngineResponse = response._raw
        if manual is True:
            raw.error_kind, raw.error_message = None, None
        elif isinstance(manual, BaseException):
            from surge.metrics.errors import ErrorKind

            raw.error_kind, raw.error_message = ErrorKind.CHECK, _message(manual)
        self._session.record(raw)
        if response in self._pending:
            self._pending.remove(response)
        if self._request_event.has_listeners:
            started, context = response.meta or (time.time(), None)
            error = manual if isinstance(manual, BaseException) else response.error
            self._fire(response, started, context, None if manual is True else error)

    def _fire(
        self,
        response: Response,
        started: float,
        context: Mapping[str, Any] | None,
        exception: BaseException | None,
    ) -> None:
        raw = response._raw
        merged = dict(self.user.context()) if hasattr(self.user, "context") else {}
        merged.update(context or {})
        self._request_event.fire(
            request_type=raw.method,
            name=response.name,
            response_time=raw.elapsed_ns / 1e6,
            response_length=len(raw.content) if raw.status else 0,
            response=response,
            context=merged,
            exception=exception,
            start_time=started,
            url=raw.url,
        )

    def _add_cookies(self, options: dict[str, Any], url: str, cookies: Any) -> None:
        if not cookies:
            return
        if not isinstance(cookies, Mapping):
            raise LocustUnsupportedError("cookies= other than a dict", "pass {name: value}")
        full = url if url.startswith(("http://", "https://")) else self.base_url + url
        parts = urlsplit(full)
        own = self._session.cookies.header_for(
            parts.hostname or "", parts.path or "/", parts.scheme == "https"
        )
        extra = "; ".join(f"{k}={v}" for k, v in cookies.items())
        headers = dict(options.get("headers") or {})
        headers["Cookie"] = f"{own}; {extra}" if own else extra
        options["headers"] = headers


def _message(exc: BaseException) -> str:
    text = str(exc)
    return text if text else type(exc).__name__


def _engine_options(kwargs: dict[str, Any], method: str) -> dict[str, Any]:
    """requests' keyword arguments as the engine session's."""
    unknown = sorted(set(kwargs) - _SUPPORTED)
    if unknown:
        name = unknown[0]
        raise LocustUnsupportedError(
            f"the {name}= argument of client requests", _ADVICE.get(name, "")
        )
    for name, harmless in (("verify", True), ("stream", False), ("files", None)):
        if name in kwargs and kwargs[name] not in (harmless, None):
            raise LocustUnsupportedError(f"{name}={kwargs[name]!r}", _ADVICE[name])
    options: dict[str, Any] = {
        "follow_redirects": bool(kwargs.get("allow_redirects", method != "HEAD"))
    }
    headers = kwargs.get("headers")
    if headers:
        options["headers"] = {str(k): _text(v) for k, v in headers.items()}
    _add_params(options, kwargs.get("params"))
    _add_body(options, kwargs.get("data"), kwargs.get("json"))
    timeout = kwargs.get("timeout")
    if timeout is not None:
        options["timeout_s"] = float(max(timeout) if isinstance(timeout, tuple) else timeout)
    if kwargs.get("auth") is not None:
        _add_auth(options, kwargs["auth"])
    return options


def _text(value: Any) -> str:
    return value.decode("latin-1") if isinstance(value, bytes) else str(value)


def _add_params(options: dict[str, Any], params: Any) -> None:
    if not params:
        return
    if isinstance(params, Mapping):
        options["params"] = dict(params)
    elif isinstance(params, str | bytes):
        text = _text(params)
        pairs = (pair.partition("=") for pair in text.split("&") if pair)
        options["params"] = {key: value for key, _, value in pairs}
    else:
        grouped: dict[str, list[Any]] = {}
        for key, value in params:
            grouped.setdefault(str(key), []).append(value)
        options["params"] = grouped


def _add_body(options: dict[str, Any], data: Any, json: Any) -> None:
    if json is not None and data is None:
        options["json"] = json
    elif data is None:
        return
    elif isinstance(data, Mapping):
        options["data"] = dict(data)
    elif isinstance(data, str):
        options["data"] = data.encode()
    elif isinstance(data, bytes | bytearray):
        options["data"] = bytes(data)
    else:
        options["data"] = urlencode(list(data)).encode()
        headers = dict(options.get("headers") or {})
        if not any(k.lower() == "content-type" for k in headers):
            headers["Content-Type"] = _FORM
        options["headers"] = headers


def _add_auth(options: dict[str, Any], auth: Any) -> None:
    if not (isinstance(auth, tuple) and len(auth) == 2):
        raise LocustUnsupportedError(
            f"auth={type(auth).__name__}", "pass auth=(user, password) or set the header"
        )
    token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
    headers = dict(options.get("headers") or {})
    headers.setdefault("Authorization", f"Basic {token}")
    options["headers"] = headers
