"""surge.monitor: generator health (saturation verdicts) and, later, host and target resources.

One module per concept: `health` judges the generator from its health samples, `load` compares
offered and achieved load. Resource sampling of the host and of target processes belongs in
modules of its own beside them. The monitor reads metrics values only; the engine owns the loop
(its loop-lag probe lives in `surge.engine.probe`).
"""

from surge.monitor.health import HealthPoint, HealthRules, ProcessCpuSampler, judge_generator
from surge.monitor.load import (
    DEFAULT_TOLERANCE,
    load_warning,
    mean_active_users,
    paced_offered_rps,
    started_arrivals,
    summarize_load,
)

__all__ = [
    "DEFAULT_TOLERANCE",
    "HealthPoint",
    "HealthRules",
    "ProcessCpuSampler",
    "judge_generator",
    "load_warning",
    "mean_active_users",
    "paced_offered_rps",
    "started_arrivals",
    "summarize_load",
]
