"""The Python API: `surge.run(target, **options)`, blocking, and `surge.run_async` for callers
inside an event loop.

    result = surge.run("http://127.0.0.1:8000/health", users=10, duration="10s")
    result.passed, result.p95_ms, result.endpoint("GET /health").rps

Options are the flags of `surge run` in snake_case (`requests_per_user=50`, `threshold=
["p95<200ms"]`; `headers`/`thresholds` work too), read like flags: keyword > `SURGE_*` variable >
scenario file > `[tool.surge]` > default. `observers=[...]` follow the run live; `control=` is a
`RunControl` to stop it or change its users or rate from another thread.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import difflib
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from surge.config import BY_NAME, ConfigError, RunConfig, env_values, load_project
from surge.metrics import RunResult
from surge.runner.control import RunControl
from surge.runner.observer import RunObserver
from surge.runner.session import Runs, plan_jobs, run_all
from surge.runner.target import Target

ALIASES: Mapping[str, str] = {"headers": "header", "thresholds": "threshold"}
_RUN_ARGUMENTS = ("observers", "control")


def _keywords(options: Mapping[str, Any]) -> dict[str, Any]:
    """Keyword arguments as option values: aliases resolved, unknown names a clear error,
    `surge.Threshold` objects as their expressions."""
    values: dict[str, Any] = {}
    for key, value in options.items():
        name = ALIASES.get(key, key)
        if name not in BY_NAME:
            names = sorted({*BY_NAME, *ALIASES, *_RUN_ARGUMENTS})
            close = difflib.get_close_matches(key, names, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ConfigError(
                f"surge.run got an unknown option {key!r}{hint}; valid options: {', '.join(names)}"
            )
        if name in values:
            raise ConfigError(f"surge.run got both {name!r} and its alias; give one")
        values[name] = _expressions(value) if name == "threshold" else value
    return values


def _expressions(value: Any) -> Any:
    items = value if isinstance(value, list | tuple) else [value]
    out: list[Any] = []
    for item in items:
        expressions = getattr(item, "expressions", None)
        out.extend(expressions() if callable(expressions) else [item])
    return out


def config_of(
    options: Mapping[str, Any],
    *,
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> RunConfig:
    """The RunConfig of keyword options, over `SURGE_*` variables and `[tool.surge]`."""
    explicit = {**env_values(os.environ if environ is None else environ), **_keywords(options)}
    _, project = load_project(cwd or Path.cwd())
    return RunConfig.layered(explicit, project)


def _call(target: Target, options: dict[str, Any], *, one: bool) -> tuple[Runs, RunConfig]:
    observers: Iterable[RunObserver] = options.pop("observers", None) or ()
    control: RunControl | None = options.pop("control", None)
    config = config_of(options)
    jobs = plan_jobs(target, config)
    if one and len(jobs) * config.repeat != 1:
        raise ConfigError(
            f"this run makes {len(jobs) * config.repeat} results ({len(jobs)} scenario(s), "
            f"repeat={config.repeat}); surge.run returns one: use surge.run_many"
        )
    return run_all(target, config, observers, control=control, jobs=jobs), config


def _blocking(target: Target, options: dict[str, Any], *, one: bool) -> Runs:
    """Run on this thread, or on a helper thread when this one runs an event loop already
    (a notebook): the run has its own loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return _call(target, options, one=one)[0]
    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="surge-run") as pool:
        return pool.submit(_call, target, options, one=one).result()[0]


def run(target: Target, /, **options: Any) -> RunResult:
    """Load-test `target` (a URL, a .py/.toml scenario file, User classes or EndpointSpecs)
    and return its RunResult; the run is stored (like `surge run`) unless `no_store=True`.
    Raises ConfigError for bad input, before any traffic."""
    return _blocking(target, options, one=True).results[0]


def run_many(target: Target, /, **options: Any) -> Runs:
    """Like `run`, for targets that make several results (TOML scenarios, `repeat=N`,
    `compare_to=`): every result, the stored ids, the comparison and the exit code."""
    return _blocking(target, options, one=False)


async def run_async(target: Target, /, **options: Any) -> RunResult:
    """`run` for callers inside an event loop: the run goes on its own thread and loop."""
    return await asyncio.to_thread(run, target, **options)
