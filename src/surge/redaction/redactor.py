"""One redactor per run: built from the secrets the run actually used, applied once to the
RunResult before any output (terminal, JSON, CSV, JUnit, text, HTML) or the store sees it.

    redactor = Redactor.build(values=["s3cr3t-token"], names=["X-Tenant-Key", "sig"])
    clean = redactor.scrub(result)          # every string in the result, at any depth

`text()` replaces every occurrence of a secret value (also percent-encoded), masks the values
of the named headers and query parameters, then applies the pattern rules of
`surge.redaction.rules` as a second line of defence for secrets nobody named.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, quote_plus

from surge.metrics.histogram import Histogram
from surge.metrics.values import CheckCount
from surge.redaction.rules import MASK, QUERY_VALUE_END, redact_text

MIN_SECRET_CHARS = 4
"""Secret values shorter than this are masked where they are used (header, URL, option) but not
searched for in free text: replacing every `ab` or `1` would garble names and numbers."""


@dataclass(frozen=True, slots=True)
class Redactor:
    """Masks known secret values and named header/query values as `***` in any text.

    `secrets` are exact values, longest first; `names` are lower-case header or query-parameter
    names whose values are masked wherever `Name: value` or `name=value` appears.
    """

    secrets: tuple[str, ...] = ()
    names: frozenset[str] = frozenset()
    _named: re.Pattern[str] | None = field(default=None, repr=False, compare=False)

    @classmethod
    def build(cls, values: Iterable[str] = (), names: Iterable[str] = ()) -> Redactor:
        """A redactor for these secret values and header/query names."""
        found: set[str] = set()
        for value in values:
            value = str(value).strip()
            if len(value) < MIN_SECRET_CHARS:
                continue
            found.update({value, quote(value, safe=""), quote_plus(value)})
        lowered = frozenset(n.strip().lower() for n in names if n.strip())
        named = None
        if lowered:
            alternatives = "|".join(re.escape(n) for n in sorted(lowered, key=len, reverse=True))
            named = re.compile(
                rf"(?P<q>[?&;](?:{alternatives})=)[^&#\s]*?{QUERY_VALUE_END}"
                rf"|(?P<h>^\s*(?:{alternatives})\s*:\s*).+$",
                re.IGNORECASE | re.MULTILINE,
            )
        ordered = tuple(sorted(found, key=lambda s: (-len(s), s)))
        return cls(secrets=ordered, names=lowered, _named=named)

    def text(self, text: str) -> str:
        """`text` with every secret masked."""
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        if self._named is not None:
            text = self._named.sub(_mask_named, text)
        return redact_text(text)

    def scrub(self, value: Any) -> Any:
        """`value` (a RunResult or any frozen value, mapping, sequence) with every string in it
        masked; mapping keys that become equal are merged (counts added)."""
        return _walk(value, self.text)


def _mask_named(match: re.Match[str]) -> str:
    prefix = match.group("q") or match.group("h")
    return f"{prefix}{MASK}"


def _merge(old: Any, new: Any) -> Any:
    """Two values under keys that redaction made equal: counts add up, else the first stays."""
    if type(old) is type(new) and isinstance(old, int | float | CheckCount):
        total: Any = old
        return total + new
    return old


def _walk(value: Any, text: Any) -> Any:
    if isinstance(value, str):
        return text(value)
    if value is None or isinstance(value, bool | int | float | Histogram):
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {}
        for item in dataclasses.fields(value):
            old = getattr(value, item.name)
            new = _walk(old, text)
            if new is not old:
                changes[item.name] = new
        return dataclasses.replace(value, **changes) if changes else value
    if isinstance(value, Mapping):
        out: dict[Any, Any] = {}
        changed = False
        for key, item in value.items():
            new_key, new_item = _walk(key, text), _walk(item, text)
            changed = changed or new_key != key or new_item is not item
            out[new_key] = _merge(out[new_key], new_item) if new_key in out else new_item
        return out if changed else value
    if isinstance(value, tuple | list):
        items = [_walk(item, text) for item in value]
        if all(new is old for new, old in zip(items, value, strict=True)):
            return value
        return type(value)(items) if isinstance(value, list) else tuple(items)
    return value


NO_REDACTION = Redactor()
"""A redactor with no known secrets: the pattern rules only."""
