"""RunResults for store tests, with every field of every value filled in (not left at its
default), built from the dataclasses' type hints so that a field added later is covered too."""

from __future__ import annotations

import collections.abc
import dataclasses
import enum
import itertools
import types
import typing
from typing import Any

from surge.metrics import Histogram, RunResult

_COUNTER = itertools.count(1)


def _n() -> int:
    return next(_COUNTER)


def fill(hint: Any, depth: int = 0) -> Any:
    """A non-default value of type `hint` (two items in every tuple and mapping)."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return fill(next(a for a in args if a is not type(None)), depth)
    if hint is Any:
        return {"users": _n(), "header": ["Authorization: ***"], "rate": 1 / 3, "x": None}
    if hint is Histogram:
        base = _n() * 100
        return Histogram.from_values([base, base + 7, base * 3 + 1, 2_500_000 + base])
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        hints = typing.get_type_hints(hint)
        fields = [f for f in dataclasses.fields(hint) if f.init]
        return hint(**{f.name: fill(hints[f.name], depth + 1) for f in fields})
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        members = list(hint)
        return members[_n() % len(members)]
    if hint is bool:
        return True
    if hint is int:
        return _n()
    if hint is float:
        return _n() + 1 / 7
    if hint is str:
        return f"s{_n()} ünïcode"
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(fill(args[0], depth + 1) for _ in range(2))
        return tuple(fill(a, depth + 1) for a in args)
    if origin in (collections.abc.Mapping, dict):
        key, item = args
        keys = [fill(key, depth + 1) for _ in range(2)]
        return {k: fill(item, depth + 1) for k in keys}
    raise TypeError(f"store_samples.fill: no sample for {hint!r}")


def full_result(name: str = "checkout") -> RunResult:
    """A RunResult with every field (recursively) set to a non-default value."""
    result: RunResult = fill(RunResult)
    return dataclasses.replace(result, meta=dataclasses.replace(result.meta, name=name))
