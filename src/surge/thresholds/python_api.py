"""`surge.Threshold`: thresholds as keyword arguments, for scenario scripts.

    thresholds = [
        surge.Threshold(max_p95_ms=250, max_error_rate=0.01),
        surge.Threshold(max_p99_ms=800, endpoint="GET /api/products"),
    ]

Each limit becomes one grammar expression (`max_` means `<=`, `min_` means `>=`), parsed by the
same parser as `--threshold`, so both ways of writing a threshold behave identically and every
verdict shows the equivalent text.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from surge.thresholds.grammar import (
    DEFAULT_ABORT_GRACE_S,
    ThresholdError,
    ThresholdSpec,
    parse_threshold,
)

# (field, grammar metric, operator, unit suffix, scale from the field's unit to the grammar's)
_LIMITS: tuple[tuple[str, str, str, str, float], ...] = (
    ("max_p95_ms", "p95", "<=", "ms", 1.0),
    ("max_p99_ms", "p99", "<=", "ms", 1.0),
    ("max_mean_ms", "mean", "<=", "ms", 1.0),
    ("min_throughput_rps", "rps", ">=", "", 1.0),
    ("max_error_rate", "error_rate", "<=", "%", 100.0),
    ("min_throughput_ops", "ops", ">=", "", 1.0),
    ("max_memory_increase_mb", "memory_increase", "<=", "MB", 1.0),
    ("max_memory_peak_mb", "memory_peak", "<=", "MB", 1.0),
)


def _plain(number: float) -> str:
    """A number as the grammar reads it: no exponent, no trailing zeros (250, 0.5, 0.0001)."""
    text = f"{round(number, 9):.9f}".rstrip("0").rstrip(".")
    return text or "0"


def _finite(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"Threshold: {name} must be a number, got {value!r}")
    return float(value)


@dataclass(frozen=True, slots=True)
class Threshold:
    """SLA limits for a scenario script's module-level `thresholds = [...]` list, or a bench's
    `thresholds=[...]` (`surge.benchmark`, `@surge.bench`).

    Latencies are in milliseconds of successful requests (or calls of a bench),
    `min_throughput_rps` in requests per second over the run, `min_throughput_ops` in successful
    calls per second of a bench (in a load run the same as rps), `max_error_rate` a fraction
    (0.01 = 1%). `max_memory_increase_mb` (RSS growth) and `max_memory_peak_mb` (tracemalloc
    peak) judge a bench's memory pass (`memory=True`), in MB of 10**6 bytes. `endpoint` narrows
    every limit to one endpoint: "GET /api/deals" (method and name) or "/api/deals" (all its
    methods), or to one bench of a suite by its name;
    None means the whole run. `abort_on_fail` stops the run once a limit is lost (after
    `grace_s` seconds; None uses `--abort-grace`).
    """

    max_p95_ms: float | None = None
    max_p99_ms: float | None = None
    max_mean_ms: float | None = None
    min_throughput_rps: float | None = None
    max_error_rate: float | None = None
    endpoint: str | None = None
    abort_on_fail: bool = False
    grace_s: float | None = None
    # Added for benches; after the original fields so positional use keeps its meaning.
    min_throughput_ops: float | None = None
    max_memory_increase_mb: float | None = None
    max_memory_peak_mb: float | None = None

    def __post_init__(self) -> None:
        given = [name for name, *_ in _LIMITS if getattr(self, name) is not None]
        if not given:
            names = ", ".join(name for name, *_ in _LIMITS)
            raise ValueError(f"Threshold: give at least one limit ({names})")
        for name in given:
            value = _finite(name, getattr(self, name))
            if name == "max_error_rate":
                if not 0 <= value <= 1:
                    raise ValueError(
                        f"Threshold: max_error_rate is a fraction between 0 and 1 "
                        f"(0.01 means 1%), got {value!r}"
                    )
            elif value <= 0:
                raise ValueError(f"Threshold: {name} must be more than 0, got {value!r}")
        if self.endpoint is not None and (
            not isinstance(self.endpoint, str) or not self.endpoint.strip()
        ):
            raise ValueError(
                "Threshold: endpoint must be a non-empty string like 'GET /api/deals' or "
                f"'/api/deals', got {self.endpoint!r}"
            )
        if not isinstance(self.abort_on_fail, bool):
            raise ValueError(
                f"Threshold: abort_on_fail must be True or False, got {self.abort_on_fail!r}"
            )
        if self.grace_s is not None and _finite("grace_s", self.grace_s) < 0:
            raise ValueError(f"Threshold: grace_s must be 0 or more, got {self.grace_s!r}")
        for text in self.expressions():
            try:
                parse_threshold(text)
            except ThresholdError as exc:
                raise ValueError(f"Threshold: endpoint={self.endpoint!r}: {exc}") from None

    def expressions(self) -> tuple[str, ...]:
        """The equivalent grammar text of every limit given, e.g. `GET /x: p95<=250ms`."""
        prefix = f"{self.endpoint.strip()}: " if self.endpoint is not None else ""
        texts = []
        for name, metric, op, unit, scale in _LIMITS:
            value = getattr(self, name)
            if value is not None:
                texts.append(f"{prefix}{metric}{op}{_plain(float(value) * scale)}{unit}")
        return tuple(texts)

    def specs(
        self,
        *,
        abort_on_fail: bool = False,
        grace_s: float = DEFAULT_ABORT_GRACE_S,
        where: str | None = None,
    ) -> tuple[ThresholdSpec, ...]:
        """One ThresholdSpec per limit. `abort_on_fail` (e.g. `--abort-on-fail`) adds to the
        object's own; the object's `grace_s` wins over the `grace_s` given here."""
        return tuple(
            parse_threshold(
                text,
                abort_on_fail=self.abort_on_fail or abort_on_fail,
                grace_s=self.grace_s if self.grace_s is not None else grace_s,
                where=where,
            )
            for text in self.expressions()
        )
