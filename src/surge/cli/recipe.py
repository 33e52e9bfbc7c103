"""How a worker rebuilds a job: the plain data `build_jobs` was given.

Scripted scenarios are classes loaded from a file at run time and do not pickle, so a worker
process (or a Ray actor on another machine) builds its job again from the same target, options
and set of explicitly given options, and takes the job at `index` (a TOML file can hold several).
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

AUTO = "auto"


class ClusterOptionError(ValueError):
    """A bad combination of the distributed-run options (exit 2, before any traffic)."""


@dataclass(frozen=True, slots=True)
class JobRecipe:
    target: str
    options: Mapping[str, Any]
    explicit: frozenset[str]
    index: int = 0


def local_cpus() -> int:
    """CPUs this process may run on (the affinity mask where there is one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def wants_cluster(options: Mapping[str, Any]) -> bool:
    """Run through the coordinator: Ray, or more than one local worker."""
    if (options.get("engine") or "local") == "ray":
        return True
    workers = options.get("workers")
    if workers == AUTO:
        return local_cpus() > 1
    return workers is not None and int(workers) > 1


def check_cluster_options(options: Mapping[str, Any]) -> None:
    """Raise ClusterOptionError on a combination that cannot run. For local workers, get the
    worker processes going now (see `surge.cluster.local.prestart`), before the run is wired."""
    engine = options.get("engine") or "local"
    if options.get("address") and engine != "ray":
        raise ClusterOptionError("--address is the Ray cluster's address: use it with --engine ray")
    if engine == "ray" and importlib.util.find_spec("ray") is None:
        raise ClusterOptionError(
            "--engine ray needs Ray: pip install 'surge[ray]' (here and on every worker machine)"
        )
    if engine == "local" and wants_cluster(options) and not options.get("dry_run"):
        from surge.cluster.local import prestart

        workers = options.get("workers")
        count = local_cpus() if workers == AUTO else int(workers or 1)
        prestart(count, ["surge.cli.worker_entry"])
