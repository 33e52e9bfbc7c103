"""Where the dashboard listens and who may use it.

It binds 127.0.0.1:8089 by default. Any other address than a loopback one needs a token —
given (`--ui-token`, `SURGE_UI_TOKEN`) or generated (`--ui-token auto`, printed once) — and is
refused without one: a dashboard can start and steer load, so it is never open to a network.
"""

from __future__ import annotations

import ipaddress
import secrets
from dataclasses import dataclass, replace

from surge.config import ConfigError

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8089
TOKEN_AUTO = "auto"
MIN_TOKEN_CHARS = 16
_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


class UiError(ConfigError):
    """A dashboard setting that cannot be used (exit code 2, before any traffic)."""


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and the usual names of this machine's loopback."""
    name = host.strip().strip("[]").lower()
    if name in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True, slots=True)
class UiSettings:
    """The dashboard's address and access: `port` 0 takes any free port; `token`, when set,
    is required by the page and by every request; `generated` says the token was made here (and
    is printed once); `open_browser` opens the page when the server is up."""

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    token: str | None = None
    open_browser: bool = False
    generated: bool = False

    @property
    def loopback(self) -> bool:
        return is_loopback(self.host)

    def checked(self) -> UiSettings:
        """These settings, ready to serve: the port in range, a token generated when asked
        for, and a non-loopback address refused without a token (UiError)."""
        if not 0 <= self.port <= 65535:
            raise UiError(f"--ui-port {self.port} is not a port (0-65535; 0 = any free port)")
        if not self.host.strip():
            raise UiError("--ui-host is empty: give an address, e.g. 127.0.0.1")
        token = (self.token or "").strip() or None
        if token == TOKEN_AUTO:
            return replace(self, token=secrets.token_urlsafe(24), generated=True)
        if token is not None and len(token) < MIN_TOKEN_CHARS:
            raise UiError(
                f"--ui-token is {len(token)} characters long: use at least {MIN_TOKEN_CHARS}, "
                f"or --ui-token {TOKEN_AUTO} to have one generated"
            )
        if token is None and not self.loopback:
            raise UiError(
                f"--ui-host {self.host} is not a loopback address: the dashboard can start and "
                f"steer load, so there it needs a token. Pass --ui-token TOKEN (or set "
                f"SURGE_UI_TOKEN), or --ui-token {TOKEN_AUTO} to have one generated and printed "
                "once; or keep the default 127.0.0.1"
            )
        return replace(self, token=token)
