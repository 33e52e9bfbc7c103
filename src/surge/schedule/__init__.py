"""surge.schedule: when requests happen — load profiles compiled into plain-data Plans."""

from surge.schedule.compile import compile_plan
from surge.schedule.errors import PlanError, ShapeError
from surge.schedule.pacer import ArrivalProcess, Pacer
from surge.schedule.plan import (
    DEFAULT_DURATION_S,
    LoadProfile,
    Plan,
    PlanSource,
    assign_classes,
    ramp_offsets,
    share,
)
from surge.schedule.render import dry_run_lines
from surge.schedule.shapes import LOOKAHEAD_S, ShapeSampler
from surge.schedule.split import split_plan
from surge.schedule.stages import Segment, Stage, TargetKind, Timeline, parse_stages
from surge.units import format_duration, parse_duration

__all__ = [
    "DEFAULT_DURATION_S",
    "LOOKAHEAD_S",
    "ArrivalProcess",
    "LoadProfile",
    "Pacer",
    "Plan",
    "PlanError",
    "PlanSource",
    "Segment",
    "ShapeError",
    "ShapeSampler",
    "Stage",
    "TargetKind",
    "Timeline",
    "assign_classes",
    "compile_plan",
    "dry_run_lines",
    "format_duration",
    "parse_duration",
    "parse_stages",
    "ramp_offsets",
    "share",
    "split_plan",
]
