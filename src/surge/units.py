"""The one duration parser and the one size parser of every input: flags, `SURGE_*` variables,
`[tool.surge]`, TOML scenario files, keyword arguments and threshold expressions.

Durations: `30s`, `2m`, `1h30m`, `500ms`, `250us` or plain seconds (`1.5`). Sizes: `512MB`,
`2GB`, `1.5GiB` or plain bytes; B, KB, MB, GB, TB are powers of 1000, KiB … TiB of 1024.
"""

from __future__ import annotations

import re

_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|us|s|m|h)")
_UNIT_S = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(text: str | float | int) -> float:
    """Seconds in `text`. Raises ValueError naming the text when it is not a duration."""
    if isinstance(text, int | float) and not isinstance(text, bool):
        if text < 0:
            raise ValueError(f"duration must not be negative: {text}")
        return float(text)
    raw = str(text).strip().lower().replace(" ", "")
    if not raw:
        raise ValueError("empty duration")
    try:
        value = float(raw)
    except ValueError:
        pass
    else:
        if value < 0:
            raise ValueError(f"duration must not be negative: {text!r}")
        return value
    pos, total = 0, 0.0
    for match in _PART.finditer(raw):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _UNIT_S[match.group(2)]
        pos = match.end()
    if pos != len(raw) or pos == 0:
        raise ValueError(
            f"not a duration: {text!r} (use e.g. 30s, 2m, 1h30m, 500ms, or plain seconds)"
        )
    return total


def format_duration(seconds: float) -> str:
    """`90.0` → `1m30s`; sub-second values in ms."""
    if seconds < 1:
        return f"{seconds * 1000:.0f}ms"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [
        f"{hours}h" if hours else "",
        f"{minutes}m" if minutes else "",
        f"{secs}s" if secs else "",
    ]
    return "".join(parts) or "0s"


SIZE_UNITS: dict[str, float] = {
    "b": 1.0,
    "kb": 1e3,
    "mb": 1e6,
    "gb": 1e9,
    "tb": 1e12,
    "kib": 1024.0,
    "mib": 1024.0**2,
    "gib": 1024.0**3,
    "tib": 1024.0**4,
}
SIZE_UNIT_NAMES = "B, KB, MB, GB, TB (powers of 1000) or KiB, MiB, GiB, TiB (powers of 1024)"
_SIZE = re.compile(r"(\d+(?:\.\d*)?|\.\d+)\s*([a-z]*)")


def size_scale(unit: str) -> float | None:
    """Bytes per `unit` (`MB`, `GiB`, … any case), None for a unit that is not a size."""
    return SIZE_UNITS.get(unit.strip().lower())


def parse_size(text: str | float | int) -> float:
    """Bytes in `text` (`512MB`, `1.5GiB`, `100`). Raises ValueError naming the text."""
    if isinstance(text, int | float) and not isinstance(text, bool):
        if text < 0:
            raise ValueError(f"size must not be negative: {text}")
        return float(text)
    match = _SIZE.fullmatch(str(text).strip().lower())
    scale = None if match is None else (size_scale(match.group(2)) if match.group(2) else 1.0)
    if match is None or scale is None:
        raise ValueError(f"not a size: {text!r} (use e.g. 512MB or 2GB; units: {SIZE_UNIT_NAMES})")
    return float(match.group(1)) * scale
