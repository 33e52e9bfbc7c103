"""The serial measurement engine: calibrate, warm up, then time rounds of back-to-back calls.

    samples = sample_serially(Call(fn, args), Plan(duration_s=1.0))

One round times `iterations` calls together; its per-call time is its duration divided by
`iterations`. Unless given, `iterations` is calibrated so that a round lasts at least
`target_sample_ns` — far above the timer's resolution, short enough that slow calls (a query, a
handler) are timed one by one and their tail stays visible. Garbage collection is off inside a
round by default and back on between rounds. A round whose callable raises is not timed: the
exception is counted by type and its position kept (`raise_errors`: re-raised instead, as
pytest-benchmark's fixture does). This is the engine both `surge.benchmark` and the pytest
plugin's fixture drive; `exact=True` is pytest-benchmark's `pedantic`: no probe call and no
calibration, exactly `warmup` and `rounds` rounds of `iterations` calls, the last call's value.
"""

from __future__ import annotations

import asyncio
import gc
import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from surge.benches.calls import Call, Clock, Sampler, error_name, sampler_for, timed_once

MIN_SAMPLE_NS = 20_000
TIMER_FACTOR = 1000  # a round lasts at least this many timer steps
WARMUP_SHARE = 0.1  # automatic warm-up: this share of the duration (at least one round)
_CALIBRATION_STEPS = 40
MIN_ROUNDS = 5  # rounds made even when the duration is spent
MAX_ROUNDS = 20_000  # past this, calibration batches more calls per round instead


@dataclass(frozen=True, slots=True)
class Plan:
    """How many rounds of how many calls, after how much warm-up.

    `rounds` None: as many rounds as fit in `duration_s` (at least `min_rounds`, at most
    `max_rounds`). `iterations` None: calibrated (1 when there is a setup). `warmup` rounds
    before timing starts; None: about a tenth of the duration, at least one round.

    `exact`: nothing but what is asked (pytest-benchmark's `pedantic`): `warmup` (default 0)
    untimed rounds, then `rounds` (default 1) timed rounds of `iterations` (default 1) calls,
    with no probe call and no calibration. `raise_errors`: a call that raises ends the bench
    with its exception instead of being counted.
    """

    rounds: int | None = None
    iterations: int | None = None
    warmup: int | None = None
    duration_s: float = 1.0
    min_rounds: int = MIN_ROUNDS
    max_rounds: int = MAX_ROUNDS
    min_sample_ns: int = MIN_SAMPLE_NS
    disable_gc: bool = True
    exact: bool = False
    raise_errors: bool = False

    def __post_init__(self) -> None:
        for name in ("rounds", "iterations"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or value < 1):
                raise ValueError(f"{name} must be a whole number of at least 1, got {value!r}")
        if self.warmup is not None and (not isinstance(self.warmup, int) or self.warmup < 0):
            raise ValueError(
                f"warmup must be a whole number of rounds (0 or more), got {self.warmup!r}"
            )
        if not (isinstance(self.duration_s, int | float) and self.duration_s > 0):
            raise ValueError(f"duration must be more than 0 seconds, got {self.duration_s!r}")
        if self.min_rounds < 1 or self.max_rounds < self.min_rounds:
            raise ValueError("min_rounds must be at least 1 and at most max_rounds")


def _no_errors() -> Mapping[str, int]:
    return {}


@dataclass(frozen=True, slots=True)
class Samples:
    """What the serial engine measured: every round's duration in order, and the rest."""

    sample_ns: tuple[int, ...]
    iterations: int
    error_at: tuple[int, ...] = ()
    errors_by_type: Mapping[str, int] = field(default_factory=_no_errors)
    warmup_rounds: int = 0
    target_sample_ns: int = 0
    value: Any = None

    @property
    def errors(self) -> int:
        return sum(self.errors_by_type.values())


class _Rounds:
    """Runs rounds: setup, GC off, timed calls, GC on, teardown; counts what raised."""

    def __init__(
        self,
        call: Call,
        clock: Clock,
        loop: asyncio.AbstractEventLoop | None,
        gc_off: bool,
        raise_errors: bool = False,
    ) -> None:
        self.call, self.clock, self.loop, self.gc_off = call, clock, loop, gc_off
        self.raise_errors = raise_errors
        self._sampler: Sampler | None = None if call.setup else sampler_for(call, clock, loop)
        self.errors: Counter[str] = Counter()
        self.value: Any = None

    def run(self, n: int) -> int | None:
        """One round of `n` calls: its nanoseconds, or None when the callable raised."""
        call = self.call.prepared()
        sampler = self._sampler or sampler_for(call, self.clock, self.loop)
        enabled = gc.isenabled()
        if self.gc_off:
            gc.disable()
        try:
            return sampler(n)
        except Exception as exc:
            if self.raise_errors:
                raise
            self.errors[error_name(exc)] += 1
            return None
        finally:
            if self.gc_off and enabled:
                gc.enable()
            call.finish()

    def run_once(self) -> int | None:
        """One round of one call that keeps the call's value (`self.value`)."""
        call = self.call.prepared()
        enabled = gc.isenabled()
        if self.gc_off:
            gc.disable()
        try:
            took, self.value = timed_once(call, self.clock, self.loop)
            return took
        except Exception as exc:
            if self.raise_errors:
                raise
            self.errors[error_name(exc)] += 1
            return None
        finally:
            if self.gc_off and enabled:
                gc.enable()
            call.finish()


def _calibrate(rounds: _Rounds, target_ns: int) -> int | None:
    """The smallest power-of-ten-then-refined `n` whose round lasts `target_ns`; None when the
    callable raised (then every call is timed alone, so errors and successes stay apart)."""
    n = 1
    for _ in range(_CALIBRATION_STEPS):
        took = rounds.run(n)
        if took is None:
            return None
        if took >= target_ns:
            return n
        if took <= target_ns // 10:
            n *= 10
        else:
            n = max(n + 1, math.ceil(n * target_ns / max(took, 1) * 1.05))
    return n


def target_sample_ns(plan: Plan, timer_step_ns: float) -> int:
    share = plan.duration_s * 1e9 / plan.max_rounds if plan.rounds is None else 0.0
    return int(max(plan.min_sample_ns, TIMER_FACTOR * timer_step_ns, share))


def sample_serially(
    call: Call,
    plan: Plan,
    *,
    clock: Clock,
    loop: asyncio.AbstractEventLoop | None = None,
    timer_step_ns: float = 1.0,
) -> Samples:
    """Calibrate, warm up and time rounds of `call` as `plan` says (see the module docstring)."""
    if call.setup is not None and plan.iterations not in (None, 1):
        raise ValueError(
            "setup runs before every round of a single call: iterations must be 1 with setup"
        )
    if plan.exact:
        return sample_exactly(call, plan, clock=clock, loop=loop)
    rounds = _Rounds(call, clock, loop, plan.disable_gc, plan.raise_errors)
    first = call.prepared()
    probe_failed = False
    try:
        value = first.once(loop)
    except Exception:
        if plan.raise_errors:
            raise
        value, probe_failed = None, True
    finally:
        first.finish()
    target = target_sample_ns(plan, timer_step_ns)
    if plan.iterations is not None:
        iterations = plan.iterations
    elif call.setup is not None or probe_failed:
        iterations = 1
    else:
        iterations = _calibrate(rounds, target) or 1
    rounds.errors.clear()  # the probe and calibration are not measured rounds
    warmed = _warm_up(rounds, plan, iterations, clock)
    rounds.errors.clear()
    return _measure(rounds, plan, iterations, clock, warmed, target, value)


def _warm_up(rounds: _Rounds, plan: Plan, iterations: int, clock: Clock) -> int:
    if plan.warmup is not None:
        for _ in range(plan.warmup):
            rounds.run(iterations)
        return plan.warmup
    until = clock() + int(plan.duration_s * WARMUP_SHARE * 1e9)
    done = 0
    while done < plan.max_rounds // 10 or done == 0:
        rounds.run(iterations)
        done += 1
        if clock() >= until:
            break
    return done


def _measure(
    rounds: _Rounds,
    plan: Plan,
    iterations: int,
    clock: Clock,
    warmed: int,
    target: int,
    value: Any,
) -> Samples:
    samples: list[int] = []
    error_at: list[int] = []
    deadline = clock() + int(plan.duration_s * 1e9)
    attempts = 0
    while True:
        if plan.rounds is not None:
            if attempts >= plan.rounds:
                break
        elif attempts >= plan.max_rounds or (attempts >= plan.min_rounds and clock() >= deadline):
            break
        took = rounds.run(iterations)
        attempts += 1
        if took is None:
            error_at.append(len(samples))
        else:
            samples.append(took)
    return Samples(
        sample_ns=tuple(samples),
        iterations=iterations,
        error_at=tuple(error_at),
        errors_by_type=dict(sorted(rounds.errors.items())),
        warmup_rounds=warmed,
        target_sample_ns=target,
        value=value,
    )


def sample_exactly(
    call: Call,
    plan: Plan,
    *,
    clock: Clock,
    loop: asyncio.AbstractEventLoop | None = None,
) -> Samples:
    """pytest-benchmark's `pedantic`: `warmup` untimed rounds, then `rounds` timed rounds of
    `iterations` calls, and nothing else. The value is the last timed call's; with several
    iterations a round keeps none, so one more call (setup and teardown around it) gives it."""
    iterations = plan.iterations or 1
    rounds = _Rounds(call, clock, loop, plan.disable_gc, plan.raise_errors)
    run = rounds.run_once if iterations == 1 else lambda: rounds.run(iterations)
    for _ in range(plan.warmup or 0):
        run()
    samples: list[int] = []
    error_at: list[int] = []
    for _ in range(plan.rounds or 1):
        took = run()
        if took is None:
            error_at.append(len(samples))
        else:
            samples.append(took)
    value = rounds.value
    if iterations > 1:
        last = call.prepared()
        try:
            value = last.once(loop)
        finally:
            last.finish()
    return Samples(
        sample_ns=tuple(samples),
        iterations=iterations,
        error_at=tuple(error_at),
        errors_by_type=dict(sorted(rounds.errors.items())),
        warmup_rounds=plan.warmup or 0,
        target_sample_ns=0,
        value=value,
    )
