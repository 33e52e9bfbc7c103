"""Loading a TOML file of predefined endpoint scenarios, run one after another.

```toml
[defaults]                 # optional: option values (and headers) for every scenario
users = 10

[scenarios.list_items]
url = "http://127.0.0.1:8000/items?page=1"   # or a path, "/items?page=1", with --host
method = "GET"
headers = { Accept = "application/json" }
users = 20
expect_status = [200, 304]
thresholds = ["p95<200ms", { expr = "error_rate<1%", abort_on_fail = true, grace = "10s" }]
```

Option values are checked for type and normalised (stage tables to the `--stages` text, JSON
expectations to `PATH=VALUE` strings); thresholds stay unparsed `ThresholdEntry`s with their
`file:line` — the thresholds stage parses them, and this stage does not depend on it.

Every mistake becomes a ScenarioError naming the file, the line of the offending key and what to
do instead.
"""

from __future__ import annotations

import contextlib
import difflib
import json
import math
import re
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from surge.scenario.endpoint import (
    JSON_CONTENT_TYPE,
    check_header,
    check_method,
    check_url,
    has_header,
)
from surge.scenario.errors import ScenarioError
from surge.scenario.model import (
    OVERRIDE_KEYS,
    OptionSource,
    Scenario,
    ScenarioKind,
    ThresholdEntry,
)
from surge.scenario.spec import EndpointSpec
from surge.scenario.toml_positions import TomlPositions, quote_key
from surge.units import parse_duration

ENDPOINT_KEYS: tuple[str, ...] = ("url", "method", "headers", "json", "body", "name")
SCENARIO_KEYS: tuple[str, ...] = tuple(sorted((*ENDPOINT_KEYS, *OVERRIDE_KEYS, "thresholds")))
DEFAULTS_KEYS: tuple[str, ...] = tuple(sorted((*OVERRIDE_KEYS, "headers", "thresholds")))
THRESHOLD_TABLE_KEYS: tuple[str, ...] = ("expr", "abort_on_fail", "grace")
TOP_LEVEL_KEYS: tuple[str, ...] = ("defaults", "scenarios")

_DECODE_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")
_T = TypeVar("_T")


class _ItemError(ValueError):
    """A bad item of an array value; `index` lets the error name the item's own line."""

    def __init__(self, index: int, message: str, item: object) -> None:
        super().__init__(message)
        self.index = index
        self.item = item


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
    """Durations are checked here (so a bad one names its line) and stay text for the run
    config to read with the same parser; bare numbers are seconds."""
    if isinstance(value, str) and value.strip():
        with contextlib.suppress(ValueError):
            if parse_duration(value) > 0:
                return value.strip()
    number = _number(value)
    if number is not None and number > 0:
        return f"{value}s"
    raise ValueError('must be a duration string like "30s", "5m" or "1h"')


def _plain(number: float) -> str:
    """250 -> "250", 12.5 -> "12.5": numbers as the option parsers read them back."""
    return str(int(number)) if number.is_integer() else repr(number)


def _duration_s(value: object) -> float:
    """Seconds in a duration string ("10s", "1m30s", "500ms") or a number, 0 or more."""
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        with contextlib.suppress(ValueError):
            seconds = parse_duration(value)
            if math.isfinite(seconds):
                return seconds
    raise ValueError('must be a duration like "10s", "1m" or "500ms", or a number of seconds')


def _each(value: list[object], check: Callable[[object], _T]) -> list[_T]:
    """`check` applied to every item; a failure names the item (and so its line)."""
    checked: list[_T] = []
    for index, item in enumerate(value):
        try:
            checked.append(check(item))
        except ValueError as exc:
            raise _ItemError(index, str(exc), item) from None
    return checked


def _positive(value: object, example: str) -> float:
    number = _number(value)
    if number is None or number <= 0:
        raise ValueError(f"must be a number more than 0, e.g. {example}")
    return number


def _arrivals(value: object) -> str:
    choice = value.strip().lower() if isinstance(value, str) else None
    if choice not in ("uniform", "poisson"):
        raise ValueError('must be "uniform" (evenly spaced) or "poisson" (random gaps)')
    return choice


_STAGE_HELP = (
    'an array of tables like [{ duration = "30s", users = 100 }] or '
    '[{ duration = "30s", rate = 50 }] (arrivals per second)'
)


def _stage(item: object) -> tuple[str, str]:
    """One stage table as `30s:100` (users) or `30s:50/s` (rate), and which of the two it is."""
    keys = set(item) if isinstance(item, dict) else set()
    if not isinstance(item, dict) or keys not in ({"duration", "users"}, {"duration", "rate"}):
        raise ValueError(
            f"must be a table with a duration and either users or rate, as in {_STAGE_HELP}"
        )
    duration, seconds = item["duration"], _number(item["duration"])
    if seconds is not None and seconds >= 0:
        duration = f"{_plain(seconds)}s"
    elif not isinstance(duration, str) or not duration.strip():
        raise ValueError('has a bad duration: use a string like "30s" or a number of seconds')
    kind = "users" if "users" in keys else "rate"
    target = _number(item[kind])
    if target is None or target < 0 or (kind == "users" and not isinstance(item[kind], int)):
        raise ValueError(
            f"has a bad {kind} target: use a {'whole ' if kind == 'users' else ''}number, 0 or more"
        )
    return f"{duration.strip()}:{_plain(target)}{'/s' if kind == 'rate' else ''}", kind


def _stages(value: object) -> str:
    """The `--stages` text (the schedule stage parses it) from a string or an array of tables."""
    if isinstance(value, str) and value.strip():
        return value.strip()
    if not isinstance(value, list) or not value:
        raise ValueError(
            'must be a string like "30s:100,1m:100" (users) or "30s:50/s,1m:200/s" (rate), '
            f"or {_STAGE_HELP}"
        )
    stages = _each(value, _stage)
    for index, (_, kind) in enumerate(stages):
        if kind != stages[0][1]:
            raise _ItemError(
                index,
                f"sets {kind} but the first stage sets {stages[0][1]}: "
                "all stages of a run set users, or all set rate",
                value[index],
            )
    return ",".join(part for part, _ in stages)


def _status(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 100 <= value <= 599:
        raise ValueError("must be an HTTP status code from 100 to 599, e.g. 200")
    return value


def _statuses(value: object) -> tuple[int, ...]:
    if not isinstance(value, list):
        return (_status(value),)
    if not value:
        raise ValueError("must list at least one status code, e.g. [200, 201]")
    return tuple(_each(value, _status))


def _json_expectation(value: object) -> str:
    path, equals, _ = value.partition("=") if isinstance(value, str) else ("", "", "")
    if not equals or not path.strip():
        raise ValueError("must be a \"PATH=VALUE\" string, e.g. 'items.0.id=3' or 'status=\"ok\"'")
    return str(value)


def _flatten(table: Mapping[str, Any], prefix: str = "") -> list[str]:
    """`{ data = { count = 3 } }` (or `data.count = 3`) -> ['data.count=3'], values as JSON."""
    pairs: list[str] = []
    for key, item in table.items():
        if isinstance(item, dict) and item:
            pairs.extend(_flatten(item, f"{prefix}{key}."))
            continue
        try:
            encoded = json.dumps(item, separators=(",", ":"), ensure_ascii=False)
        except (TypeError, ValueError):
            raise ValueError(
                f"has a value for {prefix}{key} that is not plain JSON (TOML dates and times "
                "cannot be compared as JSON: quote them)"
            ) from None
        pairs.append(f"{prefix}{key}={encoded}")
    return pairs


def _json_expectations(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return (_json_expectation(value),)
    if isinstance(value, dict) and value:
        return tuple(_flatten(value))
    if isinstance(value, list) and value:
        return tuple(_each(value, _json_expectation))
    raise ValueError(
        'must be a "PATH=VALUE" string, an array of them, or a table like '
        '{ status = "ok", "items.0.id" = 3 }'
    )


def _text_option(value: object) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError("must be a non-empty string")
    return value


_OPTION_CHECKS: Mapping[str, Callable[[object], object]] = {
    "users": lambda v: _whole_number(v, "users = 10"),
    "requests_per_user": lambda v: _whole_number(v, "requests_per_user = 100"),
    "think_time": lambda v: _seconds(v, "think_time = 0.5"),
    "ramp_up": lambda v: _seconds(v, "ramp_up = 5"),
    "duration": _duration,
    "rate": lambda v: _positive(v, "rate = 50"),
    "arrivals": _arrivals,
    "max_in_flight": lambda v: _whole_number(v, "max_in_flight = 1000"),
    "stages": _stages,
    "expect_status": _statuses,
    "expect_body": _text_option,
    "expect_json": _json_expectations,
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

    def sources(self, table: Mapping[str, Any], *where: str) -> dict[str, OptionSource]:
        """Where each option of `table` (at `where`) is set in the file."""
        return {
            key: OptionSource(
                self.path,
                ".".join(quote_key(part) for part in (*where, key)),
                self.positions.line_of(*where, key),
                self.positions.item_lines(*where, key),
            )
            for key in OVERRIDE_KEYS
            if key in table
        }

    def item_line(self, index: int, *key_path: str) -> int | None:
        """The line of item `index` of the array at `key_path` (else of the key itself)."""
        lines = self.positions.item_lines(*key_path)
        return lines[index] if index < len(lines) else self.positions.line_of(*key_path)

    def location(self, line: int | None) -> str:
        """`file:line` as ThresholdEntry.where and error messages show it."""
        return f"{self.path}:{line}" if line is not None else str(self.path)

    def item_error(self, message: str, index: int, *key_path: str) -> ScenarioError:
        return ScenarioError(message, self.path, self.item_line(index, *key_path))

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
    default_thresholds = _thresholds(file, defaults, "defaults")
    scenarios = file.table(data.get("scenarios", {}), "scenarios")
    if not scenarios:
        raise ScenarioError(
            "no scenarios in this file: add a table like [scenarios.home] with "
            'url = "http://127.0.0.1:8000/"',
            toml_path,
        )
    return tuple(
        _scenario(
            file,
            name,
            file.table(table, "scenarios", name),
            _Defaults(
                default_overrides,
                default_headers,
                default_thresholds,
                file.sources(defaults, "defaults"),
            ),
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
            except _ItemError as exc:
                message = f"{key} item {exc.index + 1} {exc}, got {exc.item!r}"
                raise file.item_error(message, exc.index, *where, key) from None
            except ValueError as exc:
                raise file.error(f"{key} {exc}, got {table[key]!r}", *where, key) from None
    return values


def _threshold(item: object) -> tuple[str, bool, float | None]:
    """One `thresholds` item: an expression, or `{ expr = "...", abort_on_fail = true,
    grace = "10s" }`; returns the expression, abort_on_fail and the grace in seconds."""
    table = item if isinstance(item, dict) else {"expr": item}
    for key in table:
        if key not in THRESHOLD_TABLE_KEYS:
            close = difflib.get_close_matches(key, THRESHOLD_TABLE_KEYS, n=1, cutoff=0.5)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            names = ", ".join(THRESHOLD_TABLE_KEYS)
            raise ValueError(f"has unknown key {key!r}{hint}; a table has {names}")
    expr, abort = table.get("expr"), table.get("abort_on_fail", False)
    if not isinstance(expr, str) or not expr.strip():
        raise ValueError(
            'must be an expression like "p95<200ms" or a table like '
            '{ expr = "p95<200ms", abort_on_fail = true, grace = "10s" }'
        )
    if not isinstance(abort, bool):
        raise ValueError("has an abort_on_fail that is not true or false")
    try:
        grace_s = _duration_s(table["grace"]) if "grace" in table else None
    except ValueError as exc:
        raise ValueError(f"has a grace that {exc}") from None
    return expr, abort, grace_s


def _thresholds(
    file: _TomlFile, table: Mapping[str, Any], *where: str
) -> tuple[ThresholdEntry, ...]:
    """The table's thresholds, unparsed, each with the `file:line` of its own item."""
    if "thresholds" not in table:
        return ()
    value, key = table["thresholds"], (*where, "thresholds")
    if not isinstance(value, list):
        raise file.error(
            'thresholds must be an array, e.g. thresholds = ["p95<200ms", "error_rate<1%"]', *key
        )
    try:
        items = _each(value, _threshold)
    except _ItemError as exc:
        message = f"thresholds item {exc.index + 1} {exc}, got {exc.item!r}"
        raise file.item_error(message, exc.index, *key) from None
    return tuple(
        ThresholdEntry(expr, file.location(file.item_line(index, *key)), abort, grace_s)
        for index, (expr, abort, grace_s) in enumerate(items)
    )


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


class _Defaults(NamedTuple):
    """What `[defaults]` gives every scenario: option values, headers and thresholds."""

    overrides: Mapping[str, object]
    headers: list[tuple[str, str]]
    thresholds: tuple[ThresholdEntry, ...]
    sources: Mapping[str, OptionSource]


def _scenario(
    file: _TomlFile, name: str, table: Mapping[str, Any], defaults: _Defaults
) -> Scenario:
    where = ("scenarios", name)
    title = f"[scenarios.{quote_key(name)}]"
    file.check_keys(table, SCENARIO_KEYS, *where)
    if "url" not in table:
        raise file.error(f'{title} has no url; add url = "http://127.0.0.1:8000/path"', *where)
    try:
        url = _url(_text(file, table, "url", where))
    except ValueError as exc:
        raise file.error(str(exc), *where, "url") from None
    method = "GET"
    if "method" in table:
        try:
            method = check_method(_text(file, table, "method", where))
        except ValueError as exc:
            raise file.error(str(exc), *where, "method") from None
    own_headers = _headers(file, table.get("headers", {}), *where)
    headers = [h for h in defaults.headers if not has_header(own_headers, h[0])] + own_headers
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
        overrides={**defaults.overrides, **_overrides(file, table, *where)},
        thresholds=defaults.thresholds + _thresholds(file, table, *where),
        option_sources={**defaults.sources, **file.sources(table, *where)},
    )


def _url(text: str) -> str:
    """An absolute http(s) URL, or a path (`/api/health`) that the run's `--host` completes."""
    if text.startswith("/"):
        check_url("http://host" + text)  # the rest of it must make a URL
        return text
    return check_url(text)


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
