"""The open-model pacer: when arrival k is due, as a pure function of the schedule and k.

With N(t) the arrivals due by t (the integral of the rate), uniform arrivals come at
t_k = N⁻¹(k) — for a constant rate R: 0, 1/R, 2/R, … — and Poisson arrivals at N⁻¹(Γ_k), where
Γ_k are the running sums of Exp(1) draws from a seeded `random.Random`: time-rescaling turns a
unit-rate Poisson process into one with any (ramping, stepped) rate. Arrivals are computed
against absolute times from the start, never from the previous send, so a late generator cannot
drift the schedule; the engine counts what it could not send.

A worker's slice of the schedule is a stride: worker w of n takes arrivals k ≡ w (mod n) of the
one global sequence (every worker draws the same Γ sequence from the same seed), so the union of
the workers' schedules is exactly the single-process schedule.
"""

from __future__ import annotations

import enum
import math
import random
from typing import Protocol

from surge.schedule.shapes import LOOKAHEAD_S


class ArrivalProcess(enum.Enum):
    """How arrivals are spaced at a given rate (`--arrivals`)."""

    UNIFORM = "uniform"  # evenly spaced: the k-th at exactly N⁻¹(k)
    POISSON = "poisson"  # exponential gaps with the same mean rate (seeded)


class CountCurve(Protocol):
    """A rate schedule that can be inverted: `time_of(c)` is sup{t : N(t) ≤ c}, None when the
    schedule ends first; a result later than `horizon_s` may be a bound ("not before then")."""

    def time_of(self, count: float, horizon_s: float = math.inf) -> float | None: ...


class Pacer:
    """The arrival times of one worker's slice of an open-model schedule.

    `due_s(k)`: seconds from the start at which this worker's arrival k is due, None when the
    schedule has no arrival k. `pace(elapsed_s, issued)`: vegeta's Pace — seconds to wait until
    arrival `issued` is due (≤ 0: due now, and `elapsed_s + wait` is its intended time), None when
    no more arrivals come. A positive wait may also mean "ask again then": with a load shape,
    pace never samples more than `lookahead_s` ahead of `elapsed_s`.

    Poisson draws are generated in order and remembered only as far as the last one asked for;
    asking for an earlier arrival again re-draws from the seed (exact, but slower).
    """

    __slots__ = (
        "_curve",
        "_drawn",
        "_gamma",
        "_rng",
        "lookahead_s",
        "offset",
        "process",
        "seed",
        "stride",
    )

    def __init__(
        self,
        curve: CountCurve,
        process: ArrivalProcess = ArrivalProcess.UNIFORM,
        seed: int = 0,
        *,
        stride: int = 1,
        offset: int = 0,
        lookahead_s: float = LOOKAHEAD_S,
    ) -> None:
        if stride < 1 or not 0 <= offset < stride:
            raise ValueError(f"bad worker slice: offset {offset} of stride {stride}")
        self._curve = curve
        self.process = process
        self.seed = seed
        self.stride = stride
        self.offset = offset
        self.lookahead_s = lookahead_s
        self._rng = random.Random(seed)
        self._drawn = -1  # the global index whose Γ is in `_gamma`
        self._gamma = 0.0

    def global_index(self, k: int) -> int:
        """The index in the single-process sequence of this worker's arrival k."""
        return self.offset + k * self.stride

    def _count(self, k: int) -> float:
        """The cumulative count at which this worker's arrival k comes: k itself (uniform) or
        Γ_k (Poisson), both in the global sequence."""
        g = self.global_index(k)
        if self.process is ArrivalProcess.UNIFORM:
            return float(g)
        if g < self._drawn:
            self._rng = random.Random(self.seed)
            self._drawn, self._gamma = -1, 0.0
        expovariate = self._rng.expovariate
        gamma = self._gamma
        for _ in range(g - self._drawn):
            gamma += expovariate(1.0)
        self._drawn, self._gamma = g, gamma
        return gamma

    def due_s(self, k: int) -> float | None:
        if k < 0:
            raise ValueError(f"arrival index must not be negative (got {k})")
        return self._curve.time_of(self._count(k))

    def pace(self, elapsed_s: float, issued: int) -> float | None:
        if issued < 0:
            raise ValueError(f"arrival count must not be negative (got {issued})")
        due = self._curve.time_of(self._count(issued), elapsed_s + self.lookahead_s)
        return None if due is None else due - elapsed_s
