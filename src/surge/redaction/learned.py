"""Secrets a run learns while it goes: values a scripted user puts into its own headers at run
time (a token from its login in `on_start`), which no option named before the run.

The engine's HTTP session tells the run's redactor the secret header values it is about to send
(and, when the user's script fails, the secrets the user holds) before anything can print them;
from then on every text the redactor masks — live messages, the result, every file — masks them
too. A worker process forwards what its users taught its redactor to the coordinator's
(`subscribe`), so the merged result and its messages are masked there as well.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from urllib.parse import quote, quote_plus

MIN_SECRET_CHARS = 4
"""Secret values shorter than this are masked where they are used (header, URL, option) but not
searched for in free text: replacing every `ab` or `1` would garble names and numbers."""


def variants(value: str) -> set[str]:
    """A secret value as it may appear in text: as is, and percent-encoded."""
    return {value, quote(value, safe=""), quote_plus(value)}


def longest_first(values: set[str]) -> tuple[str, ...]:
    """Secrets in the order they are replaced: a longer one before any part of it."""
    return tuple(sorted(values, key=lambda s: (-len(s), s)))


class SecretBook:
    """The secret values learned so far (thread-safe; values are only ever added)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: set[str] = set()
        self._variants: set[str] = set()
        self._merged: tuple[tuple[str, ...], tuple[str, ...]] | None = None
        self._listeners: list[Callable[[str], None]] = []
        self.values: tuple[str, ...] = ()
        """Every value learned, in the order learned."""

    def __bool__(self) -> bool:
        return bool(self.values)

    def add(self, value: str) -> bool:
        """Learn `value`; True when it was new (and long enough to search for in text)."""
        value = value.strip()
        if len(value) < MIN_SECRET_CHARS or value in self._seen:
            return False
        with self._lock:
            if value in self._seen:
                return False
            self._seen.add(value)
            self._variants |= variants(value)
            self._merged = None
            self.values = (*self.values, value)
            listeners = tuple(self._listeners)
        for listener in listeners:
            listener(value)
        return True

    def subscribe(self, listener: Callable[[str], None]) -> None:
        """Call `listener(value)` for every value learned from now on."""
        with self._lock:
            self._listeners.append(listener)

    def ordered(self, known: tuple[str, ...]) -> tuple[str, ...]:
        """`known` (already in order) and every learned variant, longest first."""
        merged = self._merged
        if merged is not None and merged[0] is known:
            return merged[1]
        with self._lock:
            ordered = longest_first(set(known) | self._variants)
            self._merged = (known, ordered)
        return ordered
