"""`surge run`: the flags and `[tool.surge]` become a RunConfig, the runner runs it, the terminal
observes it. Nothing here runs load itself."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

from rich.console import Console
from rich.markup import escape

from surge.cli.messages import print_error
from surge.cli.terminal import TerminalObserver, print_dry_run
from surge.cli.ui_flags import UiFlags
from surge.config import ConfigError, RunConfig
from surge.exit_codes import ExitCode
from surge.redaction import NO_REDACTION
from surge.runner import RunControl, Runs, Target, no_success_hint, plan_jobs, run_all
from surge.runner.reports import STDOUT


def locust_habits(arguments: tuple[str, ...], explicit: dict[str, Any]) -> str:
    """`surge run TARGET [CLASS]...` or `surge run -f LOCUSTFILE [CLASS]...`: the target, with
    the class names added to `explicit` (as --user-class); `-H http(s)://…` is the host, as in
    Locust (a header value never starts with a URL scheme). UsageError without a target."""
    import click

    locustfile = explicit.get("locustfile")
    if not locustfile and not arguments:
        raise click.UsageError(
            "missing TARGET: give an http(s):// URL, a scenario .py or .toml file, or a "
            "locustfile (also as -f FILE)"
        )
    target, names = (locustfile, arguments) if locustfile else (arguments[0], arguments[1:])
    if names:
        explicit["user_class"] = (*explicit.get("user_class", ()), *names)
    headers = explicit.get("header") or ()
    urls = [h.strip() for h in headers if h.strip().startswith(("http://", "https://"))]
    if urls:
        if explicit.get("host"):
            raise click.UsageError(f"-H {urls[0]} and --host both give the host: keep one")
        explicit["host"] = urls[-1]
        explicit["header"] = tuple(h for h in headers if h.strip() not in urls)
    return str(target)


def human_console(config: RunConfig) -> Console:
    """Where the human output goes: stdout, or stderr when `--out -` takes stdout."""
    return Console(highlight=False, stderr=config.out == STDOUT)


def run_config(explicit: Mapping[str, Any], project: Mapping[str, Any]) -> RunConfig:
    """Flags and environment variables over `[tool.surge]`; ConfigError when bad."""
    return RunConfig.layered(explicit, project)


def run_target(
    target: Target,
    explicit: Mapping[str, Any],
    project: Mapping[str, Any],
    *,
    ui: UiFlags | None = None,
) -> int:
    """Run `surge run TARGET` (with `ui`: under a live dashboard) and return its exit code."""
    try:
        config = run_config(explicit, project)
        console = human_console(config)
        settings = ui.settings() if ui is not None and not config.dry_run else None
        jobs = plan_jobs(target, config)
        if config.dry_run:
            print_dry_run(jobs, console)
            return int(ExitCode.OK)
        if settings is not None:
            runs = run_with_dashboard(target, config, console, jobs, settings)
        else:
            runs = run_observed(target, config, console, jobs)
    except ConfigError as exc:
        print_error(str(exc))
        return int(ExitCode.USAGE)
    return finish(runs, config, console)


def run_observed(target: Target, config: RunConfig, console: Console, jobs: Any) -> Runs:
    observer = TerminalObserver(console, quiet=config.quiet)
    stdout = sys.stdout if config.out == STDOUT else None
    try:
        return run_all(target, config, [observer], stdout=stdout, jobs=jobs)
    finally:
        observer.close()


def run_with_dashboard(
    target: Target, config: RunConfig, console: Console, jobs: Any, settings: Any
) -> Runs:
    """`surge run --ui`: the run under a live dashboard (and the terminal); the page can stop
    it and change its users or rate. The process ends with the run, once the open tabs have
    fetched its downloads (a few seconds at most)."""
    from surge.dashboard import Mode
    from surge.dashboard.live import LiveDashboard

    observer = TerminalObserver(console, quiet=config.quiet)
    control = RunControl()
    stdout = sys.stdout if config.out == STDOUT else None
    redactor = jobs[0].redactor if jobs else NO_REDACTION
    dashboard = LiveDashboard(settings, Mode.RUN, redactor=redactor, on_error=print_error)
    with dashboard:
        announce_dashboard(dashboard, console)
        dashboard.begin(jobs, control)
        try:
            observers = [observer, dashboard.feed]
            runs = run_all(target, config, observers, control=control, stdout=stdout, jobs=jobs)
        finally:
            observer.close()
        dashboard.finish(runs)
        dashboard.linger()
    return runs


def announce_dashboard(dashboard: Any, console: Console) -> None:
    """Where the dashboard is (the port chosen when --ui-port 0), its token once when it was
    generated, and the page opened in the browser with --ui-open."""
    console.print(f"surge dashboard: {dashboard.url}", markup=False, highlight=False)
    settings = dashboard.settings
    if settings.generated:
        console.print(
            f"dashboard token (shown once; open {dashboard.url}?token=TOKEN): {settings.token}",
            markup=False,
            highlight=False,
        )
    if settings.open_browser:
        import threading
        import webbrowser

        url = dashboard.url_with_token()
        threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()


def finish(runs: Runs, config: RunConfig, console: Console) -> int:
    """After the run: the comparison with the baseline, and why nothing succeeded."""
    if runs.comparison is not None:
        from surge.cli.compare_commands import print_comparison

        console.rule(f"compare with the baseline of {escape(config.compare_to or '')}")
        print_comparison(runs.comparison, console)
    if runs.exit_code is ExitCode.NO_SUCCESS:
        for result in runs.results:
            if result.total.successes == 0:
                console.print(no_success_hint(result), style="bold red", markup=False)
    return int(runs.exit_code)
