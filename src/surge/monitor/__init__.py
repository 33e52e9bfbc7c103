"""surge.monitor: generator health (saturation verdicts) and host and target resources.

One module per concept: `health` judges the generator from its health samples, `load` compares
offered and achieved load, `resources` samples the host, the generator and target processes on a
thread of its own, `memory` measures Python-heap growth by allocation site (tracemalloc).
The monitor reads metrics values only; the engine owns the loop
(its loop-lag probe lives in `surge.engine.probe`).
"""

from surge.monitor.health import (
    HealthPoint,
    HealthRules,
    ProcessCpuSampler,
    generator_cpus_busy_pct,
    judge_generator,
)
from surge.monitor.load import (
    DEFAULT_TOLERANCE,
    load_warning,
    mean_active_users,
    paced_offered_rps,
    started_arrivals,
    summarize_load,
)
from surge.monitor.memory import AllocationGrowth, MemoryGrowth, MemoryTracker
from surge.monitor.resources import ResourceSampler, TargetError, find_targets

__all__ = [
    "DEFAULT_TOLERANCE",
    "AllocationGrowth",
    "HealthPoint",
    "HealthRules",
    "MemoryGrowth",
    "MemoryTracker",
    "ProcessCpuSampler",
    "ResourceSampler",
    "TargetError",
    "find_targets",
    "generator_cpus_busy_pct",
    "judge_generator",
    "load_warning",
    "mean_active_users",
    "paced_offered_rps",
    "started_arrivals",
    "summarize_load",
]
