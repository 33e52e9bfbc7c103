"""surge.runner: the one place a run is put together — a target and a RunConfig in, RunResults
and an exit verdict out — under every shell (the CLI, `surge.run`, the pytest plugin, the
dashboard). Live consumers are observers; a RunControl steers a run in progress."""

import typing as _typing

from surge.lazy_names import lazy_getattr as _lazy_getattr

if _typing.TYPE_CHECKING:
    from surge.runner.api import config_of, run, run_async, run_many
    from surge.runner.control import RunControl
    from surge.runner.jobs import InputError, Job, build_jobs
    from surge.runner.observer import Level, Notice, Observer, Progress, RunObserver, RunStart
    from surge.runner.reports import csv_prefixes, to_json, write_reports
    from surge.runner.session import Runs, plan_jobs, run_all
    from surge.runner.steering import ControlError
    from surge.runner.store_step import open_run_store, run_fingerprint, store_run
    from surge.runner.target import Mode, Target
    from surge.runner.verdict import comparison_exit, no_success_hint, run_exit_code

# Each name's module, imported on first use (PEP 562): a shell that needs the observer types
# does not load the engine or the store with them.
_LAZY: dict[str, str] = {
    "ControlError": "surge.runner.steering",
    "InputError": "surge.runner.jobs",
    "Job": "surge.runner.jobs",
    "Level": "surge.runner.observer",
    "Mode": "surge.runner.target",
    "Notice": "surge.runner.observer",
    "Observer": "surge.runner.observer",
    "Progress": "surge.runner.observer",
    "RunControl": "surge.runner.control",
    "RunObserver": "surge.runner.observer",
    "RunStart": "surge.runner.observer",
    "Runs": "surge.runner.session",
    "Target": "surge.runner.target",
    "build_jobs": "surge.runner.jobs",
    "comparison_exit": "surge.runner.verdict",
    "config_of": "surge.runner.api",
    "csv_prefixes": "surge.runner.reports",
    "no_success_hint": "surge.runner.verdict",
    "open_run_store": "surge.runner.store_step",
    "plan_jobs": "surge.runner.session",
    "run": "surge.runner.api",
    "run_all": "surge.runner.session",
    "run_async": "surge.runner.api",
    "run_exit_code": "surge.runner.verdict",
    "run_fingerprint": "surge.runner.store_step",
    "run_many": "surge.runner.api",
    "store_run": "surge.runner.store_step",
    "to_json": "surge.runner.reports",
    "write_reports": "surge.runner.reports",
}


__getattr__ = _lazy_getattr(globals(), _LAZY)


__all__ = [
    "ControlError",
    "InputError",
    "Job",
    "Level",
    "Mode",
    "Notice",
    "Observer",
    "Progress",
    "RunControl",
    "RunObserver",
    "RunStart",
    "Runs",
    "Target",
    "build_jobs",
    "comparison_exit",
    "config_of",
    "csv_prefixes",
    "no_success_hint",
    "open_run_store",
    "plan_jobs",
    "run",
    "run_all",
    "run_async",
    "run_exit_code",
    "run_fingerprint",
    "run_many",
    "store_run",
    "to_json",
    "write_reports",
]
