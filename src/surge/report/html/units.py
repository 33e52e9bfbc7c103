"""Units of chart axes and how their numbers read: compact on an axis, exact in a hover value.

Both forms are plain text; the SVG code escapes them. Output is deterministic (the golden test
compares it byte for byte), so every number goes through an explicit format.
"""

from __future__ import annotations

import enum
import math

from surge.report.humanize import NO_VALUE, fmt_ms


class Unit(enum.Enum):
    """What the numbers on an axis measure."""

    MS = "ms"
    SECONDS = "s"
    RPS = "req/s"
    PER_S = "/s"
    COUNT = "count"
    PERCENT = "%"
    BYTES = "bytes"
    BYTES_PER_S = "bytes/s"
    PERCENTILE = "percentile"  # x = -log10(1 - q): 0 → 0%, 2 → 99%, 5 → 99.999%


_SI = ((1e9, "G"), (1e6, "M"), (1e3, "k"))
_BINARY = ((1024.0**3, "GiB"), (1024.0**2, "MiB"), (1024.0, "KiB"))


def _trim(value: float, digits: int) -> str:
    text = f"{value:.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _si(value: float) -> str:
    for scale, suffix in _SI:
        if abs(value) >= scale:
            return _trim(value / scale, 1) + suffix
    return _trim(value, 2 if abs(value) < 10 else 1)


def _binary(value: float) -> str:
    for scale, suffix in _BINARY:
        if abs(value) >= scale:
            return f"{_trim(value / scale, 1)} {suffix}"
    return f"{_trim(value, 0)} B"


def fmt_clock(seconds: float) -> str:
    """`0`, `2m`, `2m30s`, `1h`, `1h05m` for axis ticks of long runs."""
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m" if minutes else f"{hours}h"
    if minutes:
        return f"{minutes}m{secs:02d}s" if secs else f"{minutes}m"
    return f"{secs}s"


def percentile_of(x: float) -> float:
    """The percentile (0..100) at position `x` of the percentile axis."""
    return 100.0 * (1.0 - math.pow(10.0, -x))


def fmt_percentile(x: float) -> str:
    """`0%`, `90%`, `99.9%`, `99.999%` for positions on the percentile axis."""
    pct = percentile_of(x)
    digits = max(0, math.ceil(x - 1e-9) - 2) if x > 2 else (1 if x > 1 else 0)
    return _trim(pct, digits) + "%"


def axis_label(value: float, unit: Unit) -> str:
    """A compact tick label: `250 ms`, `1.5 s`, `12k`, `40%`, `1.5 MiB`."""
    if unit is Unit.MS:
        if value >= 1000:
            return _trim(value / 1000, 1) + " s"
        return _trim(value, 3) + " ms"
    if unit is Unit.SECONDS:
        return _trim(value, 1) + " s"
    if unit is Unit.PERCENT:
        return _trim(value, 1) + "%"
    if unit is Unit.BYTES:
        return _binary(value)
    if unit is Unit.BYTES_PER_S:
        return _binary(value) + "/s"
    if unit is Unit.PERCENTILE:
        return fmt_percentile(value)
    return _si(value)


def value_label(value: float | None, unit: Unit) -> str:
    """A hover value: `12.3 ms`, `1,234.5 req/s`, `45.2%`, `12.0 MiB`, `3`."""
    if value is None or not math.isfinite(value):
        return NO_VALUE
    if unit is Unit.MS:
        return fmt_ms(value)
    if unit is Unit.SECONDS:
        return fmt_clock(value) if value >= 120 else f"{_trim(value, 2)} s"
    if unit is Unit.RPS:
        return f"{value:,.1f} req/s"
    if unit is Unit.PER_S:
        return f"{value:,.1f}/s"
    if unit is Unit.PERCENT:
        return f"{value:,.1f}%"
    if unit is Unit.BYTES:
        return _binary(value)
    if unit is Unit.BYTES_PER_S:
        return _binary(value) + "/s"
    if unit is Unit.PERCENTILE:
        return fmt_percentile(value)
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
