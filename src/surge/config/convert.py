"""Reading one option's value, whatever it came from: text (an environment variable, a TOML
file) or a Python value (a keyword argument). The CLI's flags are read by click with the same
rules (cli/options.py maps each Kind to a click type), so every source means the same.

Messages follow click's wording (`0 is not in the range x>=1.`) so that a value reads the same
whether it was a flag or a `[tool.surge]` key.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Mapping
from typing import Any

from surge.config.spec import Kind, OptionSpec
from surge.units import parse_duration

AUTO = "auto"
_TRUE = frozenset({"1", "true", "t", "yes", "y", "on"})
_FALSE = frozenset({"0", "false", "f", "no", "n", "off"})


class ConfigError(ValueError):
    """A bad option value or key: one message naming where and what (exit code 2)."""


class ValueProblem(ValueError):
    """What is wrong with one value (the caller adds which option and where)."""


def _integer(spec: OptionSpec, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueProblem(f"{value!r} is not a valid integer.")
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ValueProblem(f"{value!r} is not a valid integer.") from None
    _check_range(spec, number)
    return number


def _float(spec: OptionSpec, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueProblem(f"{value!r} is not a valid float.")
    try:
        number = float(str(value).strip()) if isinstance(value, str) else float(value)
    except ValueError:
        raise ValueProblem(f"{value!r} is not a valid float.") from None
    if not math.isfinite(number):
        raise ValueProblem(f"{value!r} is not a finite number.")
    _check_range(spec, number)
    return number


def _check_range(spec: OptionSpec, number: float) -> None:
    low, high = spec.minimum, spec.maximum
    below = low is not None and (number <= low if spec.minimum_open else number < low)
    above = high is not None and number > high
    if not (below or above):
        return
    low_op = "<" if spec.minimum_open else "<="
    if low is not None and high is not None:
        span = f"{low:g}{low_op}x<={high:g}"
    elif low is not None:
        span = f"x{'>' if spec.minimum_open else '>='}{low:g}"
    else:
        span = f"x<={high:g}"
    raise ValueProblem(f"{number:g} is not in the range {span}.")


def _duration(spec: OptionSpec, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueProblem(f"{value!r} is not a duration (use e.g. 30s, 2m, 1h30m, 500ms)")
    try:
        seconds = parse_duration(value)
    except ValueError as exc:
        raise ValueProblem(str(exc)) from None
    if not math.isfinite(seconds):
        raise ValueProblem(f"{value!r} is not a finite duration")
    return seconds


_SIZE_UNITS = {
    "": 1, "b": 1,
    "k": 1000, "kb": 1000, "kib": 1024,
    "m": 1000**2, "mb": 1000**2, "mib": 1024**2,
    "g": 1000**3, "gb": 1000**3, "gib": 1024**3,
}  # fmt: skip


def _size(spec: OptionSpec, value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueProblem(f"{value!r} is not a size (use e.g. 64MiB, 500kB, 1GiB)")
    text = str(value).strip().lower().replace(" ", "").replace("_", "")
    number = text.rstrip("abcdefghijklmnopqrstuvwxyz")
    try:
        size = float(number) * _SIZE_UNITS[text[len(number) :]]
    except (ValueError, KeyError):
        raise ValueProblem(f"{value!r} is not a size (use e.g. 64MiB, 500kB, 1GiB)") from None
    if not math.isfinite(size) or size < 0:
        raise ValueProblem(f"{value!r} is not a size of 0 or more bytes")
    return int(size)


def _flag(spec: OptionSpec, value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueProblem(f"{value!r} is not a valid boolean.")


def _choice(spec: OptionSpec, value: object) -> str:
    text = getattr(value, "value", value)  # an enum member of the same values works too
    if isinstance(text, str) and text in spec.choices:
        return text
    choices = ", ".join(repr(c) for c in spec.choices)
    raise ValueProblem(f"{value!r} is not one of {choices}.")


def _header(spec: OptionSpec, value: object) -> str:
    if isinstance(value, tuple) and len(value) == 2:
        value = f"{value[0]}: {value[1]}"
    text = str(value) if isinstance(value, str) else None
    if text is None or ":" not in text or not text.split(":", 1)[0].strip():
        raise ValueProblem(f"{value!r} is not a header; use 'Name: value'")
    return text


def _workers(spec: OptionSpec, value: object) -> int | str:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return value
    text = str(value).strip().lower()
    if text == AUTO:
        return AUTO
    if text.isdigit() and int(text) >= 1:
        return int(text)
    raise ValueProblem(f"{value!r} is not a worker count: give a number >= 1 or 'auto'")


def _text(spec: OptionSpec, value: object) -> str:
    if isinstance(value, str):
        return value
    if spec.kind is Kind.PATH and isinstance(value, os.PathLike):
        return str(os.fspath(value))
    raise ValueProblem(f"{value!r} is not text")


def _json(spec: OptionSpec, value: object) -> str:
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    except (TypeError, ValueError):
        raise ValueProblem(f"{value!r} cannot be sent as JSON") from None


_READERS: Mapping[Kind, Callable[[OptionSpec, object], Any]] = {
    Kind.TEXT: _text,
    Kind.PATH: _text,
    Kind.JSON: _json,
    Kind.INT: _integer,
    Kind.FLOAT: _float,
    Kind.DURATION: _duration,
    Kind.SIZE: _size,
    Kind.FLAG: _flag,
    Kind.CHOICE: _choice,
    Kind.HEADER: _header,
    Kind.WORKERS: _workers,
}


def _items(spec: OptionSpec, value: object) -> list[object]:
    """The items of a repeatable option: one value, a list, or (headers) a mapping."""
    if spec.kind is Kind.HEADER and isinstance(value, Mapping):
        return [f"{name}: {text}" for name, text in value.items()]
    if isinstance(value, list | tuple | set | frozenset):
        return list(value)
    return [value]


def convert_value(spec: OptionSpec, value: object) -> Any:
    """`value` as the option's type; raises ValueProblem saying what is wrong with it."""
    if value is None:
        if spec.default is None or spec.multiple:
            return spec.default
        raise ValueProblem("needs a value (None was given)")
    read = _READERS[spec.kind]
    if spec.multiple:
        return tuple(read(spec, item) for item in _items(spec, value))
    return read(spec, value)


def from_text(spec: OptionSpec, text: str) -> Any:
    """An environment variable's text as the option's value (repeatable options: several
    values separated by newlines for headers, by whitespace otherwise, as click does)."""
    if spec.multiple:
        parts = text.split("\n") if spec.kind is Kind.HEADER else text.split()
        return convert_value(spec, [p for p in parts if p.strip()])
    return convert_value(spec, text)
