"""Endpoint names: what a request is recorded under when the script gives no `name=`, and the cap
on how many distinct names one run keeps.

A request without an explicit name is named after its path: the query string and fragment are
dropped and, with templating on (the default), path segments that are ids become placeholders,
so that `/api/orders/123?x=1` and `/api/orders/456` are one endpoint `/api/orders/{id}`:

    template_path("/api/orders/123?x=1")                           # '/api/orders/{id}'
    template_path("/u/4f9c2a1e-8b7d-4c3e-9a6f-1d2e3f4a5b6c/avatar.png")  # '/u/{uuid}/avatar.png'

A segment becomes `{id}` when it is a number, `{uuid}` when it is a UUID, `{hex}` when it is 8 or
more hex digits with at least one digit (a hash, an ObjectId), and `{token}` when it is a long
(20+) mix of letters and digits that does not read as words (base64, a JWT). A file extension
stays (`/files/123.json` → `/files/{id}.json`). Words and slugs are kept as they are.

Every client of the engine names its default endpoints through `Recorder.endpoint_for` (see
recorder.py), which applies these rules once per distinct URL and remembers the answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

OTHER = "(other)"
"""The endpoint name of every request whose own name came after the cap (one per method)."""

SCRIPT_METHOD = "SCRIPT"
"""The method of the endpoints that count errors in the user's script (`Class.task`): bounded
by the script's code, never capped."""

DEFAULT_MAX_ENDPOINTS = 1000

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_HEX = re.compile(r"(?=[a-fA-F]*\d)[0-9a-fA-F]{8,}")
_TOKEN = re.compile(r"(?=.*\d)(?=.*[A-Za-z])[A-Za-z0-9_\-.~=+%]{20,}")
_WORD_SPLIT = re.compile(r"[-_.~]+")
_EXTENSION = re.compile(r"(.+?)(\.[A-Za-z][A-Za-z0-9]{0,4})")
_SHORT_PART = 3
_DIGIT = re.compile(r"[0-9]")


@dataclass(frozen=True, slots=True)
class Naming:
    """A run's naming rules: `template` ids in default names; keep at most `max_endpoints`
    distinct names (the rest are counted under `(other)`, one per method)."""

    template: bool = True
    max_endpoints: int = DEFAULT_MAX_ENDPOINTS

    def __post_init__(self) -> None:
        if self.max_endpoints < 1:
            raise ValueError(f"max_endpoints must be at least 1, not {self.max_endpoints}")


def _wordy(segment: str) -> bool:
    """True when every part of `segment` (split at - _ . ~) is a word, a number or short: a
    slug like `2024-annual-report-v2`, not a token."""
    for part in _WORD_SPLIT.split(segment):
        if len(part) > _SHORT_PART and not (part.isalpha() or part.isdigit()):
            return False
    return True


def _placeholder(segment: str) -> str | None:
    """The placeholder a whole segment stands for, or None when it is not an id."""
    if segment.isdigit() and segment.isascii():
        return "{id}"
    if len(segment) < 8:
        return None
    if len(segment) == 36 and _UUID.fullmatch(segment):
        return "{uuid}"
    if _HEX.fullmatch(segment):
        return "{hex}"
    if _TOKEN.fullmatch(segment) and not _wordy(segment):
        return "{token}"
    return None


def template_segment(segment: str) -> str:
    """`segment` itself, or the placeholder of the id it is (keeping a file extension)."""
    found = _placeholder(segment)
    if found is not None:
        return found
    extension = _EXTENSION.fullmatch(segment)
    if extension is not None:
        stem = _placeholder(extension.group(1))
        if stem is not None:
            return stem + extension.group(2)
    return segment


def path_of(target: str) -> str:
    """The path of a request target or URL: no scheme and host, query string or fragment."""
    if "://" in target:
        rest = target.partition("://")[2]
        slash = rest.find("/")
        target = rest[slash:] if slash >= 0 else ""
    for mark in ("?", "#"):
        cut = target.find(mark)
        if cut >= 0:
            target = target[:cut]
    return target or "/"


_WORDS: set[str] = set()  # segments met that are not ids (they repeat: api, items)
_WORDS_MAX = 4096


def template_path(target: str) -> str:
    """The templated default name of a request target or URL (see the module docstring)."""
    path = path_of(target)
    if _DIGIT.search(path) is None:  # every id rule needs a digit
        return path
    parts = path.split("/")
    for index, segment in enumerate(parts):
        if not segment or segment in _WORDS:
            continue
        if segment.isdigit() and segment.isascii():
            parts[index] = "{id}"
            continue
        templated = template_segment(segment)
        if templated is segment:
            if len(_WORDS) >= _WORDS_MAX:
                _WORDS.clear()
            _WORDS.add(segment)
        else:
            parts[index] = templated
    return "/".join(parts)


def default_name(target: str, template: bool = True) -> str:
    """The endpoint name of a request without `name=`: its path, templated when `template`."""
    return template_path(target) if template else path_of(target)
