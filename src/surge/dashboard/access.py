"""Who may use the dashboard: pure checks of a request's host, token and origin.

- On a loopback bind the `Host` header must name the loopback too, so a web page elsewhere
  cannot reach the dashboard through a DNS name re-pointed at 127.0.0.1 (DNS rebinding).
- With a token, every request carries it: the `surge_ui_PORT` cookie (set when the page is
  opened with `?token=`, HttpOnly, SameSite=Strict), or an `Authorization: Bearer` header.
  Without it: 401.
- A control request (always a POST) also carries the page's CSRF token in `X-Surge-CSRF`, and
  its `Origin`, when sent, is the dashboard's own. Without them: 403. A form on another site
  can neither set that header nor read the page that holds the token.
"""

from __future__ import annotations

import enum
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from surge.dashboard.settings import is_loopback

CSRF_HEADER = "x-surge-csrf"
SECURITY_HEADERS: Mapping[str, str] = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        "img-src 'self' data: blob:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}


class Denied(enum.Enum):
    """Why a request is refused, with its HTTP status."""

    HOST = (403, "this dashboard answers on its loopback address only")
    TOKEN = (401, "this dashboard needs its token: open the URL with ?token=TOKEN")
    CSRF = (403, "a control request must come from the dashboard's own page")

    @property
    def status(self) -> int:
        return self.value[0]

    @property
    def message(self) -> str:
        return self.value[1]


@dataclass(frozen=True, slots=True)
class Access:
    """The checks of one dashboard: its token (None: none needed), its CSRF secret, whether it
    is bound to loopback, and the name of its token cookie."""

    token: str | None
    csrf: str
    loopback: bool
    cookie: str

    def check(
        self,
        headers: Mapping[str, str],
        cookies: Mapping[str, str],
        *,
        control: bool,
    ) -> Denied | None:
        """None when the request may go on (header names in lower case)."""
        host = headers.get("host", "")
        if self.loopback and not _loopback_host(host):
            return Denied.HOST
        if self.token is not None and not self.token_ok(headers, cookies):
            return Denied.TOKEN
        if control and not self._same_origin(headers, host):
            return Denied.CSRF
        return None

    def token_ok(self, headers: Mapping[str, str], cookies: Mapping[str, str]) -> bool:
        if self.token is None:
            return True
        given = cookies.get(self.cookie, "")
        bearer = headers.get("authorization", "")
        if bearer.lower().startswith("bearer "):
            given = given or bearer[7:].strip()
        return self.matches(given)

    def matches(self, given: str) -> bool:
        """`given` is the token (compared in constant time)."""
        if self.token is None:
            return True
        return hmac.compare_digest(given.encode(), self.token.encode())

    def _same_origin(self, headers: Mapping[str, str], host: str) -> bool:
        csrf = headers.get(CSRF_HEADER, "")
        if not hmac.compare_digest(csrf.encode(), self.csrf.encode()):
            return False
        origin = headers.get("origin")
        if origin is not None and urlsplit(origin).netloc.lower() != host.lower():
            return False
        site = headers.get("sec-fetch-site")
        return site in (None, "same-origin", "none")


def _loopback_host(host: str) -> bool:
    """The Host header names the loopback (with or without a port)."""
    name = host.strip()
    if name.startswith("["):
        name = name[1 : name.find("]")] if "]" in name else name
    elif name.count(":") == 1:
        name = name.partition(":")[0]
    return bool(name) and is_loopback(name)
