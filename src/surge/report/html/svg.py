"""Server-side SVG charts: line charts (linear or log axes) and horizontal bar charts.

A chart is a frozen value rendered to a `<figure>` holding an inline `<svg>` and, for line
charts, a `data-chart` attribute with the hover values (pixel x of every point, formatted x
label and series values) that the page's small script shows on mouse-over. Everything textual is
escaped here; callers pass plain text. Coordinates are written with one decimal so that the
output is deterministic.
"""

from __future__ import annotations

import enum
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from html import escape

from surge.report.html.units import Unit, axis_label, fmt_clock, value_label

PALETTE = (
    "#2563eb",  # blue
    "#dc2626",  # red
    "#16a34a",  # green
    "#d97706",  # amber
    "#7c3aed",  # violet
    "#0891b2",  # cyan
    "#db2777",  # pink
    "#4b5563",  # grey
    "#65a30d",  # lime
    "#9333ea",  # purple
)

WIDTH = 640
HEIGHT = 260
_LEFT, _RIGHT, _TOP, _BOTTOM = 64, 28, 14, 34
_MARKERS_UP_TO = 60  # points per series drawn as dots (beyond this, the line alone)
MAX_POINTS = 1200  # longer series (a soak test) are thinned to this many points


class Reduce(enum.Enum):
    """How a thinned chart folds consecutive samples into one point."""

    MAX = "highest"  # peaks stay visible (latency, resources)
    MEAN = "mean"  # rates


@dataclass(frozen=True, slots=True)
class Series:
    """One line: a value per x (None leaves a gap), drawn in `color` (palette order if empty)."""

    name: str
    values: Sequence[float | None]
    color: str = ""
    dashed: bool = False


@dataclass(frozen=True, slots=True)
class LineChart:
    """Lines over a shared x axis. `x_ticks` overrides the automatic ticks (value, label)."""

    title: str
    xs: Sequence[float]
    series: Sequence[Series]
    x_unit: Unit
    y_unit: Unit
    y_log: bool = False
    x_ticks: Sequence[tuple[float, str]] = field(default_factory=tuple)
    note: str = ""
    reduce: Reduce = Reduce.MAX


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    value: float
    color: str = PALETTE[0]


@dataclass(frozen=True, slots=True)
class BarChart:
    title: str
    bars: Sequence[Bar]
    unit: Unit = Unit.COUNT


@dataclass(frozen=True, slots=True)
class _Scale:
    lo: float
    hi: float
    px_lo: float
    px_hi: float
    log: bool = False

    def __call__(self, value: float) -> float:
        if self.log:
            value = math.log10(max(value, self.lo))
            lo, hi = math.log10(self.lo), math.log10(self.hi)
        else:
            lo, hi = self.lo, self.hi
        frac = (value - lo) / (hi - lo) if hi > lo else 0.5
        return self.px_lo + frac * (self.px_hi - self.px_lo)


def _n(value: float) -> str:
    """A coordinate with one decimal, never `-0.0`."""
    return f"{round(value, 1) + 0.0:.1f}"


def nice_step(span: float, count: int = 5) -> float:
    """A round tick step (1, 2 or 5 times a power of ten) giving about `count` ticks."""
    if span <= 0 or not math.isfinite(span):
        return 1.0
    raw = span / count
    magnitude = 10.0 ** math.floor(math.log10(raw))
    for factor in (1.0, 2.0, 5.0, 10.0):
        if raw <= factor * magnitude * (1 + 1e-9):
            return factor * magnitude
    return 10.0 * magnitude


def linear_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    step = nice_step(hi - lo, count)
    first = math.ceil(lo / step - 1e-9) * step
    ticks: list[float] = []
    value = first
    while value <= hi + step * 1e-6 and len(ticks) < 50:
        ticks.append(round(value, 10) + 0.0)
        value += step
    return ticks


_SECONDS_AXIS_S = 180  # longer runs get a minutes/hours axis
_TIME_STEPS_S = (30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)


def time_ticks(lo: float, hi: float, count: int = 8) -> list[float]:
    """Ticks of a seconds axis: round seconds under a few minutes, then whole minutes and hours
    (so a soak test's axis reads 10m, 20m … not 600 s, 1200 s)."""
    step = next((s for s in _TIME_STEPS_S if (hi - lo) / s <= count), _TIME_STEPS_S[-1])
    first = math.ceil(lo / step) * step
    return [float(first + k * step) for k in range(int((hi - first) // step) + 1)]


def log_bounds(values: Sequence[float]) -> tuple[float, float]:
    """Powers of ten around the positive values (1 and 10 when there are none)."""
    positive = [v for v in values if v > 0]
    if not positive:
        return 1.0, 10.0
    lo = 10.0 ** math.floor(math.log10(min(positive)))
    hi = 10.0 ** math.ceil(math.log10(max(positive)))
    return (lo, hi * 10) if hi <= lo else (lo, hi)


def log_ticks(lo: float, hi: float) -> list[float]:
    decades = round(math.log10(hi / lo))
    ticks: list[float] = []
    for k in range(decades + 1):
        base = lo * 10.0**k
        ticks.append(base)
        if decades <= 2 and k < decades:
            ticks.extend((base * 2, base * 5))
    return sorted(ticks)


def _finite(chart: LineChart) -> list[float]:
    return [v for s in chart.series for v in s.values if v is not None and math.isfinite(v)]


def has_data(chart: LineChart) -> bool:
    return bool(chart.xs) and bool(_finite(chart))


def _y_scale(chart: LineChart) -> tuple[_Scale, list[float]]:
    values = _finite(chart)
    bottom, top = HEIGHT - _BOTTOM, _TOP
    if chart.y_log:
        lo, hi = log_bounds(values)
        return _Scale(lo, hi, bottom, top, log=True), log_ticks(lo, hi)
    peak = max(values, default=0.0)
    base = _binary_base(peak) if chart.y_unit in _BINARY_UNITS else 1.0
    step = nice_step(peak / base) if peak > 0 else 1.0
    hi = max(math.ceil(peak / base / step - 1e-9) * step, step)
    ticks = [t * base for t in linear_ticks(0.0, hi)]
    return _Scale(0.0, hi * base, bottom, top), ticks


_BINARY_UNITS = frozenset({Unit.BYTES, Unit.BYTES_PER_S})


def _binary_base(peak: float) -> float:
    """The power of 1024 that byte ticks are round in (so ticks read 64 MiB, not 47.7 MiB)."""
    base = 1.0
    while peak >= base * 1024 and base < 1024.0**3:
        base *= 1024
    return base


def _x_scale(chart: LineChart) -> tuple[_Scale, list[tuple[float, str]]]:
    lo, hi = min(chart.xs), max(chart.xs)
    if chart.x_ticks:
        lo = min(lo, min(t for t, _ in chart.x_ticks))
        hi = max(hi, max(t for t, _ in chart.x_ticks))
    if hi <= lo:
        lo, hi = lo - 0.5, hi + 0.5
    scale = _Scale(lo, hi, _LEFT, WIDTH - _RIGHT)
    if chart.x_ticks:
        return scale, list(chart.x_ticks)
    if chart.x_unit is Unit.SECONDS and hi - lo > _SECONDS_AXIS_S:
        return scale, [(t, fmt_clock(t)) for t in time_ticks(lo, hi)]
    return scale, [(t, axis_label(t, chart.x_unit)) for t in linear_ticks(lo, hi, 8)]


def _axes(
    x: _Scale, y: _Scale, x_ticks: list[tuple[float, str]], y_ticks: list[float], y_unit: Unit
) -> list[str]:
    out = ['<g class="axes">']
    for tick in y_ticks:
        py = _n(y(tick))
        out.append(f'<line class="grid" x1="{_LEFT}" x2="{WIDTH - _RIGHT}" y1="{py}" y2="{py}"/>')
        label = escape(axis_label(tick, y_unit))
        out.append(f'<text class="yl" x="{_LEFT - 6}" y="{py}">{label}</text>')
    base = HEIGHT - _BOTTOM
    for tick, label in x_ticks:
        px = _n(x(tick))
        out.append(f'<line class="tick" x1="{px}" x2="{px}" y1="{base}" y2="{base + 4}"/>')
        out.append(f'<text class="xl" x="{px}" y="{base + 16}">{escape(label)}</text>')
    out.append(f'<line class="axis" x1="{_LEFT}" x2="{WIDTH - _RIGHT}" y1="{base}" y2="{base}"/>')
    out.append("</g>")
    return out


def _paths(chart: LineChart, x: _Scale, y: _Scale) -> list[str]:
    out: list[str] = []
    for i, series in enumerate(chart.series):
        color = series.color or PALETTE[i % len(PALETTE)]
        runs: list[list[tuple[str, str]]] = [[]]
        for xv, yv in zip(chart.xs, series.values, strict=True):
            if yv is None or not math.isfinite(yv):
                runs.append([])
                continue
            runs[-1].append((_n(x(xv)), _n(y(yv))))
        dash = ' stroke-dasharray="6 4"' if series.dashed else ""
        name = escape(series.name)
        out.append(f'<g class="series" data-name="{name}" stroke="{color}" fill="{color}">')
        for run in runs:
            if len(run) > 1:
                d = "M" + " L".join(f"{px} {py}" for px, py in run)
                out.append(f'<path class="line" d="{d}" fill="none"{dash}/>')
        points = [p for run in runs for p in run]
        if len(points) <= _MARKERS_UP_TO or any(len(run) == 1 for run in runs):
            singles = (
                points if len(points) <= _MARKERS_UP_TO else [r[0] for r in runs if len(r) == 1]
            )
            out.extend(f'<circle cx="{px}" cy="{py}" r="2.5"/>' for px, py in singles)
        out.append("</g>")
    return out


def _legend(chart: LineChart) -> str:
    items = []
    for i, series in enumerate(chart.series):
        color = series.color or PALETTE[i % len(PALETTE)]
        style = "dashed" if series.dashed else "solid"
        items.append(
            f'<li><span class="swatch {style}" style="border-color:{color}"></span>'
            f"{escape(series.name)}</li>"
        )
    return f'<ul class="legend">{"".join(items)}</ul>'


def _hover_data(chart: LineChart, x: _Scale) -> str:
    data = {
        "px": [float(_n(x(xv))) for xv in chart.xs],
        "x": [value_label(xv, chart.x_unit) for xv in chart.xs],
        "series": [
            {
                "name": s.name,
                "color": s.color or PALETTE[i % len(PALETTE)],
                "values": [value_label(v, chart.y_unit) for v in s.values],
            }
            for i, s in enumerate(chart.series)
        ],
        "top": _TOP,
        "bottom": HEIGHT - _BOTTOM,
        "width": WIDTH,
    }
    return escape(json.dumps(data, separators=(",", ":"), ensure_ascii=False), quote=True)


def empty_figure(title: str, message: str) -> str:
    return (
        f'<figure class="chart empty"><figcaption>{escape(title)}</figcaption>'
        f'<p class="nodata">{escape(message)}</p></figure>'
    )


def _fold(values: Sequence[float | None], how: Reduce) -> float | None:
    present = [v for v in values if v is not None and math.isfinite(v)]
    if not present:
        return None
    return max(present) if how is Reduce.MAX else sum(present) / len(present)


def thin(chart: LineChart, limit: int = MAX_POINTS) -> LineChart:
    """`chart` with at most `limit` points per series: runs of consecutive samples folded into
    one (at the run's last x), and a note that says so."""
    count = len(chart.xs)
    if count <= limit:
        return chart
    size = math.ceil(count / limit)
    starts = range(0, count, size)
    series = [
        replace(s, values=[_fold(s.values[i : i + size], chart.reduce) for i in starts])
        for s in chart.series
    ]
    note = f"{chart.note} Each point is the {chart.reduce.value} of {size} samples.".strip()
    xs = [chart.xs[min(i + size, count) - 1] for i in starts]
    return replace(chart, xs=xs, series=series, note=note)


def line_chart(chart: LineChart, *, empty: str = "No data recorded.") -> str:
    """The chart as a `<figure>`; a short note instead of an empty plot when nothing was timed."""
    if not has_data(chart):
        return empty_figure(chart.title, empty)
    chart = thin(chart)
    x, x_ticks = _x_scale(chart)
    y, y_ticks = _y_scale(chart)
    label = escape(chart.title)
    parts = [
        f'<figure class="chart line" data-chart="{_hover_data(chart, x)}">',
        f"<figcaption>{label}</figcaption>",
        f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" role="img" '
        f'aria-label="{label}">',
        *_axes(x, y, x_ticks, y_ticks, chart.y_unit),
        *_paths(chart, x, y),
        f'<line class="guide" x1="0" x2="0" y1="{_TOP}" y2="{HEIGHT - _BOTTOM}"/>',
        "</svg>",
        _legend(chart),
    ]
    if chart.note:
        parts.append(f'<p class="note">{escape(chart.note)}</p>')
    parts.append("</figure>")
    return "\n".join(parts)


_BAR_ROW = 24
_BAR_LABEL = 170


def bar_chart(chart: BarChart, *, empty: str = "Nothing to show.") -> str:
    """Horizontal bars, one row each, the value written after the bar."""
    if not chart.bars:
        return empty_figure(chart.title, empty)
    peak = max((b.value for b in chart.bars), default=0.0) or 1.0
    height = _BAR_ROW * len(chart.bars) + 8
    span = WIDTH - _BAR_LABEL - 110
    label = escape(chart.title)
    parts = [
        '<figure class="chart bars">',
        f"<figcaption>{label}</figcaption>",
        f'<svg viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" role="img" '
        f'aria-label="{label}">',
    ]
    for i, bar in enumerate(chart.bars):
        top = 4 + i * _BAR_ROW
        length = max(span * bar.value / peak, 1.0 if bar.value > 0 else 0.0)
        text = escape(bar.label)
        value = escape(value_label(bar.value, chart.unit))
        parts.append(
            f'<g class="bar"><title>{text}: {value}</title>'
            f'<text class="bl" x="{_BAR_LABEL - 8}" y="{_n(top + _BAR_ROW / 2)}">{text}</text>'
            f'<rect x="{_BAR_LABEL}" y="{top + 3}" width="{_n(length)}" '
            f'height="{_BAR_ROW - 6}" rx="2" fill="{bar.color}"/>'
            f'<text class="bv" x="{_n(_BAR_LABEL + length + 6)}" '
            f'y="{_n(top + _BAR_ROW / 2)}">{value}</text></g>'
        )
    parts.extend(["</svg>", "</figure>"])
    return "\n".join(parts)
