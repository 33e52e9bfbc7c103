"""Declarative endpoint specs: the load of URL mode and of TOML scenario files."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True, slots=True)
class EndpointSpec:
    """One HTTP request, repeated by every virtual user of a URL-mode run."""

    method: str
    url: str
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes | None = None
    name: str | None = None

    @property
    def endpoint_name(self) -> str:
        """The name results are grouped under: `name`, else the URL path without its query."""
        if self.name:
            return self.name
        return urlsplit(self.url).path or "/"
