"""Numbers as people read them in a terminal or a CI log: latencies, counts, rates, sizes.

Shared by the terminal summary, the live view and the JUnit messages so that one figure reads the
same wherever it appears.
"""

from __future__ import annotations

import math

NO_VALUE = "—"

# How a threshold unit ("ms", "%", "rps", "count") is written after a number.
_UNIT_SUFFIX = {"ms": " ms", "%": "%", "rps": " req/s", "count": ""}


def fmt_ms(value_ms: float) -> str:
    """A latency with precision that suits its size: `0.412 ms`, `12.3 ms`, `1,204 ms`."""
    if value_ms >= 100:
        return f"{value_ms:,.0f} ms"
    if value_ms >= 10:
        return f"{value_ms:.1f} ms"
    if value_ms >= 1:
        return f"{value_ms:.2f} ms"
    return f"{value_ms:.3f} ms"


def fmt_count(value: int) -> str:
    return f"{value:,}"


def fmt_rate(value: float) -> str:
    return f"{value:,.1f}"


def fmt_percent(ratio: float) -> str:
    percent = ratio * 100
    return f"{percent:.2f}%" if percent < 10 else f"{percent:.1f}%"


def fmt_pass_rate(ratio: float) -> str:
    """A pass rate with two decimals, rounded down so that one failure never reads `100.00%`."""
    return f"{math.floor(ratio * 10_000) / 100:.2f}%"


def fmt_bytes(count: int) -> str:
    """`512 B`, `255.9 KiB`, `1.2 MiB`, `3.0 GiB`."""
    if count < 1024:
        return f"{count:,} B"
    size = count / 1024
    for unit in ("KiB", "MiB"):
        if size < 1024:
            return f"{size:,.1f} {unit}"
        size /= 1024
    return f"{size:,.1f} GiB"


def fmt_duration(seconds: float) -> str:
    """`9.87 s`, `42.0 s`, `2m 03s`, `1h 02m 03s`."""
    if seconds < 10:
        return f"{seconds:.2f} s"
    if seconds < 60:
        return f"{seconds:.1f} s"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h {minutes:02d}m {secs:02d}s" if hours else f"{minutes}m {secs:02d}s"


def fmt_plain(value: float) -> str:
    """A number without noise: `200`, `312.5`, `2.326`, `1,500` (at most 3 decimals)."""
    if not math.isfinite(value):
        return str(value)
    rounded = round(value, 3) + 0.0
    if rounded.is_integer():
        return f"{rounded:,.0f}"
    return f"{rounded:,.3f}".rstrip("0")


def fmt_threshold_value(value: float, unit: str) -> str:
    """A threshold figure in its unit, as the user wrote it: `200 ms`, `1%`, `100 req/s`, `5`.

    Thresholds speak the grammar's canonical units (ms, percent, rps, count); an unknown unit is
    written after the number as it is.
    """
    if unit in ("bytes", "B/s"):  # resource thresholds: sizes as written, in powers of 1000
        return fmt_size(value) + ("/s" if unit == "B/s" else "")
    suffix = _UNIT_SUFFIX.get(unit, f" {unit}" if unit else "")
    return f"{fmt_plain(value)}{suffix}"


def fmt_size(count: float) -> str:
    """A byte size in the units resource thresholds are written in: `512 B`, `65.921 MB`, `2 GB`."""
    size = float(count)
    for unit in ("B", "KB", "MB", "GB"):
        if abs(size) < 1000:
            return f"{fmt_plain(size if unit != 'B' else round(size))} {unit}"
        size /= 1000
    return f"{fmt_plain(size)} TB"
