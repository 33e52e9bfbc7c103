"""The charts of one run, built from its timeline, intervals and histograms.

Seconds without a successful request have no latency: they are gaps in the latency lines, not
zeros. Charts with many endpoints draw the busiest few and say so.
"""

from __future__ import annotations

from collections.abc import Sequence

from surge.metrics import EndpointStats, Histogram, LoadModel, RunResult, TimelinePoint
from surge.redaction import redact_text
from surge.report.html.svg import (
    PALETTE,
    Bar,
    BarChart,
    LineChart,
    Reduce,
    Series,
    bar_chart,
    line_chart,
)
from surge.report.html.units import Unit, fmt_percentile

TOP_ENDPOINTS = 8  # endpoints drawn in per-endpoint charts (the busiest)
PERCENTILE_STEP = 0.05  # positions on the percentile axis: 0, 0.05, … 5 (99.999%)
PERCENTILE_XS = tuple(round(i * PERCENTILE_STEP, 2) for i in range(101))
PERCENTILE_TICKS = tuple((float(x), fmt_percentile(x)) for x in range(6))
LOG_Y_RATIO = 30.0  # a latency distribution spanning more than this ratio gets a log y axis

_OK, _ERR, _CLIENT = "#16a34a", "#dc2626", "#d97706"
_TOTAL = PALETTE[7]


def endpoint_color(index: int) -> str:
    """The colour of the `index`-th busiest endpoint in every chart (grey is for totals)."""
    others = [c for c in PALETTE if c != _TOTAL]
    return others[index % len(others)]


def label(stats: EndpointStats) -> str:
    """`GET /api/items`, redacted (endpoint names are user text)."""
    return f"{stats.method} {redact_text(stats.name)}".strip()


def busiest(endpoints: Sequence[EndpointStats], count: int = TOP_ENDPOINTS) -> list[EndpointStats]:
    ranked = sorted(endpoints, key=lambda e: (-e.requests, e.method, e.name))
    return ranked[:count]


def _errors_per_s(point: TimelinePoint) -> float:
    return point.failures * point.rps / point.requests if point.requests else 0.0


def _latency(point: TimelinePoint, value_ms: float) -> float | None:
    return value_ms if point.requests > point.failures else None


def _open(result: RunResult) -> bool:
    if result.load is not None:
        return result.load.model is LoadModel.OPEN
    return result.meta.mode == "open"


def throughput_chart(result: RunResult) -> str:
    points = result.timeline
    series = [
        Series("requests/s", [p.rps for p in points], PALETTE[0]),
        Series("errors/s", [_errors_per_s(p) for p in points], PALETTE[1]),
    ]
    if _open(result) and any(p.target is not None for p in points):
        series.append(Series("target arrivals/s", [p.target for p in points], PALETTE[7], True))
    chart = LineChart(
        "Requests and errors per second",
        [p.t_s for p in points],
        series,
        Unit.SECONDS,
        Unit.RPS,
        reduce=Reduce.MEAN,
    )
    return line_chart(chart, empty="No interval was recorded (the run lasted under a second).")


def concurrency_chart(result: RunResult) -> str:
    points = result.timeline
    series = [Series("active users", [float(p.active_users) for p in points], PALETTE[4])]
    if not _open(result) and any(p.target is not None for p in points):
        series.append(Series("target users", [p.target for p in points], PALETTE[7], True))
    chart = LineChart(
        "Concurrency", [p.t_s for p in points], series, Unit.SECONDS, Unit.COUNT, reduce=Reduce.MEAN
    )
    return line_chart(chart, empty="No interval was recorded.")


def latency_chart(result: RunResult) -> str:
    points = result.timeline
    chart = LineChart(
        "Latency over time (successful requests)",
        [p.t_s for p in points],
        [
            Series("p50", [_latency(p, p.p50_ms) for p in points], PALETTE[2]),
            Series("p95", [_latency(p, p.p95_ms) for p in points], PALETTE[3]),
            Series("p99", [_latency(p, p.p99_ms) for p in points], PALETTE[1]),
        ],
        Unit.SECONDS,
        Unit.MS,
    )
    return line_chart(chart, empty="No request succeeded, so there is no latency to chart.")


def endpoint_latency_chart(result: RunResult) -> str:
    """p95 of each of the busiest endpoints per interval (only for runs with several)."""
    if len(result.endpoints) < 2 or not result.intervals:
        return ""
    top = busiest(result.endpoints)
    series = []
    for i, stats in enumerate(top):
        values: list[float | None] = []
        for interval in result.intervals:
            part = next((e for e in interval.endpoints if e.key == stats.key), None)
            ok = part is not None and part.latency.total > 0
            values.append(part.latency.value_at_percentile_us(95) / 1000 if ok and part else None)
        series.append(Series(label(stats), values, endpoint_color(i)))
    note = _top_note(len(result.endpoints))
    chart = LineChart(
        "p95 latency over time per endpoint",
        [iv.end_s for iv in result.intervals],
        series,
        Unit.SECONDS,
        Unit.MS,
        note=note,
    )
    return line_chart(chart, empty="No request succeeded.")


def _top_note(count: int) -> str:
    if count <= TOP_ENDPOINTS:
        return ""
    return f"The {TOP_ENDPOINTS} busiest of {count} endpoints are drawn; the table has them all."


def percentile_curve(histogram: Histogram) -> list[float | None]:
    """Latency (ms) at each position of the percentile axis; None for an empty histogram."""
    if histogram.total == 0:
        return [None] * len(PERCENTILE_XS)
    return [
        histogram.value_at_percentile_us(100.0 * (1.0 - 10.0 ** (-x))) / 1000.0
        for x in PERCENTILE_XS
    ]


def distribution_chart(
    title: str,
    curves: Sequence[tuple[str, Histogram, bool]],
    *,
    note: str = "",
    colors: Sequence[str] = PALETTE,
) -> str:
    """Latency by percentile (x: 0% … 99.999% on a log scale of 1/(1-q)); `curves` are
    (name, histogram, dashed), drawn in `colors` in order."""
    series = [
        Series(name, percentile_curve(h), colors[i % len(colors)], dashed)
        for i, (name, h, dashed) in enumerate(curves)
    ]
    values = [v for s in series for v in s.values if v is not None and v > 0]
    log = bool(values) and max(values) / min(values) > LOG_Y_RATIO
    chart = LineChart(
        title,
        PERCENTILE_XS,
        series,
        Unit.PERCENTILE,
        Unit.MS,
        y_log=log,
        x_ticks=PERCENTILE_TICKS,
        note=note + (" Latency axis is logarithmic." if log else ""),
    )
    return line_chart(chart, empty="No request succeeded, so there is no distribution.")


def run_distribution_chart(result: RunResult) -> str:
    curves: list[tuple[str, Histogram, bool]] = [("all endpoints", result.total.latency, False)]
    top = busiest(result.endpoints) if len(result.endpoints) > 1 else []
    curves.extend((label(e), e.latency, False) for e in top)
    return distribution_chart(
        "Latency by percentile (successful requests)",
        curves,
        note=_top_note(len(result.endpoints)),
        colors=[_TOTAL, *(endpoint_color(i) for i in range(len(top)))],
    )


def _status_color(code: int) -> str:
    if 200 <= code < 400:
        return _OK
    return _CLIENT if 400 <= code < 500 else _ERR


def status_chart(total: EndpointStats) -> str:
    bars = [
        Bar(str(code) if code else "no status", float(count), _status_color(code))
        for code, count in sorted(total.status_codes.items())
    ]
    return bar_chart(BarChart("Status codes", bars), empty="No response was received.")


def error_class_chart(total: EndpointStats) -> str:
    ranked = sorted(total.errors.items(), key=lambda item: (-item[1], item[0]))
    bars = [Bar(kind, float(count), _ERR) for kind, count in ranked]
    return bar_chart(BarChart("Error classes", bars), empty="No request failed.")
