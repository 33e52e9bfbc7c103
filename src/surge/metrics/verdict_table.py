"""The verdict of one run as plain text: why it passed or failed (its exit code), each
threshold with what was observed, and the run's headline figures. `RunResult.assert_ok()`
raises an AssertionError with this text, so a failed load test in pytest reads as a table."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from surge.metrics.figures import Figures
from surge.metrics.threshold_verdict import ThresholdVerdict
from surge.metrics.verdict import ExitCode


class _Meta(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def target(self) -> str: ...


class _Total(Protocol):
    @property
    def errors(self) -> Mapping[str, int]: ...
    @property
    def status_codes(self) -> Mapping[int, int]: ...


class Judged(Protocol):
    """What the table reads of a RunResult."""

    @property
    def meta(self) -> _Meta: ...
    @property
    def exit_code(self) -> ExitCode: ...
    @property
    def thresholds(self) -> tuple[ThresholdVerdict, ...]: ...
    @property
    def figures(self) -> Figures: ...
    @property
    def total(self) -> _Total: ...


_WHY: Mapping[ExitCode, str] = {
    ExitCode.OK: "passed",
    ExitCode.THRESHOLD_FAILED: "a threshold failed",
    ExitCode.NO_SUCCESS: "no request succeeded",
    ExitCode.GENERATOR_SATURATED: (
        "the load generator was saturated: the figures may describe the generator, not the "
        "target (allow_saturated=True accepts this)"
    ),
    ExitCode.WORKER_LOST: "a worker was lost mid-run",
    ExitCode.INTERRUPTED: "interrupted (SIGINT)",
    ExitCode.TERMINATED: "terminated (SIGTERM)",
}


def _aligned(rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows
    ]


def _observed(value: float | None, unit: str) -> str:
    if value is None:
        return "nothing measured"
    if unit == "%":
        return f"{value:.2f}%"
    return f"{value:,.3f} {unit}".replace(".000 ", " ")


def verdict_table(result: Judged) -> str:
    """`run NAME: FAILED (exit 1: a threshold failed)`, one row per threshold, the figures."""
    code = result.exit_code
    state = "passed" if code is ExitCode.OK else f"FAILED (exit {int(code)}: {_WHY[code]})"
    lines = [f"run {result.meta.name!r} against {result.meta.target}: {state}"]
    if result.thresholds:
        rows = [["threshold", "on", "observed", "verdict"]]
        for v in result.thresholds:
            rows.append(
                [v.expression, v.endpoint or "all requests", _observed(v.observed, v.unit),
                 "pass" if v.passed else "FAIL"]
            )  # fmt: skip
        lines.extend("  " + line for line in _aligned(rows))
    f = result.figures
    lines.append(
        f"  {f.requests:,} requests, {f.failures:,} failed ({f.error_rate:.2%}), "
        f"{f.rps:,.1f} req/s; p50 {f.p50_ms:,.2f} ms, p95 {f.p95_ms:,.2f} ms, "
        f"p99 {f.p99_ms:,.2f} ms"
    )
    errors = dict(result.total.errors)
    if errors:
        lines.append("  errors: " + ", ".join(f"{k} x{n:,}" for k, n in errors.items()))
        codes = sorted(result.total.status_codes.items())
        if codes:
            lines.append("  status codes: " + ", ".join(f"{c} x{n:,}" for c, n in codes))
    return "\n".join(lines)
