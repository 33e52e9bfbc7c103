"""The results JSON: a public, versioned contract (documented in docs/results-json.md).

Changes are additive only: new keys may appear, existing keys keep their name, type and unit.
Numbers are rounded (milliseconds to 3 decimals, rates to 3, ratios to 6) and are never NaN or
infinite. Nothing secret from the options, the target or error messages is written: the CLI
scrubs the RunResult with the run's `surge.redaction.Redactor` first, and `redact_text` (the
pattern rules of `surge.redaction`) is applied here again as a second line of defence.
"""

from __future__ import annotations

import enum
import json
import math
from collections.abc import Mapping, Sequence
from pathlib import PurePath
from typing import Any, TextIO

from surge.metrics import (
    EndpointStats,
    GeneratorVerdict,
    Histogram,
    LoadSummary,
    RunMeta,
    RunResult,
    ThresholdVerdict,
    TimelinePoint,
    UserClassStats,
    WorkerReport,
)
from surge.redaction import MASK, SECRET_NAME
from surge.redaction import redact_text as redact_text  # re-exported: one set of rules
from surge.report.resources_export import resources_to_dict

SCHEMA_VERSION = 1
MS_DIGITS = 3
RATE_DIGITS = 3
RATIO_DIGITS = 6
SECONDS_DIGITS = 3
REDACTED = MASK
_SECRET_NAME = SECRET_NAME


def number(value: float, digits: int) -> float:
    """`value` rounded to `digits`, with NaN and infinities as 0.0 and no negative zero."""
    if not math.isfinite(value):
        return 0.0
    return round(value, digits) + 0.0


def latency_ms(histogram: Histogram) -> dict[str, float]:
    """The `latency_ms` object: min, mean, stddev, p50 … p9999, max in milliseconds."""
    return {key: number(value, MS_DIGITS) for key, value in histogram.summary_ms().items()}


def optional_latency_ms(histogram: Histogram) -> dict[str, float] | None:
    """`latency_ms` of a secondary timing, or None when nothing was timed (the closed model has
    no service time or schedule lag), so a reader can tell "not measured" from "0 ms"."""
    return latency_ms(histogram) if histogram.total else None


def checks(stats: EndpointStats) -> dict[str, dict[str, Any]]:
    """Named checks with passes, fails and pass rate; names redacted (merging any that become
    equal), since a check name is user text."""
    merged: dict[str, tuple[int, int]] = {}
    for name, count in stats.checks.items():
        key = redact_text(name)
        passes, fails = merged.get(key, (0, 0))
        merged[key] = (passes + count.passes, fails + count.fails)
    return {
        name: {
            "passes": passes,
            "fails": fails,
            "pass_rate": number(passes / (passes + fails) if passes + fails else 1.0, RATIO_DIGITS),
        }
        for name, (passes, fails) in sorted(merged.items())
    }


def protocol(stats: EndpointStats) -> dict[str, Any] | None:
    """The `protocol` object of an endpoint that recorded inside sessions or streams
    (WebSocket, SSE, HTTP/2): None for a plain HTTP/1.1 endpoint (the key is left out)."""
    if not (stats.protocols or stats.counts or stats.timings or stats.close_codes):
        return None
    return {
        "protocols": dict(sorted(stats.protocols.items())),
        "counts": dict(stats.counts),
        "timings_ms": {
            name: {"count": hist.total, **latency_ms(hist)} for name, hist in stats.timings.items()
        },
        "timings_hdr": {name: hist.encode() for name, hist in stats.timings.items()},
        "close_codes": {str(code): n for code, n in sorted(stats.close_codes.items())},
    }


def _with_protocol(document: dict[str, Any], stats: EndpointStats) -> dict[str, Any]:
    found = protocol(stats)
    if found is not None:
        document["protocol"] = found
    return document


def status_codes(stats: EndpointStats) -> dict[str, int]:
    return {str(code): count for code, count in sorted(stats.status_codes.items())}


def errors(stats: EndpointStats) -> dict[str, int]:
    return dict(sorted(stats.errors.items()))


def error_messages(stats: EndpointStats) -> dict[str, int]:
    """Messages ("kind: text") with their counts, redacted (merging any that become equal)."""
    out: dict[str, int] = {}
    for message, count in stats.error_messages.items():
        key = redact_text(message)
        out[key] = out.get(key, 0) + count
    return out


def rate(count: int, duration_s: float) -> float:
    return number(count / duration_s, RATE_DIGITS) if duration_s > 0 else 0.0


def result_to_dict(result: RunResult) -> dict[str, Any]:
    """The results document of one run (schema_version 1); a run of benches adds `benches`
    (docs/benchmarks-python.md)."""
    document = {
        "schema_version": SCHEMA_VERSION,
        "meta": _meta(result.meta),
        "summary": _summary(result),
        "endpoints": [_endpoint(stats, result.duration_s) for stats in result.endpoints],
        "timeline": [_point(point) for point in result.timeline],
        "resources": resources_to_dict(result.resources),
        "thresholds": [threshold(verdict) for verdict in result.thresholds],
        "thresholds_passed": result.thresholds_passed,
        "workers": [_worker(report) for report in result.workers],
        "user_classes": [_user_class(c, result.duration_s) for c in result.user_classes],
    }
    if result.benches:
        from surge.report.bench_json import bench_document  # it builds on this module

        document["benches"] = [bench_document(entry) for entry in result.benches]
    return document


def results_to_dict(results: Sequence[RunResult]) -> dict[str, Any]:
    """One document for a file of scenarios: the single-run document when there is one result,
    else `{"schema_version": 1, "scenarios": [document, ...]}` in the order given."""
    if not results:
        raise ValueError("results_to_dict needs at least one RunResult")
    if len(results) == 1:
        return result_to_dict(results[0])
    return {
        "schema_version": SCHEMA_VERSION,
        "scenarios": [result_to_dict(result) for result in results],
    }


def dumps(document: Mapping[str, Any]) -> str:
    """The canonical text of a document: indent 2, sorted keys, trailing newline."""
    return json.dumps(document, indent=2, sort_keys=True, allow_nan=False, ensure_ascii=False) + (
        "\n"
    )


def write_json(result: RunResult, fp: TextIO) -> None:
    """Write the results document of one run to `fp` (write errors propagate)."""
    fp.write(dumps(result_to_dict(result)))


def write_results_json(results: Sequence[RunResult], fp: TextIO) -> None:
    """Write `results_to_dict(results)` to `fp` (write errors propagate)."""
    fp.write(dumps(results_to_dict(results)))


def _meta(meta: RunMeta) -> dict[str, Any]:
    return {
        "surge_version": meta.surge_version,
        "name": meta.name,
        "started_at": meta.started_at,
        "finished_at": meta.finished_at,
        "target": redact_text(meta.target),
        "mode": meta.mode,
        "options": _jsonable(meta.options),
        "insecure": meta.insecure,
        "aborted": meta.aborted,
        "abort_reason": None if meta.abort_reason is None else redact_text(meta.abort_reason),
    }


def _summary(result: RunResult) -> dict[str, Any]:
    total = result.total
    summary = {
        "requests": total.requests,
        "failures": total.failures,
        "error_rate": number(total.error_rate, RATIO_DIGITS),
        "rps": number(result.rps, RATE_DIGITS),
        "duration_s": number(result.duration_s, SECONDS_DIGITS),
        "bytes_received": total.bytes_received,
        "incomplete": total.incomplete,
        "retries": total.retries,
        "status_codes": status_codes(total),
        "errors": errors(total),
        "latency_ms": latency_ms(total.latency),
        "checks": checks(total),
        "service_time_ms": optional_latency_ms(total.service_time),
        "schedule_lag_ms": optional_latency_ms(total.schedule_lag),
        "load": _load(result.load),
        "generator": _generator(result.generator),
        "degraded": result.degraded,
    }
    return _with_protocol(summary, total)


def _endpoint(stats: EndpointStats, duration_s: float) -> dict[str, Any]:
    document = {
        "method": stats.method,
        "name": redact_text(stats.name),
        "requests": stats.requests,
        "failures": stats.failures,
        "error_rate": number(stats.error_rate, RATIO_DIGITS),
        "rps": rate(stats.requests, duration_s),
        "bytes_received": stats.bytes_received,
        "incomplete": stats.incomplete,
        "retries": stats.retries,
        "status_codes": status_codes(stats),
        "errors": errors(stats),
        "error_messages": error_messages(stats),
        "latency_ms": latency_ms(stats.latency),
        "failure_latency_ms": latency_ms(stats.failure_latency),
        "latency_hdr": stats.latency.encode(),
        "checks": checks(stats),
        "service_time_ms": optional_latency_ms(stats.service_time),
        "schedule_lag_ms": optional_latency_ms(stats.schedule_lag),
    }
    return _with_protocol(document, stats)


def _point(point: TimelinePoint) -> dict[str, Any]:
    return {
        "t_s": number(point.t_s, SECONDS_DIGITS),
        "requests": point.requests,
        "failures": point.failures,
        "rps": number(point.rps, RATE_DIGITS),
        "p50_ms": number(point.p50_ms, MS_DIGITS),
        "p95_ms": number(point.p95_ms, MS_DIGITS),
        "p99_ms": number(point.p99_ms, MS_DIGITS),
        "active_users": point.active_users,
        "target": None if point.target is None else number(point.target, RATE_DIGITS),
    }


# Decimals of a threshold figure by unit: milliseconds and rates as elsewhere in the document,
# percentages with 4 (a ratio with 6), counts whole.
_THRESHOLD_DIGITS = {
    "ms": MS_DIGITS,
    "rps": RATE_DIGITS,
    "%": RATIO_DIGITS - 2,
    "count": 0,
    "bytes": 0,
    "B/s": RATE_DIGITS,
}


def threshold(verdict: ThresholdVerdict) -> dict[str, Any]:
    """One threshold verdict; the expression and endpoint are user text, so redacted."""
    digits = _THRESHOLD_DIGITS.get(verdict.unit, RATIO_DIGITS)
    return {
        "expression": redact_text(verdict.expression),
        "endpoint": None if verdict.endpoint is None else redact_text(verdict.endpoint),
        "metric": verdict.metric,
        "op": verdict.op,
        "limit": number(verdict.limit, digits),
        "unit": verdict.unit,
        "observed": None if verdict.observed is None else number(verdict.observed, digits),
        "passed": verdict.passed,
        "abort_on_fail": verdict.abort_on_fail,
    }


def _load(load: LoadSummary | None) -> dict[str, Any] | None:
    if load is None:
        return None
    arrivals = load.arrivals
    return {
        "model": load.model.value,
        "offered_rps": None if load.offered_rps is None else number(load.offered_rps, RATE_DIGITS),
        "achieved_rps": number(load.achieved_rps, RATE_DIGITS),
        "sustained": load.sustained,
        "scheduled": arrivals.scheduled,
        "completed": arrivals.completed,
        "failed": arrivals.failed,
        "dropped": dict(sorted(arrivals.dropped.items())),
        "dropped_total": arrivals.dropped_total,
        "in_flight_at_end": arrivals.in_flight_at_end,
        "lost_with_worker": arrivals.lost_with_worker,
        "schedule_lag_ms": optional_latency_ms(arrivals.lag),
        "load_phase_s": _seconds(load.load_s),
        "graceful_stop_s": _seconds(load.graceful_stop_s),
    }


def _seconds(value: float | None) -> float | None:
    return None if value is None else number(value, SECONDS_DIGITS)


def _generator(verdict: GeneratorVerdict | None) -> dict[str, Any] | None:
    if verdict is None:
        return None
    return {
        "saturated": verdict.saturated,
        "reasons": [redact_text(reason) for reason in verdict.reasons],
        "cpu_pct_max": number(verdict.cpu_pct_max, RATE_DIGITS),
        "cpu_pct_mean": number(verdict.cpu_pct_mean, RATE_DIGITS),
        "loop_lag_p99_ms": number(verdict.loop_lag_p99_ms, MS_DIGITS),
        "loop_lag_max_ms": number(verdict.loop_lag_max_ms, MS_DIGITS),
        "schedule_lag_p99_ms": number(verdict.schedule_lag_p99_ms, MS_DIGITS),
        "dropped": verdict.dropped,
        "causes": [cause.value for cause in verdict.causes],
        "notes": [redact_text(note) for note in verdict.notes],
        "stalls": [
            {
                "where": redact_text(stall.where),
                "count": stall.count,
                "max_ms": number(stall.max_ms, MS_DIGITS),
                "total_ms": number(stall.total_ms, MS_DIGITS),
            }
            for stall in verdict.stalls
        ],
    }


def _user_class(counts: UserClassStats, duration_s: float) -> dict[str, Any]:
    """One User class of a scripted run: users started, task iterations, requests."""
    return {
        "name": counts.name,
        "users": counts.users,
        "iterations": counts.iterations,
        "requests": counts.requests,
        "rps": rate(counts.requests, duration_s),
    }


def _worker(report: WorkerReport) -> dict[str, Any]:
    """One worker of a run on several workers: where it ran, its health, how it ended."""
    return {
        "worker": report.worker,
        "host": report.host,
        "pid": report.pid,
        "state": report.state.value,
        "requests": report.requests,
        "snapshots": report.snapshots,
        "last_seq": report.last_seq,
        "last_snapshot_end_s": None
        if report.last_snapshot_end_s is None
        else number(report.last_snapshot_end_s, SECONDS_DIGITS),
        "cpu_pct_max": number(report.cpu_pct_max, RATE_DIGITS),
        "cpu_pct_mean": number(report.cpu_pct_mean, RATE_DIGITS),
        "loop_lag_p99_ms": number(report.loop_lag_p99_ms, MS_DIGITS),
        "dropped": report.dropped,
        "saturated": report.saturated,
        "health_reasons": [redact_text(reason) for reason in report.health_reasons],
        "lost_at_s": None if report.lost_at_s is None else number(report.lost_at_s, SECONDS_DIGITS),
        "reason": None if report.reason is None else redact_text(report.reason),
    }


def _jsonable(value: Any) -> Any:
    """Options as plain JSON values, with secret-named entries and secrets in text redacted."""
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, enum.Enum):
        return _jsonable(value.value)
    if isinstance(value, PurePath):
        return str(value)
    if isinstance(value, Mapping):
        return {
            str(key): REDACTED if item and _SECRET_NAME.search(str(key)) else _jsonable(item)
            for key, item in value.items()
        }
    if isinstance(value, set | frozenset):
        return sorted((_jsonable(item) for item in value), key=repr)
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    return redact_text(str(value))
