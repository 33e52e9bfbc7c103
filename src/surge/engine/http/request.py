"""Request serialisation: URLs to origins and targets, headers and bodies to wire bytes."""

from __future__ import annotations

import base64
import json as jsonlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlencode, urlsplit

from surge.engine.http.classify import InvalidUrlError
from surge.metrics.recorder import EndpointRecorder

if TYPE_CHECKING:
    from surge.engine.http.cookies import CookieJar

USER_AGENT = "surge/0.1"
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a connection goes: scheme, host and port (the keep-alive pool key)."""

    scheme: str
    host: str
    port: int

    @property
    def tls(self) -> bool:
        return self.scheme == "https"

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        if self.port == _DEFAULT_PORTS[self.scheme]:
            return host
        return f"{host}:{self.port}"


def split_url(
    url: str, schemes: Mapping[str, str] | None = None, use: str = "http:// or https://"
) -> tuple[Origin, str]:
    """The origin and request target (path + query) of an absolute http(s) URL; `schemes` maps
    other schemes to the origin's (`ws` to `http`), `use` names them in the error."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if schemes is not None:
        scheme = schemes.get(scheme, "")
    if scheme not in _DEFAULT_PORTS:
        raise InvalidUrlError(f"unsupported URL scheme in {url!r}: use {use}")
    if not parts.hostname:
        raise InvalidUrlError(f"URL has no host: {url!r}")
    try:
        port = parts.port or _DEFAULT_PORTS[scheme]
    except ValueError as exc:
        raise InvalidUrlError(f"invalid port in URL {url!r}") from exc
    target = parts.path or "/"
    if parts.query:
        target = f"{target}?{parts.query}"
    return Origin(scheme, parts.hostname, port), target


def basic_auth(url: str) -> str | None:
    """The `Authorization` value (`Basic …`, RFC 7617) for the `user:password@` of `url`, its
    percent-escapes undone; None when the URL has no credentials."""
    if "@" not in url:
        return None
    parts = urlsplit(url)
    if parts.username is None:
        return None
    pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
    return "Basic " + base64.b64encode(pair.encode("utf-8")).decode("ascii")


_SPLIT_CACHE: dict[str, tuple[Origin, str]] = {}
_SPLIT_CACHE_MAX = 1024


def split_url_cached(url: str) -> tuple[Origin, str]:
    """`split_url` memoised: scripted users request the same few URLs over and over."""
    found = _SPLIT_CACHE.get(url)
    if found is None:
        found = split_url(url)
        if len(_SPLIT_CACHE) >= _SPLIT_CACHE_MAX:
            _SPLIT_CACHE.clear()
        _SPLIT_CACHE[url] = found
    return found


def add_params(url: str, params: Mapping[str, Any] | None) -> str:
    """The URL with `params` appended to its query string (lists repeat the key)."""
    if not params:
        return url
    query = urlencode(list(_param_pairs(params)))
    base, _, fragment = url.partition("#")
    sep = "&" if "?" in base else "?"
    joined = f"{base}{sep}{query}" if not base.endswith(("?", "&")) else f"{base}{query}"
    return f"{joined}#{fragment}" if fragment else joined


def _param_pairs(params: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
    for key, value in params.items():
        values = value if isinstance(value, list | tuple) else (value,)
        for item in values:
            if item is not None:
                yield str(key), _param_text(item)


def _param_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def encode_body(
    json: Any = None, data: bytes | str | Mapping[str, Any] | None = None
) -> tuple[bytes | None, str | None]:
    """The body bytes and the Content-Type they imply (None when the caller gave raw bytes)."""
    if json is not None:
        if data is not None:
            raise ValueError("pass either json= or data=, not both")
        text = jsonlib.dumps(json, separators=(",", ":"), ensure_ascii=False)
        return text.encode(), "application/json"
    if data is None:
        return None, None
    if isinstance(data, bytes | bytearray | memoryview):
        return bytes(data), None
    if isinstance(data, str):
        return data.encode(), "text/plain; charset=utf-8"
    return urlencode(list(_param_pairs(data))).encode(), "application/x-www-form-urlencoded"


def build_request(
    method: str, target: str, headers: Iterable[tuple[str, str]], body: bytes | None
) -> bytes:
    """The complete request bytes. `headers` must already include Host; Content-Length is added."""
    lines = [f"{method} {target} HTTP/1.1"]
    for name, value in headers:
        if "\r" in value or "\n" in value or "\r" in name or "\n" in name or ":" in name:
            raise ValueError(f"invalid HTTP header {name!r}: names and values must be one line")
        lines.append(f"{name}: {value}")
    if body is not None or method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(body) if body else 0}")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return head + body if body else head


def merge_headers(*layers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Header layers merged case-insensitively: a later layer replaces an earlier one."""
    merged: dict[str, tuple[str, str]] = {}
    for layer in layers:
        for name, value in layer:
            merged[name.lower()] = (name, value)
    return [pair for key, pair in merged.items() if key != "content-length"]


def static_request(
    method: str, url: str, headers: Iterable[tuple[str, str]], body: bytes | None
) -> tuple[Origin, bytes]:
    """The origin and pre-serialised bytes of a request that never changes (URL mode). The
    URL's credentials become Basic auth, unless `headers` set Authorization themselves."""
    origin, target = split_url(url)
    defaults = [("Host", origin.host_header), ("User-Agent", USER_AGENT), ("Accept", "*/*")]
    auth = basic_auth(url)
    if auth is not None:
        defaults.append(("Authorization", auth))
    method = method.upper()
    return origin, build_request(method, target, merge_headers(defaults, headers), body)


class DefaultHeaders(dict[str, str]):
    """The session's default headers: a dict that counts its changes, so that prepared request
    bytes are known to be current by comparing one number."""

    __slots__ = ("version",)

    def __init__(self) -> None:
        super().__init__()
        self.version = 0

    def __setitem__(self, key: str, value: str) -> None:
        self.version += 1
        super().__setitem__(key, value)

    def __delitem__(self, key: str) -> None:
        self.version += 1
        super().__delitem__(key)

    def __ior__(self, other: Any) -> DefaultHeaders:  # type: ignore[override,misc]
        self.version += 1
        super().__ior__(other)
        return self

    def update(self, *args: Any, **kwargs: str) -> None:
        self.version += 1
        super().update(*args, **kwargs)

    def pop(self, *args: Any) -> Any:
        self.version += 1
        return super().pop(*args)

    def popitem(self) -> tuple[str, str]:
        self.version += 1
        return super().popitem()

    def setdefault(self, key: str, default: str = "") -> str:
        self.version += 1
        return super().setdefault(key, default)

    def clear(self) -> None:
        self.version += 1
        super().clear()


@dataclass(slots=True)  # not frozen: built per request never sent before (1.6 µs -> 0.3 µs)
class Prepared:
    """A scripted request ready to send: where, the bytes, and the endpoint it records under.
    Never changed once built (not frozen only because a frozen one costs five times as much to
    build, and a script requesting a new id each time builds one per request).

    `version` is the version of the session's default headers it was built with; `cookies`
    says whether it carries a Cookie header (such a request is never reused as is)."""

    method: str
    url: str
    origin: Origin
    wire: bytes
    endpoint: EndpointRecorder
    body: bytes | None
    content_type: str | None
    extra: list[tuple[str, str]]
    version: int
    cookies: bool


def prepare(
    method: str,
    url: str,
    extra: list[tuple[str, str]],
    body: bytes | None,
    content_type: str | None,
    defaults: Mapping[str, str],
    jar: CookieJar,
    endpoint: EndpointRecorder,
    *,
    strip_auth: bool = False,
) -> Prepared:
    """Serialise a request: built-in headers (with Basic auth from the URL's credentials),
    then Content-Type, the cookie jar's Cookie, the session's defaults and the call's own
    headers, each layer replacing the ones before. `strip_auth` (a redirect to another host)
    drops Authorization and any caller's Cookie (the new URL's own credentials still apply)."""
    origin, target = split_url_cached(url)
    cookie = jar.header_for(origin.host, target, origin.tls) if jar else None
    builtins = [
        ("Host", origin.host_header),
        ("User-Agent", USER_AGENT),
        ("Accept", "*/*"),
        ("Accept-Encoding", "gzip, deflate"),
    ]
    auth = basic_auth(url)
    if auth is not None:
        builtins.append(("Authorization", auth))
    layers: list[Iterable[tuple[str, str]]] = [builtins]
    if content_type is not None:
        layers.append([("Content-Type", content_type)])
    if cookie is not None:
        layers.append([("Cookie", cookie)])
    layers += [defaults.items(), extra]
    merged = merge_headers(*layers)
    if strip_auth:
        merged = [(k, v) for k, v in merged if k.lower() not in ("authorization", "cookie")]
        if cookie is not None:
            merged.append(("Cookie", cookie))
        if auth is not None:
            merged.append(("Authorization", auth))
    wire = build_request(method, target, merged, body)
    version = int(getattr(defaults, "version", 0))
    return Prepared(
        method, url, origin, wire, endpoint, body, content_type, extra, version, cookie is not None
    )
