"""Loading a TOML file of predefined endpoint scenarios, run one after another.

```toml
[defaults]                 # optional: option values (and headers) for every scenario
users = 10

[scenarios.list_items]
url = "http://127.0.0.1:8000/items?page=1"
method = "GET"
headers = { Accept = "application/json" }
users = 20
```

Every mistake becomes a ScenarioError naming the file, the line of the offending key and what to
do instead.
"""

from __future__ import annotations

import difflib
import json
import math
import re
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from surge.scenario.endpoint import (
    JSON_CONTENT_TYPE,
    check_header,
    check_method,
    check_url,
    has_header,
)
from surge.scenario.errors import ScenarioError
from surge.scenario.model import OVERRIDE_KEYS, Scenario, ScenarioKind
from surge.scenario.spec import EndpointSpec
from surge.scenario.toml_positions import TomlPositions, quote_key

ENDPOINT_KEYS: tuple[str, ...] = ("url", "method", "headers", "json", "body", "name")
SCENARIO_KEYS: tuple[str, ...] = tuple(sorted(ENDPOINT_KEYS + OVERRIDE_KEYS))
DEFAULTS_KEYS: tuple[str, ...] = tuple(sorted((*OVERRIDE_KEYS, "headers")))
TOP_LEVEL_KEYS: tuple[str, ...] = ("defaults", "scenarios")

_DECODE_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")


def _number(value: object) -> float | None:
    """`value` as a finite float when it is an int or float (not a bool), else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _whole_number(value: object, example: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"must be a whole number of 1 or more, e.g. {example}")
    return value


def _seconds(value: object, example: str) -> float:
    number = _number(value)
    if number is None or number < 0:
        raise ValueError(f"must be a number of seconds, 0 or more, e.g. {example}")
    return number


def _duration(value: object) -> str:
    """Durations stay strings for the CLI's option table to parse; bare numbers are seconds."""
    if isinstance(value, str) and value.strip():
        return value.strip()
    number = _number(value)
    if number is not None and number > 0:
        return f"{value}s"
    raise ValueError('must be a duration string like "30s", "5m" or "1h"')


_OPTION_CHECKS: Mapping[str, Callable[[object], object]] = {
    "users": lambda v: _whole_number(v, "users = 10"),
    "requests_per_user": lambda v: _whole_number(v, "requests_per_user = 100"),
    "think_time": lambda v: _seconds(v, "think_time = 0.5"),
    "ramp_up": lambda v: _seconds(v, "ramp_up = 5"),
    "duration": _duration,
}


class _TomlFile:
    """The file being loaded: its path as the user named it and where each key is."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.positions = TomlPositions(text)

    def error(self, message: str, *key_path: str) -> ScenarioError:
        return ScenarioError(message, self.path, self.positions.line_of(*key_path))

    def check_keys(self, table: Mapping[str, Any], allowed: tuple[str, ...], *where: str) -> None:
        for key in table:
            if key in allowed:
                continue
            title = ".".join(quote_key(part) for part in where)
            message = f"unknown key {key!r} in [{title}] (expected one of: {', '.join(allowed)})"
            close = difflib.get_close_matches(key, allowed, n=1)
            if close:
                message += f"; did you mean {close[0]!r}?"
            raise self.error(message, *where, key)

    def table(self, value: object, *where: str) -> Mapping[str, Any]:
        if not isinstance(value, dict):
            title = ".".join(quote_key(part) for part in where)
            raise self.error(f"{title} must be a table, e.g. [{title}]", *where)
        return value


def load_toml(path: str | Path) -> tuple[Scenario, ...]:
    """Load every `[scenarios.NAME]` table of a TOML file as an ENDPOINT Scenario, in file order."""
    toml_path = Path(path)
    text = _read_text(toml_path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _decode_error(exc, toml_path, text) from None
    file = _TomlFile(toml_path, text)
    file.check_keys(data, TOP_LEVEL_KEYS)
    defaults = file.table(data.get("defaults", {}), "defaults")
    file.check_keys(defaults, DEFAULTS_KEYS, "defaults")
    default_overrides = _overrides(file, defaults, "defaults")
    default_headers = _headers(file, defaults.get("headers", {}), "defaults")
    scenarios = file.table(data.get("scenarios", {}), "scenarios")
    if not scenarios:
        raise ScenarioError(
            "no scenarios in this file: add a table like [scenarios.home] with "
            'url = "http://127.0.0.1:8000/"',
            toml_path,
        )
    return tuple(
        _scenario(
            file, name, file.table(table, "scenarios", name), default_overrides, default_headers
        )
        for name, table in scenarios.items()
    )


def _read_text(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ScenarioError("scenario file not found; check the path", path) from None
    except OSError as exc:
        raise ScenarioError(f"cannot read scenario file: {exc.strerror or exc}", path) from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ScenarioError("the file is not valid UTF-8; save it as UTF-8", path, line) from None


def _decode_error(exc: tomllib.TOMLDecodeError, path: Path, text: str) -> ScenarioError:
    message = str(exc)
    match = _DECODE_POSITION.search(message)
    if match:
        line: int | None = int(match.group(1))
        message = f"{message[: match.start()]} (column {match.group(2)})"
    elif message.endswith("(at end of document)"):
        line = max(1, len(text.splitlines()))
        message = message.removesuffix(" (at end of document)") + " at the end of the file"
    else:
        line = None
    return ScenarioError(f"invalid TOML: {message}", path, line)


def _overrides(file: _TomlFile, table: Mapping[str, Any], *where: str) -> dict[str, object]:
    values: dict[str, object] = {}
    for key in OVERRIDE_KEYS:
        if key in table:
            try:
                values[key] = _OPTION_CHECKS[key](table[key])
            except ValueError as exc:
                raise file.error(f"{key} {exc}, got {table[key]!r}", *where, key) from None
    return values


def _headers(file: _TomlFile, value: object, *where: str) -> list[tuple[str, str]]:
    if not isinstance(value, dict):
        raise file.error(
            'headers must be a table, e.g. headers = { Accept = "application/json" }',
            *where,
            "headers",
        )
    pairs: list[tuple[str, str]] = []
    for name, header_value in value.items():
        if not isinstance(header_value, str):
            raise file.error(
                f"header {name!r} must be a string; quote it, e.g. {quote_key(name)} = "
                f'"{header_value}"',
                *where,
                "headers",
                name,
            )
        try:
            pairs.append(check_header(name, header_value))
        except ValueError as exc:
            raise file.error(str(exc), *where, "headers", name) from None
    return pairs


def _text(file: _TomlFile, table: Mapping[str, Any], key: str, where: tuple[str, ...]) -> str:
    value = table[key]
    if not isinstance(value, str) or not value:
        raise file.error(f"{key} must be a non-empty string, got {value!r}", *where, key)
    return value


def _scenario(
    file: _TomlFile,
    name: str,
    table: Mapping[str, Any],
    default_overrides: Mapping[str, object],
    default_headers: list[tuple[str, str]],
) -> Scenario:
    where = ("scenarios", name)
    title = f"[scenarios.{quote_key(name)}]"
    file.check_keys(table, SCENARIO_KEYS, *where)
    if "url" not in table:
        raise file.error(f'{title} has no url; add url = "http://127.0.0.1:8000/path"', *where)
    try:
        url = check_url(_text(file, table, "url", where))
    except ValueError as exc:
        raise file.error(str(exc), *where, "url") from None
    method = "GET"
    if "method" in table:
        try:
            method = check_method(_text(file, table, "method", where))
        except ValueError as exc:
            raise file.error(str(exc), *where, "method") from None
    own_headers = _headers(file, table.get("headers", {}), *where)
    headers = [h for h in default_headers if not has_header(own_headers, h[0])] + own_headers
    body = _body(file, table, where, headers)
    endpoint = EndpointSpec(
        method=method,
        url=url,
        headers=tuple(headers),
        body=body,
        name=_text(file, table, "name", where) if "name" in table else None,
    )
    return Scenario(
        name=name,
        kind=ScenarioKind.ENDPOINT,
        source=file.path,
        endpoint=endpoint,
        overrides={**default_overrides, **_overrides(file, table, *where)},
    )


def _body(
    file: _TomlFile,
    table: Mapping[str, Any],
    where: tuple[str, ...],
    headers: list[tuple[str, str]],
) -> bytes | None:
    """The request body from `json` (adds Content-Type) or `body`; appends to `headers`."""
    if "json" in table and "body" in table:
        second = max(("json", "body"), key=lambda k: file.positions.line_of(*where, k) or 0)
        raise file.error(
            "give either json (a TOML value sent as JSON) or body (a raw string), not both",
            *where,
            second,
        )
    if "json" in table:
        try:
            payload = json.dumps(table["json"], separators=(",", ":"), ensure_ascii=False)
        except (TypeError, ValueError):
            raise file.error(
                "json must hold plain values (strings, numbers, booleans, arrays, tables); "
                "TOML dates and times cannot be sent as JSON, quote them",
                *where,
                "json",
            ) from None
        if not has_header(headers, "Content-Type"):
            headers.append(("Content-Type", JSON_CONTENT_TYPE))
        return payload.encode("utf-8")
    if "body" in table:
        body = table["body"]
        if not isinstance(body, str):
            raise file.error(
                "body must be a string; to send structured data as JSON use json = { ... }",
                *where,
                "body",
            )
        return body.encode("utf-8")
    return None
