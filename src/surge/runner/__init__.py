"""surge.runner: the one place a run is put together — a target and a RunConfig in, RunResults
and an exit verdict out — under every shell (the CLI, `surge.run`, the pytest plugin, the
dashboard). Live consumers are observers; a RunControl steers a run in progress."""

from surge.runner.api import config_of, run, run_async, run_many
from surge.runner.control import RunControl
from surge.runner.jobs import InputError, Job, build_jobs
from surge.runner.observer import Level, Notice, Observer, Progress, RunObserver, RunStart
from surge.runner.reports import csv_prefixes, write_reports
from surge.runner.session import Runs, plan_jobs, run_all
from surge.runner.steering import ControlError
from surge.runner.store_step import open_run_store, run_fingerprint, store_run
from surge.runner.target import Mode, Target
from surge.runner.verdict import comparison_exit, no_success_hint, run_exit_code

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
    "write_reports",
]
