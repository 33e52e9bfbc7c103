"""The terminal as an observer of a run: the announcements, the live view, each summary, the
runner's notices, and the `--dry-run` plan."""

from __future__ import annotations

from collections.abc import Sequence
from types import TracebackType
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markup import escape
from rich.text import Text

from surge.cli.messages import error_console
from surge.metrics import RunResult
from surge.runner.jobs import Job
from surge.runner.observer import Level, Notice, Observer, Progress, RunStart
from surge.schedule import dry_run_lines

if TYPE_CHECKING:
    from surge.report.live import LiveView

_LEVELS = {
    Level.WARNING: ("surge: warning:", "bold yellow"),
    Level.ERROR: ("surge: error:", "bold red"),
}


class TerminalObserver(Observer):
    """Prints a run as it goes: `console` gets the human output (stdout, or stderr under
    `--out -`), warnings and errors go to stderr."""

    wants_totals = False  # the live view shows `Progress.status` only

    def __init__(self, console: Console, *, quiet: bool) -> None:
        self.console = console
        self.quiet = quiet
        self.errors = error_console()
        self._view: LiveView | None = None
        self._start: RunStart | None = None

    def on_start(self, start: RunStart) -> None:
        console = self.console
        if start.jobs > 1 and start.round == 1:
            console.rule(f"scenario {escape(start.name)}")
        if start.repeat > 1:
            console.rule(f"{escape(start.name)}: run {start.round} of {start.repeat}")
        console.print(
            f"surge {start.mode} run [bold]{escape(start.name)}[/]: "
            f"{escape(start.description)} against {escape(start.target)}"
        )
        from surge.report.live import LiveView

        self._start = start
        self._view = LiveView(console, quiet=self.quiet)
        self._view.__enter__()

    def on_progress(self, progress: Progress) -> None:
        if self._view is None or self._start is None:
            return
        plan = self._start.plan
        self._view.update(
            progress.status,
            label=self._start.name,
            duration_s=plan.duration_s,
            requests_per_user=plan.requests_per_user,
            model=plan.model,
        )

    def on_notice(self, notice: Notice) -> None:
        if notice.where is not None:  # an error in the user's script, with its traceback
            heading = f"surge: error in {notice.where} (later ones are counted, not printed):"
            self.errors.print(f"{heading}\n{notice.text}", markup=False, highlight=False)
            return
        label = _LEVELS.get(notice.level)
        if label is None:
            self.console.print(notice.text, markup=False)
        else:
            self.errors.print(Text.assemble(label, " ", notice.text))

    def on_end(self, result: RunResult) -> None:
        from surge.report.terminal import print_summary  # the tables load when first needed

        self.close()
        print_summary(result, self.console)

    def close(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        """Stop the live view (also when the run raised)."""
        view, self._view = self._view, None
        if view is not None:
            view.__exit__(None, None, None)


def print_dry_run(jobs: Sequence[Job], console: Console) -> None:
    """--dry-run: every job's plan, and nothing sent."""
    from surge.runner.cluster_run import worker_split_lines

    for job in jobs:
        console.rule(
            f"scenario {escape(job.name)}" if len(jobs) > 1 else f"plan of {escape(job.name)}"
        )
        console.print(
            f"target: {job.redactor.text(job.target)} ({job.mode.value} mode)", markup=False
        )
        for line in dry_run_lines(job.plan):
            console.print(line, markup=False)
        for line in worker_split_lines(job):
            console.print(line, markup=False)
        for spec in job.thresholds:
            abort = " (abort on fail)" if spec.abort_on_fail else ""
            shown = job.redactor.text(spec.expression)
            console.print(f"threshold: {shown}{abort}", markup=False)
    console.print("dry run: nothing was sent")
