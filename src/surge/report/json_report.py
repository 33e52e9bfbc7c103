"""The results JSON: a public, versioned contract (documented in docs/results-json.md).

Changes are additive only: new keys may appear, existing keys keep their name, type and unit.
Numbers are rounded (milliseconds to 3 decimals, rates to 3, ratios to 6) and are never NaN or
infinite. Nothing secret from the options, the target or error messages is written (see
`redact_text`).
"""

from __future__ import annotations

import enum
import json
import math
import re
from collections.abc import Mapping, Sequence
from pathlib import PurePath
from typing import Any, TextIO

from surge.metrics import EndpointStats, Histogram, RunMeta, RunResult, TimelinePoint

SCHEMA_VERSION = 1
MS_DIGITS = 3
RATE_DIGITS = 3
RATIO_DIGITS = 6
SECONDS_DIGITS = 3
REDACTED = "***"

_SECRET_NAME = re.compile(
    r"authori[sz]ation|cookie|token|secret|passw(?:or)?d|api[-_]?key|credential|session|bearer",
    re.IGNORECASE,
)
_URL_USERINFO = re.compile(r"(\b[a-zA-Z][a-zA-Z0-9+.-]*://)[^/\s@?#]+@")
_SECRET_QUERY = re.compile(
    r"([?&;][^=&#\s]*(?:token|secret|passw(?:or)?d|api[-_]?key|signature|sig|auth)[^=&#\s]*=)"
    r"[^&#\s]*",
    re.IGNORECASE,
)
_HEADER_LINE = re.compile(r"^(\s*[A-Za-z0-9-]+\s*:\s*)(.+)$", re.DOTALL)


def redact_text(text: str) -> str:
    """`text` without URL credentials, secret-looking query values or secret header values."""
    header = _HEADER_LINE.match(text)
    if header and "://" not in header.group(1) and _SECRET_NAME.search(header.group(1)):
        return header.group(1) + REDACTED
    text = _URL_USERINFO.sub(rf"\1{REDACTED}@", text)
    return _SECRET_QUERY.sub(rf"\1{REDACTED}", text)


def number(value: float, digits: int) -> float:
    """`value` rounded to `digits`, with NaN and infinities as 0.0 and no negative zero."""
    if not math.isfinite(value):
        return 0.0
    return round(value, digits) + 0.0


def latency_ms(histogram: Histogram) -> dict[str, float]:
    """The `latency_ms` object: min, mean, stddev, p50 … p9999, max in milliseconds."""
    return {key: number(value, MS_DIGITS) for key, value in histogram.summary_ms().items()}


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
    """The results document of one run (schema_version 1)."""
    return {
        "schema_version": SCHEMA_VERSION,
        "meta": _meta(result.meta),
        "summary": _summary(result),
        "endpoints": [_endpoint(stats, result.duration_s) for stats in result.endpoints],
        "timeline": [_point(point) for point in result.timeline],
    }


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
        "abort_reason": meta.abort_reason,
    }


def _summary(result: RunResult) -> dict[str, Any]:
    total = result.total
    return {
        "requests": total.requests,
        "failures": total.failures,
        "error_rate": number(total.error_rate, RATIO_DIGITS),
        "rps": number(result.rps, RATE_DIGITS),
        "duration_s": number(result.duration_s, SECONDS_DIGITS),
        "bytes_received": total.bytes_received,
        "incomplete": total.incomplete,
        "status_codes": status_codes(total),
        "errors": errors(total),
        "latency_ms": latency_ms(total.latency),
    }


def _endpoint(stats: EndpointStats, duration_s: float) -> dict[str, Any]:
    return {
        "method": stats.method,
        "name": redact_text(stats.name),
        "requests": stats.requests,
        "failures": stats.failures,
        "error_rate": number(stats.error_rate, RATIO_DIGITS),
        "rps": rate(stats.requests, duration_s),
        "bytes_received": stats.bytes_received,
        "incomplete": stats.incomplete,
        "status_codes": status_codes(stats),
        "errors": errors(stats),
        "error_messages": error_messages(stats),
        "latency_ms": latency_ms(stats.latency),
        "failure_latency_ms": latency_ms(stats.failure_latency),
        "latency_hdr": stats.latency.encode(),
    }


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
