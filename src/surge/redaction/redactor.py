"""One redactor per run: built from the secrets the run actually used, applied once to the
RunResult before any output (terminal, JSON, CSV, JUnit, text, HTML) or the store sees it.

    redactor = Redactor.build(values=["s3cr3t-token"], names=["X-Tenant-Key", "sig"])
    clean = redactor.scrub(result)          # every string in the result, at any depth

`text()` replaces every occurrence of a secret value (also percent-encoded), masks the values
of the named headers and query parameters, then applies the pattern rules of
`surge.redaction.rules` as a second line of defence for secrets nobody named.

A redactor made by `build` also learns secrets while the run goes (`learn_header`, see
learned.py): a token a scripted user sets in its own headers is masked from then on.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from surge.metrics.histogram import Histogram
from surge.metrics.values import CheckCount
from surge.redaction.learned import MIN_SECRET_CHARS, SecretBook, longest_first, variants
from surge.redaction.rules import (
    MASK,
    QUERY_VALUE_END,
    header_secrets,
    is_secret_cookie,
    redact_text,
)

__all__ = ["MIN_SECRET_CHARS", "NO_REDACTION", "Redactor"]

_MEMO_MAX = 16_384
_UNCHANGED = "\0unchanged"  # a memo entry: the text has nothing to mask (returned as is)


class _Memo:
    """Texts already masked (live messages and endpoint names repeat every second), valid while
    no new secret is learned (`version`: how many were learned)."""

    __slots__ = ("texts", "version")

    def __init__(self) -> None:
        self.version = 0
        self.texts: dict[str, str] = {}


@dataclass(frozen=True, slots=True)
class Redactor:
    """Masks known secret values and named header/query values as `***` in any text.

    `secrets` are exact values, longest first; `names` are lower-case header or query-parameter
    names whose values are masked wherever `Name: value` or `name=value` appears; `learned`
    holds the secrets learned during the run (None: this redactor learns nothing).
    """

    secrets: tuple[str, ...] = ()
    names: frozenset[str] = frozenset()
    _named: re.Pattern[str] | None = field(default=None, repr=False, compare=False)
    learned: SecretBook | None = field(default=None, repr=False, compare=False)
    _memo: _Memo = field(default_factory=_Memo, repr=False, compare=False)

    @classmethod
    def build(cls, values: Iterable[str] = (), names: Iterable[str] = ()) -> Redactor:
        """A redactor for these secret values and header/query names."""
        found: set[str] = set()
        for value in values:
            value = str(value).strip()
            if len(value) < MIN_SECRET_CHARS:
                continue
            found.update(variants(value))
        lowered = frozenset(n.strip().lower() for n in names if n.strip())
        named = None
        if lowered:
            alternatives = "|".join(re.escape(n) for n in sorted(lowered, key=len, reverse=True))
            named = re.compile(
                rf"(?P<q>[?&;](?:{alternatives})=)[^&#\s]*?{QUERY_VALUE_END}"
                rf"|(?P<h>^\s*(?:{alternatives})\s*:\s*).+$",
                re.IGNORECASE | re.MULTILINE,
            )
        return cls(longest_first(found), lowered, named, SecretBook(), _Memo())

    def learn(self, value: str) -> None:
        """A secret value met during the run: masked from now on (ignored without `learned`)."""
        if self.learned is not None:
            self.learned.add(value)

    def learn_header(self, name: str, value: str) -> None:
        """A header about to be sent: its value is learned when the header is secret
        (Authorization, Cookie, X-API-Key, a `--redact` name, a secret-looking name)."""
        if self.learned is not None:
            for secret in header_secrets(name, value, self.names):
                self.learned.add(secret)

    def learn_cookie(self, name: str, value: str) -> None:
        """A cookie a user holds: its value is learned when its name looks secret (`sessionid`,
        `sid`, `jwt`), is a `--redact` name, or the value is long (a session id)."""
        if self.learned is not None and is_secret_cookie(name, value, self.names):
            self.learned.add(value)

    def text(self, text: str) -> str:
        """`text` with every secret masked (`text` itself when there is none in it)."""
        memo = self._memo
        version = len(self.learned.values) if self.learned is not None else 0
        if memo.version != version:
            memo.texts, memo.version = {}, version
        found = memo.texts.get(text)
        if found is None:
            masked = self._mask(text)
            found = _UNCHANGED if masked == text else masked
            if len(memo.texts) >= _MEMO_MAX:
                memo.texts = {}
            memo.texts[text] = found
        return text if found is _UNCHANGED else found

    def _mask(self, text: str) -> str:
        secrets = self.secrets
        if self.learned:
            secrets = self.learned.ordered(secrets)
        for secret in secrets:
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


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}
_NO_TEXT: tuple[object, ...] = (int, float, bool, type(None), Histogram)


def _may_hold_text(hint: object) -> bool:
    """False for a type whose values hold no text (numbers, histograms, containers of them)."""
    if hint in _NO_TEXT:
        return False
    if typing.get_origin(hint) is None:
        return True  # str, a dataclass, an enum, Any …
    return any(_may_hold_text(arg) for arg in typing.get_args(hint) if arg is not Ellipsis)


def _field_names(cls: type) -> tuple[str, ...]:
    """The fields of a dataclass that may hold text, by their type hints (all of them when the
    hints cannot be read)."""
    found = _FIELD_NAMES.get(cls)
    if found is None:
        names = [f.name for f in dataclasses.fields(cls)]
        try:
            hints = typing.get_type_hints(cls)
        except Exception:  # an annotation that does not resolve: walk every field
            hints = {}
        found = tuple(n for n in names if n not in hints or _may_hold_text(hints[n]))
        _FIELD_NAMES[cls] = found
    return found


_ATOMS = (type(None), bool, int, float, Histogram)  # nothing to mask in these

# How `_walk` treats a value, decided once per type (a live view's second holds thousands of
# values: no dataclass or ABC test per value).
_ATOM, _TEXT, _FIELDS, _MAPPING, _SEQUENCE = range(5)
_HOW: dict[type, int] = {}


def _how(kind: type) -> int:
    if issubclass(kind, str):  # str, and a str enum's members
        return _TEXT
    if kind in _ATOMS or issubclass(kind, type):
        return _ATOM
    if dataclasses.is_dataclass(kind):
        return _FIELDS
    if issubclass(kind, Mapping):
        return _MAPPING
    if issubclass(kind, tuple | list):
        return _SEQUENCE
    return _ATOM


def _walk(value: Any, text: Any) -> Any:
    kind = type(value)
    how = _HOW.get(kind)
    if how is None:
        how = _HOW[kind] = _how(kind)
    if how == _TEXT:
        return text(value)
    if how == _ATOM:
        return value
    if how == _FIELDS:
        changes = {}
        for name in _field_names(kind):
            old = getattr(value, name)
            if type(old) in _ATOMS:
                continue
            new = _walk(old, text)
            if new is not old:
                changes[name] = new
        return dataclasses.replace(value, **changes) if changes else value
    if how == _MAPPING:
        return _walk_mapping(value, text)
    items = [_walk(item, text) for item in value]
    if all(new is old for new, old in zip(items, value, strict=True)):
        return value
    return type(value)(items) if isinstance(value, list) else tuple(items)


def _walk_mapping(value: Mapping[Any, Any], text: Any) -> Any:
    """`value`, or a new dict when a key or value changed (keys made equal are merged)."""
    out: dict[Any, Any] | None = None
    for index, (key, item) in enumerate(value.items()):
        new_key = key if type(key) in _ATOMS else _walk(key, text)
        new_item = item if type(item) in _ATOMS else _walk(item, text)
        if out is None:
            if new_key is key and new_item is item:
                continue
            out = dict(itertools.islice(value.items(), index))
        out[new_key] = _merge(out[new_key], new_item) if new_key in out else new_item
    return value if out is None else out


NO_REDACTION = Redactor()
"""A redactor with no known secrets: the pattern rules only."""
