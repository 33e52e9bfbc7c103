"""Pattern rules: secrets recognised by their shape, whatever the run was given.

The second line of defence behind `Redactor` (which knows the run's actual secret values): URL
credentials (`scheme://user:pass@`), values of secret-looking query parameters (`?token=…`,
`&api_key=…`) and `Name: value` lines whose name looks secret (`Authorization: …`).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

MASK = "***"
SECRET_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization", "x-api-key"})
"""Headers whose values are always secret (case-insensitive names)."""

SECRET_NAME = re.compile(
    r"authori[sz]ation|cookie|token|secret|passw(?:or)?d|api[-_]?key|credential|session|bearer",
    re.IGNORECASE,
)
"""Names (of options, mapping keys, headers) whose values are taken for secrets."""

SECRET_COOKIE = re.compile(
    r"sid|sess|auth|token|jwt|csrf|xsrf|key|secret|login|remember|identity|credential",
    re.IGNORECASE,
)
"""Cookie names whose values are taken for secrets (`sessionid`, `PHPSESSID`, `sid`, `jwt`)."""
LONG_COOKIE_CHARS = 16
"""A cookie value this long is taken for a secret whatever its name (a session id)."""

_URL_USERINFO = re.compile(r"(\b[a-zA-Z][a-zA-Z0-9+.-]*://)[^/\s@?#]+@")
# A query value runs to the next `&`, `#` or space; a `:` followed by a space (or the end) ends
# it too, so the selector colon of `GET /x?token=abc: p95<1s` survives the masking.
QUERY_VALUE_END = r"(?=[&#\s]|:\s|:$|$)"
_SECRET_QUERY = re.compile(
    r"([?&;][^=&#\s]*(?:token|secret|passw(?:or)?d|api[-_]?key|signature|sig|auth)[^=&#\s]*=)"
    r"[^&#\s]*?" + QUERY_VALUE_END,
    re.IGNORECASE,
)
_HEADER_LINE = re.compile(r"^(\s*[A-Za-z0-9-]+\s*:\s*)(.+)$", re.DOTALL)
_BEARER = re.compile(r"(\b(?:Bearer|Basic|Token)\s+)[A-Za-z0-9._~+/=-]{8,}", re.IGNORECASE)


def redact_text(text: str) -> str:
    """`text` without URL credentials, secret-looking query values, secret header values or
    bearer/basic credentials."""
    header = _HEADER_LINE.match(text)
    if header and "://" not in header.group(1) and SECRET_NAME.search(header.group(1)):
        return header.group(1) + MASK
    text = _URL_USERINFO.sub(rf"\1{MASK}@", text)
    text = _BEARER.sub(rf"\1{MASK}", text)
    return _SECRET_QUERY.sub(rf"\1{MASK}", text)


def redact_url(url: str) -> str:
    """`url` with its `user:password@` part (both) replaced by `***@`."""
    parts = urlsplit(url)
    if parts.password is None and parts.username is None:
        return url
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, f"{MASK}@{host}", parts.path, parts.query, parts.fragment))


_SCHEMES = ("bearer ", "basic ", "token ", "digest ")


def is_secret_name(name: str, names: frozenset[str] = frozenset()) -> bool:
    """True when a header (or cookie) called `name` holds a secret: a secret header, a name in
    `names` (lower-case) or one that looks secret."""
    key = name.strip().lower()
    return key in SECRET_HEADERS or key in names or SECRET_NAME.search(key) is not None


def is_secret_cookie(name: str, value: str, names: frozenset[str] = frozenset()) -> bool:
    """True when a cookie's value is a secret: by its name (or one in `names`), or its length."""
    return (
        len(value) >= LONG_COOKIE_CHARS
        or name.lower() in names
        or SECRET_COOKIE.search(name) is not None
    )


def header_secrets(name: str, value: str, names: frozenset[str] = frozenset()) -> list[str]:
    """The secret parts of one header: the whole value, the credential after `Bearer `, and
    each cookie value (nothing when the header is not secret, see `is_secret_name`)."""
    if not is_secret_name(name, names):
        return []
    value = value.strip()
    found = [value]
    lowered = value.lower()
    for scheme in _SCHEMES:
        if lowered.startswith(scheme):
            found.append(value[len(scheme) :].strip())
    if name.strip().lower() == "cookie":
        for pair in value.split(";"):
            found.append(pair.partition("=")[2].strip())
    return found


def redact_header(line: str, names: frozenset[str] = frozenset()) -> str:
    """`Name: value` with the value masked when the name is a secret header (or in `names`,
    lower-case) or looks secret."""
    name = line.partition(":")[0]
    key = name.strip().lower()
    if key in SECRET_HEADERS or key in names or SECRET_NAME.search(key):
        return f"{name}: {MASK}"
    return line
