"""surge.schedule: when requests happen — load profiles compiled into plain-data Plans."""

from surge.schedule.durations import format_duration, parse_duration
from surge.schedule.plan import (
    DEFAULT_DURATION_S,
    LoadProfile,
    Plan,
    PlanError,
    assign_classes,
    compile_plan,
    ramp_offsets,
)

__all__ = [
    "DEFAULT_DURATION_S",
    "LoadProfile",
    "Plan",
    "PlanError",
    "assign_classes",
    "compile_plan",
    "format_duration",
    "parse_duration",
    "ramp_offsets",
]
