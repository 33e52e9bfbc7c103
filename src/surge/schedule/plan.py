"""Closed-model load plans: who starts when, which user class each virtual user runs, when to stop.

A Plan is plain data computed from the load profile; the engine runs it and tests assert on it
without sockets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

DEFAULT_DURATION_S = 10.0


class PlanError(ValueError):
    """An impossible load profile (names the option at fault)."""


@dataclass(frozen=True, slots=True)
class LoadProfile:
    """The closed-model knobs as the user gave them (already parsed into numbers)."""

    users: int = 1
    ramp_up_s: float = 0.0
    duration_s: float | None = None
    requests_per_user: int | None = None
    think_time_s: float = 0.0


@dataclass(frozen=True, slots=True)
class Plan:
    """When each virtual user starts, which class it runs, and when the run ends.

    `duration_s` None means: run until every user has made `requests_per_user` requests.
    """

    users: int
    ramp_up_s: float
    duration_s: float | None
    requests_per_user: int | None
    think_time_s: float
    start_offsets_s: tuple[float, ...]
    user_classes: tuple[int, ...]

    def describe(self) -> str:
        stop = (
            f"for {self.duration_s:g}s"
            if self.duration_s is not None
            else f"until {self.requests_per_user} requests per user"
        )
        if self.duration_s is not None and self.requests_per_user is not None:
            stop += f" or {self.requests_per_user} requests per user"
        ramp = f", ramp-up {self.ramp_up_s:g}s" if self.ramp_up_s else ""
        return f"{self.users} users{ramp}, {stop}"


def compile_plan(profile: LoadProfile, weights: Sequence[int] = (1,)) -> Plan:
    """Validate the profile and lay out the users. Raises PlanError naming the bad option."""
    if profile.users < 1:
        raise PlanError(f"--users must be at least 1 (got {profile.users})")
    if profile.ramp_up_s < 0:
        raise PlanError(f"--ramp-up must not be negative (got {profile.ramp_up_s:g})")
    if profile.think_time_s < 0:
        raise PlanError(f"--think-time must not be negative (got {profile.think_time_s:g})")
    if profile.requests_per_user is not None and profile.requests_per_user < 1:
        raise PlanError(f"--requests-per-user must be at least 1 (got {profile.requests_per_user})")
    if profile.duration_s is not None and profile.duration_s <= 0:
        raise PlanError(f"--duration must be positive (got {profile.duration_s:g})")
    if not weights or any(w < 1 for w in weights):
        raise PlanError("user class weights must be at least 1")
    duration_s = profile.duration_s
    if duration_s is None and profile.requests_per_user is None:
        duration_s = DEFAULT_DURATION_S
    return Plan(
        users=profile.users,
        ramp_up_s=profile.ramp_up_s,
        duration_s=duration_s,
        requests_per_user=profile.requests_per_user,
        think_time_s=profile.think_time_s,
        start_offsets_s=ramp_offsets(profile.users, profile.ramp_up_s),
        user_classes=assign_classes(profile.users, weights),
    )


def ramp_offsets(users: int, ramp_up_s: float) -> tuple[float, ...]:
    """User i starts at ramp_up_s * i / users: evenly spread, the first at once."""
    return tuple(ramp_up_s * i / users for i in range(users))


def assign_classes(users: int, weights: Sequence[int]) -> tuple[int, ...]:
    """Class index per user by smooth weighted round-robin: any prefix of the sequence is as
    close to the weight ratio as integers allow (3:1 over 8 users is exactly 6:2)."""
    total = sum(weights)
    current = [0] * len(weights)
    out: list[int] = []
    for _ in range(users):
        for i, w in enumerate(weights):
            current[i] += w
        best = max(range(len(weights)), key=lambda i: current[i])
        current[best] -= total
        out.append(best)
    return tuple(out)
