"""`surge ui [SCENARIO]`: a dashboard where runs are set up and started from a form, watched,
steered, downloaded, and run again. The process serves until Ctrl-C (or a signal that stops a
run). Imported on first use: `surge run` never loads it."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from surge.cli.messages import print_error
from surge.cli.options import RUN_OPTIONS, click_options, explicit_values
from surge.cli.run_command import announce_dashboard, finish, human_console, run_config
from surge.cli.terminal import TerminalObserver
from surge.cli.ui_flags import UiFlags, ui_flags, ui_options
from surge.config import ConfigError, RunConfig
from surge.dashboard import Mode
from surge.dashboard.form import FormBase
from surge.dashboard.live import LiveDashboard, RunRequest
from surge.exit_codes import ExitCode
from surge.runner import InputError, run_all
from surge.runner.redact import redactor_for
from surge.runner.target import TargetKind, classify
from surge.scenario import ScenarioError, load_scenario

POLL_S = 0.25


@click.command("ui")
@click.argument("scenario", required=False)
@click_options(RUN_OPTIONS)
@ui_options(switch=False)
@click.pass_context
def ui_cmd(ctx: click.Context, /, scenario: str | None, **options: Any) -> None:
    """Serve a dashboard that starts runs of SCENARIO (a .py or .toml file, or a URL; without
    it, the form asks for a URL) from a form, and shows them live. Flags fill in the form."""
    project = ctx.find_root().obj or {}
    sys.exit(serve_ui(scenario, explicit_values(ctx), project, ui_flags(options)))


def _classes(scenario: str | None) -> tuple[tuple[str, int], ...]:
    """The User classes and weights of a script with one scenario (for the form)."""
    if scenario is None:
        return ()
    kind, _ = classify(scenario)
    if kind is not TargetKind.FILE:
        return ()
    try:
        scenarios = load_scenario(Path(scenario))
    except ScenarioError as exc:
        raise InputError(str(exc)) from None
    if len(scenarios) != 1:
        return ()
    found = scenarios[0]
    pairs = zip(found.user_classes, found.weights, strict=True)
    return tuple((cls.__name__, weight) for cls, weight in pairs)


def serve_ui(
    scenario: str | None, explicit: Mapping[str, Any], project: Mapping[str, Any], flags: UiFlags
) -> int:
    """`surge ui`: serve until Ctrl-C; returns the exit code (a run a signal stopped gives its
    code, else 0)."""
    try:
        settings = flags.settings()
        config = run_config(explicit, project)
        form = FormBase(explicit, project, scenario, _classes(scenario))
        redactor = redactor_for(config.as_options(), [scenario] if scenario else [])
        dashboard = LiveDashboard(
            settings, Mode.UI, form=form, redactor=redactor, on_error=print_error
        )
    except ConfigError as exc:
        print_error(str(exc))
        return int(ExitCode.USAGE)
    console = human_console(config)
    with dashboard:
        announce_dashboard(dashboard, console)
        console.print("start runs from the page; Ctrl-C stops the dashboard", markup=False)
        try:
            return _serve(dashboard, console)
        except KeyboardInterrupt:
            return int(ExitCode.OK)


def _serve(dashboard: LiveDashboard, console: Console) -> int:
    while True:
        request = dashboard.next_request(POLL_S)
        if request is None:
            continue
        code = _run(dashboard, request, console)
        if code is not None:
            return code


def _run(dashboard: LiveDashboard, request: RunRequest, console: Console) -> int | None:
    """One run from the form; its exit code when a signal stopped it (the command ends)."""
    config: RunConfig = request.config
    observer = TerminalObserver(console, quiet=config.quiet)
    try:
        runs = run_all(
            request.target,
            config,
            [observer, dashboard.feed],
            control=request.control,
            jobs=request.jobs,
        )
    except ConfigError as exc:  # found before any traffic (an unreachable store, a baseline)
        dashboard.fail(str(exc))
        print_error(str(exc))
        return None
    finally:
        observer.close()
    dashboard.finish(runs)
    finish(runs, config, console)
    return int(runs.exit_code) if runs.signal_name is not None else None
