"""Declarative endpoint specs: the load of URL mode and of TOML scenario files."""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True, slots=True)
class JsonExpectation:
    """The JSON body has `value` at `path` (dotted, see `surge.scenario.checks`).

    `value_json` is the expected value as JSON text, so the spec stays hashable and picklable
    whatever the value (a list, an object, null).
    """

    path: str
    value_json: str

    @property
    def value(self) -> object:
        return json.loads(self.value_json)


@dataclass(frozen=True, slots=True)
class Expectations:
    """What a response of a declarative endpoint must look like to count as a success.

    `status`: any of these codes is a success, even one ≥ 400 (empty: the usual < 400 rule).
    `body`: text the body must contain. `json`: values the JSON body must have.
    Each expectation is also counted as a named check of the endpoint.
    """

    status: tuple[int, ...] = ()
    body: str | None = None
    json: tuple[JsonExpectation, ...] = ()

    @property
    def empty(self) -> bool:
        """True when nothing is expected (the usual rule applies)."""
        return not (self.status or self.body is not None or self.json)


@dataclass(frozen=True, slots=True)
class EndpointSpec:
    """One HTTP request, repeated by every virtual user of a URL-mode run.

    `expect` (None: no expectations) decides which responses are successes; see Expectations.
    """

    method: str
    url: str
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes | None = None
    name: str | None = None
    expect: Expectations | None = None

    @property
    def endpoint_name(self) -> str:
        """The name results are grouped under: `name`, else the URL path without its query."""
        if self.name:
            return self.name
        return urlsplit(self.url).path or "/"
