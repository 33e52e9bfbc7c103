"""How a worker rebuilds a job: the target and the run config `build_jobs` was given.

Scripted scenarios are classes loaded from a file at run time and do not pickle, so a worker
process (or a Ray actor on another machine) builds its job again from the same target and
config, and takes the job at `index` (a TOML file can hold several).
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass

from surge.config import AUTO, ConfigError, RunConfig
from surge.runner.target import Target

WORKER_MODULES = ["surge.runner.worker"]  # what a prestarted worker process imports ahead


class ClusterOptionError(ConfigError):
    """A bad combination of the distributed-run options (exit 2, before any traffic)."""


@dataclass(frozen=True, slots=True)
class JobRecipe:
    target: Target
    config: RunConfig
    index: int = 0


def local_cpus() -> int:
    """CPUs this process may run on (the affinity mask where there is one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def wants_cluster(config: RunConfig) -> bool:
    """Run through the coordinator: Ray, or more than one local worker."""
    if config.engine == "ray":
        return True
    if config.workers == AUTO:
        return local_cpus() > 1
    return config.workers is not None and int(config.workers) > 1


def worker_count(config: RunConfig) -> int:
    """The local workers asked for (`auto`: one per CPU)."""
    return local_cpus() if config.workers in (None, AUTO) else int(config.workers)


def check_cluster_options(config: RunConfig) -> None:
    """Raise ClusterOptionError on a combination that cannot run. For local workers, get the
    worker processes going now (see `surge.cluster.local.prestart`), before the run is wired."""
    if config.address and config.engine != "ray":
        raise ClusterOptionError("--address is the Ray cluster's address: use it with --engine ray")
    if config.engine == "ray" and importlib.util.find_spec("ray") is None:
        raise ClusterOptionError(
            "--engine ray needs Ray: pip install 'surge[ray]' (here and on every worker machine)"
        )
    if config.engine == "local" and wants_cluster(config) and not config.dry_run:
        from surge.cluster.local import prestart

        prestart(worker_count(config), WORKER_MODULES)
