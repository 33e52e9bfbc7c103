"""A per-user cookie jar: Set-Cookie with domain, path, expiry and Secure; nothing more."""

from __future__ import annotations

import email.utils
import time
from dataclasses import dataclass
from ipaddress import ip_address


@dataclass(slots=True)
class Cookie:
    name: str
    value: str
    domain: str
    host_only: bool
    path: str
    expires_at: float | None  # wall-clock seconds (cookie expiry is wall time by definition)
    secure: bool


def _is_ip(host: str) -> bool:
    try:
        ip_address(host)
    except ValueError:
        return False
    return True


def _default_path(request_path: str) -> str:
    if not request_path.startswith("/") or request_path.count("/") == 1:
        return "/"
    return request_path[: request_path.rfind("/")]


def _path_matches(cookie_path: str, request_path: str) -> bool:
    if request_path == cookie_path:
        return True
    if not request_path.startswith(cookie_path):
        return False
    return cookie_path.endswith("/") or request_path[len(cookie_path)] == "/"


def _domain_matches(cookie: Cookie, host: str) -> bool:
    if cookie.host_only:
        return host == cookie.domain
    return host == cookie.domain or (host.endswith("." + cookie.domain) and not _is_ip(host))


def _expiry(attrs: dict[str, str], now: float) -> float | None:
    if "max-age" in attrs:
        try:
            return now + int(attrs["max-age"])
        except ValueError:
            pass
    if "expires" in attrs:
        try:
            return email.utils.parsedate_to_datetime(attrs["expires"]).timestamp()
        except (TypeError, ValueError, IndexError):
            return None
    return None


def parse_set_cookie(header: str, host: str, path: str, now: float) -> Cookie | None:
    """The cookie a Set-Cookie header sets for a response from `host` at `path`, or None."""
    first, *rest = header.split(";")
    name, sep, value = first.partition("=")
    name, value = name.strip(), value.strip()
    if not sep or not name:
        return None
    attrs: dict[str, str] = {}
    for item in rest:
        key, _, val = item.partition("=")
        attrs[key.strip().lower()] = val.strip()
    domain = attrs.get("domain", "").lstrip(".").lower()
    if domain and not (host == domain or (host.endswith("." + domain) and not _is_ip(host))):
        return None  # a server may not set cookies for another domain
    cookie_path = attrs.get("path", "")
    if not cookie_path.startswith("/"):
        cookie_path = _default_path(path)
    return Cookie(
        name=name,
        value=value.strip('"') if len(value) > 1 and value[0] == value[-1] == '"' else value,
        domain=domain or host,
        host_only=not domain,
        path=cookie_path,
        expires_at=_expiry(attrs, now),
        secure="secure" in attrs,
    )


class CookieJar:
    """The cookies of one virtual user, keyed by (domain, path, name)."""

    __slots__ = ("_cookies",)

    def __init__(self) -> None:
        self._cookies: dict[tuple[str, str, str], Cookie] = {}

    def __len__(self) -> int:
        return len(self._cookies)

    def get(self, name: str) -> str | None:
        """The value of the first live cookie called `name` (any domain), for scripts."""
        now = time.time()
        for cookie in self._cookies.values():
            if cookie.name == name and (cookie.expires_at is None or cookie.expires_at > now):
                return cookie.value
        return None

    def clear(self) -> None:
        self._cookies.clear()

    def pairs(self) -> list[tuple[str, str]]:
        """(name, value) of every cookie kept (for the run's redactor)."""
        return [(c.name, c.value) for c in self._cookies.values()]

    def set_from_response(self, set_cookie_values: list[str], host: str, path: str) -> None:
        """Store (or delete, when expired) the cookies of a response's Set-Cookie headers."""
        now = time.time()
        host = host.lower()
        for header in set_cookie_values:
            cookie = parse_set_cookie(header, host, path, now)
            if cookie is None:
                continue
            key = (cookie.domain, cookie.path, cookie.name)
            if cookie.expires_at is not None and cookie.expires_at <= now:
                self._cookies.pop(key, None)
            else:
                self._cookies[key] = cookie

    def header_for(self, host: str, path: str, secure: bool) -> str | None:
        """The Cookie header value for a request, or None when no cookie applies."""
        if not self._cookies:
            return None
        now = time.time()
        host = host.lower()
        path = path.split("?", 1)[0] or "/"
        matches = [
            c
            for c in self._cookies.values()
            if (c.expires_at is None or c.expires_at > now)
            and (secure or not c.secure)
            and _domain_matches(c, host)
            and _path_matches(c.path, path)
        ]
        if not matches:
            return None
        matches.sort(key=lambda c: -len(c.path))
        return "; ".join(f"{c.name}={c.value}" for c in matches)
