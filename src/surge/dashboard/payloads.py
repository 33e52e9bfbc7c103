"""What each event says, as plain JSON-able data: pure functions of the runner's values.

A `tick` is one second of the run from the second's own Snapshots (deltas, never running
totals): rates, latency percentiles, users or arrival rate against the target, schedule lag and
dropped arrivals, each worker's CPU and loop lag. The `tables` are the running totals as they
stand: endpoints (the busiest `top` and one "other" row for the rest, so a hundred names stay
light), errors, checks and the thresholds judged now. An endpoint that recorded inside
WebSocket sessions or event streams carries a `protocol` object beside its row (`protocol_row`).
Nothing here is redacted: the feed scrubs every payload with the run's redactor before it is
sent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from surge.metrics import (
    Arrivals,
    EndpointStats,
    Histogram,
    LoadModel,
    RunResult,
    Snapshot,
    UserClassStats,
    merge_all,
    merge_stats,
)
from surge.runner import Job, Progress, RunStart
from surge.runner.recipe import wants_cluster
from surge.runner.steering import Steering
from surge.thresholds import RESOURCE_METRICS, ThresholdSpec, judge

TOP_ENDPOINTS = 40
TOP_MESSAGES = 20
PARTIAL_S = 0.25  # a shorter interval (the last moments of a run) is counted, not charted

Payload = dict[str, Any]


def _ms(histogram: Histogram, percentile: float) -> float | None:
    if histogram.total == 0:
        return None
    return round(histogram.value_at_percentile_us(percentile) / 1000.0, 3)


def _r(value: float, digits: int = 2) -> float:
    return round(value, digits)


# -- start --------------------------------------------------------------------------------------


def class_weights(job: Job | None) -> tuple[tuple[str, int], ...]:
    """The job's User classes and their weights (none in URL mode)."""
    if job is None:
        return ()
    scenario = job.scenario
    pairs = zip(scenario.user_classes, scenario.weights, strict=True)
    return tuple((cls.__name__, weight) for cls, weight in pairs)


def start_payload(start: RunStart, job: Job | None, run: int) -> Payload:
    """A run began: what it is and what the page may change while it runs."""
    plan = start.plan
    steer_users = steer_rate = False
    classes: list[Payload] = []
    if job is not None:
        steering = Steering(job.plan)
        in_process = not wants_cluster(job.config)
        steer_users = in_process and steering.users_steerable
        steer_rate = in_process and steering.rate_steerable
        classes = class_rows(class_weights(job), {}, 0.0)
    return {
        "run": run,
        "name": start.name,
        "mode": start.mode,
        "target": start.target,
        "model": start.model.value,
        "plan": start.description,
        "duration_s": plan.duration_s,
        "index": start.index,
        "jobs": start.jobs,
        "round": start.round,
        "repeat": start.repeat,
        "steer": {"users": steer_users, "rate": steer_rate},
        "classes": classes,
        "thresholds": [spec.expression for spec in job.thresholds] if job else [],
    }


# -- tick ---------------------------------------------------------------------------------------


def _span_s(snapshots: Sequence[Snapshot]) -> float:
    if not snapshots:
        return 1.0
    span = max(s.end_s for s in snapshots) - min(s.start_s for s in snapshots)
    return span if span > 0 else 0.001


def _worker(snap: Snapshot, span_s: float) -> list[Any]:
    """[worker, cpu %, loop lag p99 ms, requests/s, active users] of one worker's second."""
    requests = sum(e.requests for e in snap.endpoints)
    cpu = lag = None
    if snap.health is not None:
        cpu = _r(snap.health.cpu_pct, 1)
        lag = _ms(snap.health.loop_lag, 99.0)
    return [snap.worker, cpu, lag, _r(requests / span_s), snap.active_users]


def tick_payload(progress: Progress, model: LoadModel) -> Payload:
    """One second of the run (see the module docstring)."""
    snaps = progress.snapshots
    span_s = _span_s(snaps)
    parts = [e for s in snaps for e in s.endpoints]
    requests = sum(e.requests for e in parts)
    failures = sum(e.failures for e in parts)
    latency = merge_all(e.latency for e in parts)
    workers = [_worker(s, span_s) for s in sorted(snaps, key=lambda s: s.worker)]
    cpus = [w[1] for w in workers if w[1] is not None]
    lags = [w[2] for w in workers if w[2] is not None]
    tick: Payload = {
        "t": _r(progress.elapsed_s, 3),
        "rps": _r(requests / span_s),
        "fps": _r(failures / span_s),
        "p50": _ms(latency, 50.0),
        "p95": _ms(latency, 95.0),
        "p99": _ms(latency, 99.0),
        "users": sum(s.active_users for s in snaps) if snaps else progress.status.active_users,
        "target": progress.status.target,
        "requests": progress.status.requests,
        "failures": progress.status.failures,
        "cpu": max(cpus) if cpus else None,
        "loop": max(lags) if lags else None,
        "workers": workers,
        "partial": span_s < PARTIAL_S,
    }
    if model is LoadModel.OPEN:
        arrivals = sum((s.arrivals for s in snaps), Arrivals())
        dropped = arrivals.dropped_total
        tick["started"] = _r((arrivals.scheduled - dropped) / span_s)
        tick["dropped"] = dropped
        tick["lag"] = _ms(arrivals.lag, 99.0)
    return tick


# -- tables -------------------------------------------------------------------------------------


def protocol_row(stats: EndpointStats, elapsed_s: float) -> Payload | None:
    """What happened inside the endpoint's WebSocket sessions and event streams so far: sessions
    (streams), messages per second each way, reply p95, close codes; events per second,
    reconnects, time to first event p95 (ms); None for an endpoint without any."""
    if not (stats.counts or stats.timings or stats.close_codes):
        return None
    counts, timings = stats.counts, stats.timings

    def rate(name: str) -> float | None:
        if name not in counts:
            return None
        return _r(counts[name] / elapsed_s) if elapsed_s > 0 else 0.0

    def p95(name: str) -> float | None:
        found = timings.get(name)
        return None if found is None else _ms(found, 95.0)

    return {
        "sessions": counts.get("sessions", 0),
        "msgs_received_per_s": rate("msgs_received"),
        "msgs_sent_per_s": rate("msgs_sent"),
        "reply_p95": p95("reply"),
        "close_codes": {str(code): n for code, n in sorted(stats.close_codes.items())},
        "events_per_s": rate("events"),
        "reconnects": counts.get("reconnects", 0),
        "first_event_p95": p95("first_event"),
        "session_errors": counts.get("session_errors", 0),
    }


def _endpoint_row(stats: EndpointStats, elapsed_s: float, now: float | None) -> Payload:
    row = _http_row(stats, elapsed_s, now)
    protocol = protocol_row(stats, elapsed_s)
    if protocol is not None:
        row["protocol"] = protocol
    return row


def _http_row(stats: EndpointStats, elapsed_s: float, now: float | None) -> Payload:
    latency = stats.latency
    return {
        "method": stats.method,
        "name": stats.name,
        "requests": stats.requests,
        "failures": stats.failures,
        "rps": _r(stats.requests / elapsed_s) if elapsed_s > 0 else 0.0,
        "now": now,
        "mean": round(latency.mean_us / 1000.0, 3) if latency.total else None,
        "p50": _ms(latency, 50.0),
        "p95": _ms(latency, 95.0),
        "p99": _ms(latency, 99.0),
        "max": round(latency.max_us / 1000.0, 3) if latency.total else None,
    }


def _now_rates(snapshots: Sequence[Snapshot]) -> dict[tuple[str, str], float]:
    """Each endpoint's requests per second over the latest second (none over a partial one)."""
    span_s = _span_s(snapshots)
    if span_s < PARTIAL_S:
        return {}
    counts: dict[tuple[str, str], int] = {}
    for snap in snapshots:
        for part in snap.endpoints:
            counts[part.key] = counts.get(part.key, 0) + part.requests
    return {key: _r(n / span_s) for key, n in counts.items()}


def endpoint_rows(
    endpoints: Sequence[EndpointStats],
    elapsed_s: float,
    snapshots: Sequence[Snapshot] = (),
    top: int = TOP_ENDPOINTS,
) -> tuple[list[Payload], Payload | None]:
    """The busiest `top` endpoints' rows and, when there are more, one row for the rest."""
    now = _now_rates(snapshots)
    ranked = sorted(endpoints, key=lambda e: (-e.requests, e.key))
    shown, rest = ranked[:top], ranked[top:]
    rows = [_endpoint_row(e, elapsed_s, now.get(e.key, 0.0) if now else None) for e in shown]
    if not rest:
        return rows, None
    merged = merge_stats("", f"{len(rest)} other endpoints", rest)
    rest_now = _r(sum(now.get(e.key, 0.0) for e in rest)) if now else None
    other = _endpoint_row(merged, elapsed_s, rest_now)
    other["count"] = len(rest)
    return rows, other


def _errors(total: EndpointStats) -> tuple[list[Payload], list[Payload]]:
    kinds = [{"kind": k, "count": n} for k, n in sorted(total.errors.items(), key=_by_count)]
    ranked = sorted(total.error_messages.items(), key=_by_count)
    messages = [{"message": m, "count": n} for m, n in ranked[:TOP_MESSAGES]]
    hidden = sum(n for _, n in ranked[TOP_MESSAGES:])
    if hidden:
        others = f"{len(ranked) - TOP_MESSAGES} other messages"
        messages.append({"message": others, "count": hidden})
    return kinds, messages


def _by_count(item: tuple[str, int]) -> tuple[int, str]:
    return (-item[1], item[0])


def _checks(total: EndpointStats) -> list[Payload]:
    return [
        {"name": name, "passes": count.passes, "fails": count.fails}
        for name, count in total.checks.items()
    ]


def threshold_rows(
    specs: Iterable[ThresholdSpec],
    endpoints: Sequence[EndpointStats],
    total: EndpointStats,
    elapsed_s: float,
) -> list[Payload]:
    """Each threshold as it stands now; resource thresholds are judged at the end only."""
    rows: list[Payload] = []
    for spec in specs:
        if spec.metric in RESOURCE_METRICS:
            pending = {"expression": spec.expression, "observed": None, "unit": spec.unit}
            rows.append({**pending, "passed": None, "note": "judged at the end"})
            continue
        verdict = judge(spec, endpoints, total, elapsed_s)
        observed = None if verdict.observed is None else round(verdict.observed, 3)
        rows.append(
            {
                "expression": verdict.expression,
                "observed": observed,
                "unit": verdict.unit,
                "passed": verdict.passed,
                "note": "nothing measured yet" if observed is None else "",
            }
        )
    return rows


def add_class_counts(
    counts: dict[str, UserClassStats], snapshots: Iterable[Snapshot]
) -> dict[str, UserClassStats]:
    """`counts` with the User class counts of these snapshots added (in place)."""
    for snap in snapshots:
        for part in snap.user_classes:
            known = counts.get(part.name)
            counts[part.name] = part if known is None else known + part
    return counts


def class_rows(
    weights: Sequence[tuple[str, int]], counts: Mapping[str, UserClassStats], elapsed_s: float
) -> list[Payload]:
    """Each User class: its weight and share, the users it started, its iterations and
    requests so far (and classes that ran without a planned weight, after them)."""
    total = sum(w for _, w in weights)
    names = [n for n, _ in weights] + sorted(set(counts) - {n for n, _ in weights})
    weight_of = dict(weights)
    rows = []
    for name in names:
        count = counts.get(name, UserClassStats(name))
        weight = weight_of.get(name)
        rows.append(
            {
                "name": name,
                "weight": weight,
                "share": round(100.0 * weight / total, 1) if weight and total else None,
                "users": count.users,
                "iterations": count.iterations,
                "requests": count.requests,
                "rps": _r(count.requests / elapsed_s) if elapsed_s > 0 else 0.0,
            }
        )
    return rows


def tables_payload(
    progress: Progress,
    specs: Sequence[ThresholdSpec],
    classes: list[Payload] | None = None,
    top: int = TOP_ENDPOINTS,
) -> Payload:
    """The running totals as they stand (see the module docstring)."""
    elapsed_s = progress.elapsed_s
    rows, other = endpoint_rows(progress.endpoints, elapsed_s, progress.snapshots, top)
    kinds, messages = _errors(progress.total)
    return {
        "t": _r(elapsed_s, 3),
        "total": _endpoint_row(progress.total, elapsed_s, None),
        "endpoints": rows,
        "other": other,
        "errors": kinds,
        "messages": messages,
        "checks": _checks(progress.total),
        "thresholds": threshold_rows(specs, progress.endpoints, progress.total, elapsed_s),
        "classes": classes or [],
    }


# -- end ----------------------------------------------------------------------------------------


def end_payload(
    result: RunResult,
    run: int,
    downloads: Sequence[Payload],
    weights: Sequence[tuple[str, int]] = (),
) -> Payload:
    """The finished run: its verdict, its totals and final tables, and what can be downloaded."""
    generator = result.generator
    counts = {c.name: c for c in result.user_classes}
    rows, other = endpoint_rows(result.endpoints, result.duration_s, top=TOP_ENDPOINTS)
    kinds, messages = _errors(result.total)
    return {
        "run": run,
        "name": result.meta.name,
        "passed": result.passed,
        "exit_code": int(result.exit_code),
        "aborted": result.meta.aborted,
        "abort_reason": result.meta.abort_reason,
        "duration_s": result.duration_s,
        "saturated": bool(generator and generator.saturated),
        "saturation": list(generator.reasons) if generator else [],
        "tables": {
            "t": result.duration_s,
            "total": _endpoint_row(result.total, result.duration_s, None),
            "endpoints": rows,
            "other": other,
            "errors": kinds,
            "messages": messages,
            "checks": _checks(result.total),
            "thresholds": [
                {
                    "expression": v.expression,
                    "observed": None if v.observed is None else round(v.observed, 3),
                    "unit": v.unit,
                    "passed": v.passed,
                    "note": "final",
                }
                for v in result.thresholds
            ],
            "classes": class_rows(weights, counts, result.duration_s),
        },
        "downloads": list(downloads),
    }
