"""Turning what the user gave (`--threshold` texts, scenario-file entries) into ThresholdSpecs,
and checking them against the endpoints a run will have — all before any request is sent."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Protocol

from surge.thresholds.grammar import (
    BENCH_METRICS,
    DEFAULT_ABORT_GRACE_S,
    TARGET_METRICS,
    ThresholdError,
    ThresholdSpec,
    parse_threshold,
    selector_colon,
)
from surge.thresholds.python_api import Threshold

THRESHOLD_OPTION = "--threshold"
DEFAULT_WHERE = "default threshold"
OPEN_MODEL_DEFAULTS = ("dropped_rate<1%",)
"""What every open-model run must meet unless the user judges the same metric: fewer than 1 %
of the arrivals dropped (at the in-flight cap, while the run was live). A run whose target is
slower than the rate allows under `--max-in-flight` fails it (exit 1); its generator was fine."""


class EntryLike(Protocol):
    """A threshold as a scenario file gave it (`surge.scenario.model.ThresholdEntry`).

    A Protocol rather than an import: the scenario stage is not a dependency of this one.
    """

    @property
    def value(self) -> object: ...

    @property
    def where(self) -> str: ...

    @property
    def abort_on_fail(self) -> bool: ...

    @property
    def grace_s(self) -> float | None: ...


def parse_thresholds(
    texts: Iterable[str],
    *,
    abort_on_fail: bool = False,
    grace_s: float = DEFAULT_ABORT_GRACE_S,
    where: str = THRESHOLD_OPTION,
) -> tuple[ThresholdSpec, ...]:
    """Parse command-line expressions (`--threshold`, repeatable); errors name the option."""
    return tuple(
        parse_threshold(text, abort_on_fail=abort_on_fail, grace_s=grace_s, where=where)
        for text in texts
    )


def specs_from_entries(
    entries: Iterable[EntryLike],
    *,
    abort_on_fail: bool = False,
    grace_s: float = DEFAULT_ABORT_GRACE_S,
) -> tuple[ThresholdSpec, ...]:
    """Parse a scenario's threshold entries; errors name the entry's `file:line`.

    An entry's own `abort_on_fail` adds to the global one (`--abort-on-fail`); its own grace
    (from a TOML table entry) wins over the global `grace_s` (`--abort-grace`).
    """
    specs: list[ThresholdSpec] = []
    for entry in entries:
        abort = entry.abort_on_fail or abort_on_fail
        grace = entry.grace_s if entry.grace_s is not None else grace_s
        value = entry.value
        if isinstance(value, Threshold):
            specs.extend(value.specs(abort_on_fail=abort, grace_s=grace, where=entry.where))
        elif isinstance(value, str):
            specs.append(
                parse_threshold(value, abort_on_fail=abort, grace_s=grace, where=entry.where)
            )
        else:
            raise ThresholdError(
                "a threshold must be an expression string like 'p95<200ms' or a "
                f"surge.Threshold(...), got {type(value).__name__} {value!r}",
                where=entry.where,
            )
    return tuple(specs)


def with_defaults(specs: Sequence[ThresholdSpec], *, open_model: bool) -> tuple[ThresholdSpec, ...]:
    """`specs` and the built-in thresholds of the model (`OPEN_MODEL_DEFAULTS`) whose metric no
    whole-run spec of the user's judges already: `--threshold 'dropped_rate<5%'` replaces the
    default, `--threshold 'dropped_rate<=100%'` turns it off."""
    if not open_model:
        return tuple(specs)
    judged = {spec.metric for spec in specs if spec.selector is None}
    defaults = (parse_threshold(text, where=DEFAULT_WHERE) for text in OPEN_MODEL_DEFAULTS)
    return (*specs, *(spec for spec in defaults if spec.metric not in judged))


def with_abort(
    specs: Iterable[ThresholdSpec], *, grace_s: float | None = None
) -> tuple[ThresholdSpec, ...]:
    """Every spec marked abort-on-fail (the `--abort-on-fail` flag), optionally with one grace."""
    return tuple(
        replace(spec, abort_on_fail=True, grace_s=spec.grace_s if grace_s is None else grace_s)
        for spec in specs
    )


def _endpoint_label(key: tuple[str, str]) -> str:
    method, name = key
    return f"{method} {name}" if method else name


def validate(specs: Sequence[ThresholdSpec], known_endpoints: set[tuple[str, str]] | None) -> None:
    """Reject a selector naming an endpoint the run cannot have, and a bench-only metric
    (`memory_increase`, `memory_peak`, `queries`) in a load run.

    `known_endpoints` holds the (method, name) pairs of the run when they are known before it
    starts (URL mode, TOML endpoint scenarios); None for scripted users, whose endpoints appear
    only as they run — there an unmatched selector fails at evaluation instead.
    """
    for spec in specs:
        if spec.metric in BENCH_METRICS:
            start = spec.expression.find(spec.metric.value)
            raise ThresholdError(
                f"{spec.metric.value} is measured by benchmarks of callables (surge bench, "
                "surge.benchmark), not by a load run; for a load run's memory use "
                "generator.rss or target.rss (docs/resources.md)",
                spec.expression,
                (start, start + len(spec.metric.value)) if start >= 0 else None,
                spec.where,
            )
    if known_endpoints is None:
        return
    for spec in specs:
        selector = spec.selector
        if selector is None or any(selector.matches(m, n) for m, n in known_endpoints):
            continue
        labels = sorted(_endpoint_label(key) for key in known_endpoints)
        message = (
            f"no endpoint {selector.label!r} in this run; "
            f"known endpoints: {', '.join(labels) or '(none)'}"
        )
        names = sorted({name for _, name in known_endpoints})
        candidates = labels if selector.method else names
        close = difflib.get_close_matches(selector.label, candidates, n=1)
        if close:
            message += f"; did you mean {close[0]!r}?"
        colon = selector_colon(spec.expression)
        span = (0, colon) if colon else None
        raise ThresholdError(message, spec.expression, span, spec.where)


def validate_resources(specs: Sequence[ThresholdSpec], *, targets_monitored: bool) -> None:
    """Reject a `target.*` threshold when no target process is monitored: it could only fail."""
    if targets_monitored:
        return
    for spec in specs:
        if spec.metric not in TARGET_METRICS:
            continue
        start = spec.expression.find(spec.metric.value)
        span = (start, start + len(spec.metric_label)) if start >= 0 else None
        raise ThresholdError(
            f"{spec.metric.value} judges the monitored target processes, but none is "
            "monitored: add --monitor-pid PID or --monitor-process NAME",
            spec.expression,
            span,
            spec.where,
        )
