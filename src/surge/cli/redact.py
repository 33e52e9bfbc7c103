"""Secrets out of every output: the options a run records are shown with secrets as `***`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from surge.cli.options import BY_NAME

MASK = "***"
SECRET_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization", "x-api-key"})


def redact_url(url: str) -> str:
    """Drop the password of `user:password@host` URLs."""
    parts = urlsplit(url)
    if parts.password is None and parts.username is None:
        return url
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, f"{MASK}@{host}", parts.path, parts.query, parts.fragment))


def redact_header(line: str) -> str:
    name = line.partition(":")[0]
    if name.strip().lower() in SECRET_HEADERS:
        return f"{name}: {MASK}"
    return line


def redact_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of the resolved options fit for results, logs and the store."""
    out: dict[str, Any] = {}
    for key, value in options.items():
        spec = BY_NAME.get(key)
        if key == "header":
            out[key] = [redact_header(str(h)) for h in value]
        elif spec is not None and spec.secret and value is not None:
            out[key] = MASK
        elif isinstance(value, str) and "://" in value:
            out[key] = redact_url(value)
        elif isinstance(value, tuple):
            out[key] = list(value)
        else:
            out[key] = value
    return out
