"""Secrets out of every output: the run's redactor, built from the secrets the run actually used.

Every secret a run is given — `--auth-token`, the values of Authorization, Cookie and the other
secret headers (from `-H`, a TOML endpoint, the environment or pyproject.toml), URL credentials,
and the values of headers and query parameters named by `--redact` — goes into one
`surge.redaction.Redactor`. The runner scrubs each RunResult with it before anything prints, writes
or stores the result, so every output (terminal, JSON, CSV, JUnit, text, HTML, store) is clean.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from surge.config import BY_NAME
from surge.redaction import (
    MASK,
    SECRET_HEADERS,
    SECRET_NAME,
    Redactor,
    header_secrets,
    redact_header,
    redact_url,
)

__all__ = [
    "MASK",
    "SECRET_HEADERS",
    "redact_header",
    "redact_options",
    "redact_url",
    "redactor_for",
]


def _url_secrets(url: str, names: frozenset[str]) -> list[str]:
    """Credentials of `user:password@` (also as the Basic auth credential they are sent as) and
    the values of secret or named query parameters."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return []
    found: list[str] = []
    if parts.password:
        found += [parts.password, unquote(parts.password)]
    if parts.username and parts.password is not None:
        found.append(f"{parts.username}:{parts.password}")
        pair = f"{unquote(parts.username)}:{unquote(parts.password)}"
        found += [pair, base64.b64encode(pair.encode("utf-8")).decode("ascii")]  # Basic auth
    for key, value in parse_qsl(parts.query, keep_blank_values=False):
        if key.lower() in names or SECRET_NAME.search(key):
            found.append(value)
    return found


def _header_pairs(lines: Iterable[Any]) -> list[tuple[str, str]]:
    pairs = []
    for line in lines:
        name, sep, value = str(line).partition(":")
        if sep:
            pairs.append((name, value))
    return pairs


def redactor_for(
    options: Mapping[str, Any],
    urls: Iterable[str] = (),
    headers: Iterable[tuple[str, str]] = (),
) -> Redactor:
    """The run's redactor: secret values from the options (`--auth-token`, `-H`, secret-flagged
    options), from `urls` (targets, endpoint URLs) and `headers` (endpoint headers), plus the
    header and query names of `--redact`."""
    names = frozenset(str(n).strip().lower() for n in options.get("redact") or () if str(n).strip())
    values: list[str] = []
    for key, value in options.items():
        spec = BY_NAME.get(key)
        if spec is not None and spec.secret and isinstance(value, str) and value:
            values.append(value)
    pairs = _header_pairs(options.get("header") or ()) + list(headers)
    for name, value in pairs:
        values += header_secrets(name, value, names)
    for url in [*urls, *(v for v in options.values() if isinstance(v, str) and "://" in v)]:
        values += _url_secrets(url, names)
    return Redactor.build(values=values, names=names | SECRET_HEADERS)


def redact_options(options: Mapping[str, Any], redactor: Redactor | None = None) -> dict[str, Any]:
    """A copy of the resolved options fit for results, logs and the store: secret options as
    `***`, secret header values masked, URL credentials dropped, other text through `redactor`."""
    names = redactor.names if redactor is not None else frozenset()
    out: dict[str, Any] = {}
    for key, value in options.items():
        spec = BY_NAME.get(key)
        if key == "header":
            out[key] = [redact_header(str(h), names) for h in value]
        elif spec is not None and spec.secret and value is not None:
            out[key] = MASK
        elif isinstance(value, str):
            text = redact_url(value) if "://" in value else value
            out[key] = redactor.text(text) if redactor is not None else text
        elif isinstance(value, tuple):
            out[key] = list(value)
        else:
            out[key] = value
    return out
