"""Building and validating EndpointSpecs: URL mode (CLI flags) and the checks TOML files share.

The `check_*` helpers raise ValueError with a message that says what to do; callers add where
(the CLI option, or the file:line of a TOML key).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from urllib.parse import urlsplit

from surge.scenario.checks import json_path_text, parse_json_path
from surge.scenario.errors import EndpointOptionError
from surge.scenario.spec import EndpointSpec, Expectations, JsonExpectation

_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")  # RFC 9110 token: methods, header names
JSON_CONTENT_TYPE = "application/json"


def _shown_url(url: str) -> str:
    """`url` for an error message, with any password replaced by `***`."""
    scheme, at, rest = url.partition("://")
    userinfo, sep, hostpart = rest.partition("@")
    if not at or not sep or "/" in userinfo or ":" not in userinfo:
        return url
    return f"{scheme}://{userinfo.partition(':')[0]}:***@{hostpart}"


def _shown_header(line: str) -> str:
    """The start of a malformed header line for an error message (its value may be a secret)."""
    words = line.split()
    first = words[0] if words else ""
    return first if len(words) <= 1 else f"{first} ..."


def check_url(url: str) -> str:
    """`url` if it is an absolute http(s) (or WebSocket: ws, wss) URL with a host; ValueError
    otherwise."""
    shown = _shown_url(url)
    if not url or any(c.isspace() for c in url):
        raise ValueError(f"invalid URL {shown!r}: it must not be empty or contain spaces")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https", "ws", "wss"):
        raise ValueError(
            f"invalid URL {shown!r}: use an absolute http:// or https:// URL (ws:// or wss:// "
            "for WebSocket), "
            "e.g. http://127.0.0.1:8000/items"
        )
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"invalid URL {shown!r}: the port must be a number 1-65535") from None
    if not parts.hostname:
        raise ValueError(f"invalid URL {shown!r}: it has no host, e.g. http://127.0.0.1:8000/")
    if port == 0:
        raise ValueError(f"invalid URL {shown!r}: the port must be a number 1-65535")
    return url


def check_method(method: str) -> str:
    """`method` upper-cased if it is a valid HTTP method token; ValueError otherwise."""
    if not _TOKEN.match(method):
        raise ValueError(f"invalid HTTP method {method!r}: use e.g. GET, POST, PUT or DELETE")
    return method.upper()


def check_header(name: str, value: str) -> tuple[str, str]:
    """A (name, value) header pair, stripped; ValueError for a bad name or a line break."""
    name, value = name.strip(), value.strip()
    if not _TOKEN.match(name):
        raise ValueError(
            f"invalid header name {name!r}: use letters, digits and '-', e.g. 'Accept: text/html'"
        )
    if "\r" in value or "\n" in value or "\0" in value:
        raise ValueError(f"invalid value for header {name!r}: it must not contain line breaks")
    return name, value


def parse_header_line(line: str) -> tuple[str, str]:
    """Parse `'Name: value'`; ValueError naming the line when it has no colon or a bad name."""
    name, colon, value = line.partition(":")
    if not colon or not name.strip():
        raise ValueError(
            f"invalid header {_shown_header(line)!r}: write it as 'Name: value', e.g. 'Accept: */*'"
        )
    return check_header(name, value)


def has_header(headers: Iterable[tuple[str, str]], name: str) -> bool:
    """True when `headers` contains `name` (case-insensitive)."""
    lowered = name.lower()
    return any(key.lower() == lowered for key, _ in headers)


def endpoint_from_options(
    url: str,
    method: str = "GET",
    headers: Sequence[str] = (),
    body: str | None = None,
    json_body: str | None = None,
    auth_token: str | None = None,
    name: str | None = None,
    expect_status: Sequence[int] = (),
    expect_body: str | None = None,
    expect_json: Sequence[str] = (),
) -> EndpointSpec:
    """The EndpointSpec of URL mode, from CLI option values; EndpointOptionError on bad input.

    `headers` are `'Name: value'` strings; `json_body` must parse as JSON and sets
    `Content-Type: application/json` (unless a Content-Type header is given); `auth_token`
    becomes `Authorization: Bearer TOKEN`. `expect_*` become the spec's Expectations (see
    `expectations_from_options`).
    """
    try:
        checked_url = check_url(url)
    except ValueError as exc:
        raise EndpointOptionError("URL", str(exc)) from None
    try:
        checked_method = check_method(method)
    except ValueError as exc:
        raise EndpointOptionError("--method", str(exc)) from None
    pairs: list[tuple[str, str]] = []
    for line in headers:
        try:
            pairs.append(parse_header_line(line))
        except ValueError as exc:
            raise EndpointOptionError("--header", str(exc)) from None
    if body is not None and json_body is not None:
        raise EndpointOptionError("--json", "give either --body or --json, not both")
    payload: bytes | None = None
    if json_body is not None:
        try:
            json.loads(json_body)
        except ValueError as exc:
            raise EndpointOptionError(
                "--json", f"the value is not valid JSON ({exc}); quote it for your shell"
            ) from None
        payload = json_body.encode("utf-8")
        if not has_header(pairs, "Content-Type"):
            pairs.append(("Content-Type", JSON_CONTENT_TYPE))
    elif body is not None:
        payload = body.encode("utf-8")
    if auth_token is not None:
        token = auth_token.strip()
        if not token or any(c.isspace() for c in token):
            raise EndpointOptionError("--auth-token", "the token must be non-empty without spaces")
        if has_header(pairs, "Authorization"):
            raise EndpointOptionError(
                "--auth-token", "give either --auth-token or an Authorization header, not both"
            )
        pairs.append(("Authorization", f"Bearer {token}"))
    return EndpointSpec(
        method=checked_method,
        url=checked_url,
        headers=tuple(pairs),
        body=payload,
        name=name or None,
        expect=expectations_from_options(expect_status, expect_body, expect_json),
    )


def expectations_from_options(
    expect_status: Sequence[int] = (),
    expect_body: str | None = None,
    expect_json: Sequence[str] = (),
) -> Expectations | None:
    """The Expectations of `--expect-status/--expect-body/--expect-json`; None when none given.

    `expect_json` items are `PATH=VALUE`: VALUE is parsed as JSON when it parses (`3`, `true`,
    `"3"`, `[1,2]`), else taken as a string. EndpointOptionError names the flag on bad input.
    """
    codes: list[int] = []
    for code in expect_status:
        if isinstance(code, bool) or not isinstance(code, int) or not 100 <= code <= 599:
            raise EndpointOptionError(
                "--expect-status", f"invalid status code {code!r}: use a number 100-599, e.g. 200"
            )
        if code not in codes:
            codes.append(code)
    if expect_body is not None and not expect_body:
        raise EndpointOptionError(
            "--expect-body", "give the text the response body must contain, e.g. 'ok'"
        )
    expectations = Expectations(
        status=tuple(codes),
        body=expect_body,
        json=tuple(_json_expectation(item) for item in expect_json),
    )
    return None if expectations.empty else expectations


def _json_expectation(item: str) -> JsonExpectation:
    path, equals, text = item.partition("=")
    if not equals or not path.strip():
        raise EndpointOptionError(
            "--expect-json",
            f"invalid expectation {item!r}: write it as PATH=VALUE, e.g. data.id=3 or status=ok",
        )
    try:
        steps = parse_json_path(path)
    except ValueError as exc:
        raise EndpointOptionError("--expect-json", str(exc)) from None
    try:
        value = json.loads(text)
    except ValueError:
        value = text
    value_json = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return JsonExpectation(json_path_text(steps), value_json)
