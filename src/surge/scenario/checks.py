"""Response checks: named pass/fail assertions on a response that are counted, never raised.

A load test wants to know *how often* a response was wrong, not to stop at the first wrong one
(k6's `check`). Each check here is a small frozen value with a readable `name` and a pure
`__call__(response) -> bool`; the engine counts every evaluation per check name and endpoint.

```python
from surge.scenario.checks import body_contains, json_path, status

r = await self.http.get("/items", checks=[status(200), json_path("items.0.id", equals=3)])
r.check(body_contains("ok"))  # later, on any response: records and returns True/False
```

JSON paths are dotted, with integer steps indexing arrays and an optional leading `$.`:
`items.0.id` and `$.items.0.id` name the same value. The building blocks (`parse_json_path`,
`find_json`, `json_equal`) are shared with the engine's URL-mode expectations, so a path means
the same in a script, on the command line and in a TOML file.
"""

from __future__ import annotations

import json as jsonlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

from surge.scenario.protocols import Check as Check  # re-exported: the engine names it here
from surge.scenario.protocols import Response


class _Missing:
    """The type of MISSING: "no value here", distinct from JSON null (None)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final = _Missing()
JsonStep = str | int
_INDEX = re.compile(r"^(0|[1-9][0-9]*)$")
_BRACKETS = re.compile(r"\[(\d+)\]")


def evaluate(check: Check, response: Response) -> bool:
    """`check(response)` as a bool, with any exception (a broken body, a user bug) a failure."""
    try:
        return bool(check(response))
    except Exception:
        return False


# -- JSON paths ----------------------------------------------------------------------------


def parse_json_path(path: str) -> tuple[JsonStep, ...]:
    """The steps of a dotted path (`items.0.id`, optional leading `$.`; `$` is the document).

    Integer steps index arrays (and still match a string key "0" in an object). ValueError
    says what to write instead for empty steps or `[0]`-style indexes.
    """
    text = path.strip()
    if text == "$":
        return ()
    text = text.removeprefix("$.")
    if not text:
        raise ValueError("empty JSON path: name a field, e.g. data.id or items.0.name")
    if "[" in text:
        suggestion = _BRACKETS.sub(r".\1", text)
        raise ValueError(
            f"invalid JSON path {path!r}: index arrays with a dot, e.g. {suggestion!r}"
        )
    steps: list[JsonStep] = []
    for part in text.split("."):
        if not part:
            raise ValueError(
                f"invalid JSON path {path!r}: it has an empty step; write e.g. data.items.0.id"
            )
        steps.append(int(part) if _INDEX.match(part) else part)
    return tuple(steps)


def json_path_text(steps: Sequence[JsonStep]) -> str:
    """The canonical text of parsed steps (no `$.` prefix; `$` for the whole document)."""
    return ".".join(str(step) for step in steps) if steps else "$"


def find_json(document: object, steps: Sequence[JsonStep]) -> object:
    """The value at `steps` inside a parsed JSON document, or MISSING when there is none."""
    current = document
    for step in steps:
        if isinstance(current, dict):
            key = str(step)
            if key not in current:
                return MISSING
            current = current[key]
        elif isinstance(current, list) and isinstance(step, int):
            if step >= len(current):
                return MISSING
            current = current[step]
        else:
            return MISSING
    return current


def json_equal(actual: object, expected: object) -> bool:
    """JSON equality: like `==`, except that true/false never equal the numbers 1/0."""
    if isinstance(actual, bool) or isinstance(expected, bool):
        return type(actual) is type(expected) and actual == expected
    if isinstance(actual, list) and isinstance(expected, list | tuple):
        return len(actual) == len(expected) and all(
            json_equal(a, e) for a, e in zip(actual, expected, strict=True)
        )
    if isinstance(actual, dict) and isinstance(expected, dict):
        return actual.keys() == expected.keys() and all(
            json_equal(actual[k], expected[k]) for k in actual
        )
    if isinstance(actual, list | dict) or isinstance(expected, list | dict | tuple):
        return False
    return bool(actual == expected)


def json_text(value: object) -> str:
    """A value as it reads in JSON (for check names and messages): `"ok"`, `3`, `true`."""
    try:
        return jsonlib.dumps(value, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError):
        return repr(value)


def parse_json_body(content: bytes) -> object:
    """The parsed body, or MISSING when it is not JSON (empty, invalid, not UTF-8)."""
    try:
        return jsonlib.loads(content)
    except ValueError:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        return MISSING


# -- check names (shared with the engine's expectations) ------------------------------------


def status_name(codes: Sequence[int]) -> str:
    return "status is " + " or ".join(str(code) for code in codes)


def body_name(text: str) -> str:
    return f"body contains {text!r}"


def json_name(steps: Sequence[JsonStep], expected: object) -> str:
    where = json_path_text(steps)
    if expected is MISSING:
        return f"json {where} exists"
    return f"json {where} == {json_text(expected)}"


# -- the checks ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StatusCheck:
    """Passes when the status is one of `codes` (a response that never arrived has status 0)."""

    codes: tuple[int, ...]
    name: str

    def matches(self, status: int) -> bool:
        return status in self.codes

    def __call__(self, response: Response, /) -> bool:
        return response.status in self.codes


@dataclass(frozen=True, slots=True)
class HeaderCheck:
    """Passes when header `header_name` is present (and, with `equals`, has exactly that value)."""

    header_name: str
    equals: str | None
    name: str

    def __call__(self, response: Response, /) -> bool:
        value = response.headers.get(self.header_name)
        if value is None:
            return False
        return self.equals is None or value == self.equals


@dataclass(frozen=True, slots=True)
class BodyCheck:
    """Passes when the (decoded) body contains `text`, compared as UTF-8 bytes."""

    text: str
    name: str
    needle: bytes = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "needle", self.text.encode("utf-8"))

    def matches(self, content: bytes) -> bool:
        return self.needle in content

    def __call__(self, response: Response, /) -> bool:
        return self.needle in response.content


@dataclass(frozen=True, slots=True)
class JsonPathCheck:
    """Passes when the body is JSON with a value at `steps` (equal to `expected` unless MISSING).

    An invalid or empty body fails the check, it never raises.
    """

    steps: tuple[JsonStep, ...]
    expected: object
    name: str

    def matches(self, document: object) -> bool:
        """The verdict on an already parsed body (MISSING for a body that is not JSON)."""
        if document is MISSING:
            return False
        found = find_json(document, self.steps)
        if found is MISSING:
            return False
        return self.expected is MISSING or json_equal(found, self.expected)

    def __call__(self, response: Response, /) -> bool:
        return self.matches(parse_json_body(response.content))


@dataclass(frozen=True, slots=True)
class LatencyCheck:
    """Passes when the response took less than `limit_ms` (its `elapsed`: send to last byte)."""

    limit_ms: float
    name: str

    def __call__(self, response: Response, /) -> bool:
        return response.elapsed.total_seconds() * 1000.0 < self.limit_ms


# -- constructors --------------------------------------------------------------------------


def status(*codes: int, name: str | None = None) -> StatusCheck:
    """The status is one of `codes`: `status(200)` is named "status is 200"."""
    if not codes:
        raise ValueError("status() needs at least one status code, e.g. status(200)")
    for code in codes:
        if isinstance(code, bool) or not isinstance(code, int) or not 100 <= code <= 599:
            raise ValueError(f"invalid status code {code!r}: use a number 100-599, e.g. 200")
    return StatusCheck(tuple(codes), name or status_name(codes))


def header(
    header_name: str, /, equals: str | None = None, *, name: str | None = None
) -> HeaderCheck:
    """Header `header_name` is present ("header X-Id present"), or equal to `equals`."""
    if not header_name.strip():
        raise ValueError("header() needs a header name, e.g. header('Content-Type')")
    default = (
        f"header {header_name} present" if equals is None else f"header {header_name} == {equals!r}"
    )
    return HeaderCheck(header_name.strip(), equals, name or default)


def body_contains(text: str, *, name: str | None = None) -> BodyCheck:
    """The body contains `text`: `body_contains("ok")` is named "body contains 'ok'"."""
    if not text:
        raise ValueError("body_contains() needs the text to look for, e.g. body_contains('ok')")
    return BodyCheck(text, name or body_name(text))


def json_path(path: str, equals: object = MISSING, *, name: str | None = None) -> JsonPathCheck:
    """The JSON body has a value at `path` ("json data.id exists"), or one equal to `equals`.

    `json_path("items.0.id", equals=3)` is named "json items.0.id == 3". `equals=None` expects
    JSON null. ValueError for a malformed path (see `parse_json_path`).
    """
    steps = parse_json_path(path)
    return JsonPathCheck(steps, equals, name or json_name(steps, equals))


def latency_under(limit_ms: float, *, name: str | None = None) -> LatencyCheck:
    """The response took less than `limit_ms` milliseconds ("latency < 200ms")."""
    if isinstance(limit_ms, bool) or not isinstance(limit_ms, int | float) or limit_ms <= 0:
        raise ValueError(f"latency_under() needs a positive number of ms, got {limit_ms!r}")
    return LatencyCheck(float(limit_ms), name or f"latency < {limit_ms:g}ms")
