"""The plugin of one pytest session: which tests run (`--surge-only`, `--surge-skip`, xdist),
the benches the tests measured, and at the end what a `surge bench` run does with them — the
run's store (with the fingerprint), the comparison and its CI gate, the report files — and the
summary in the terminal.

All the benches of a session make one bench run (`surge.benches.record.run_result`), named
`pytest` or `--surge-save=NAME`, one bench per test (its node id), so `surge history`, `surge
show` and `surge compare` read it like any run.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from surge.benches.record import run_result
from surge.metrics import RunResult
from surge.metrics.bench import BenchEntry
from surge.pytest_plugin.settings import PluginSettings, read_settings
from surge.pytest_plugin.summary import LoadRow, bench_lines, comparison_lines, load_lines
from surge.runner.observer import Level, Notice, Observer, Observers
from surge_pytest.options import BENCH_FIXTURES, PERF_FIXTURES, XDIST_GROUP
from surge_pytest.shared import WORKER_OUTPUT, XDIST_SKIP_MARK, uses, xdist_worker

if TYPE_CHECKING:
    from surge.benches import BenchResult
    from surge.compare import Comparison
    from surge.store import Store


class Notes(Observer):
    """The runner's notices (stored as, written to, warnings) as summary lines."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def on_notice(self, notice: Notice) -> None:
        prefix = "" if notice.level is Level.INFO else f"{notice.level.value}: "
        self.lines.append(prefix + notice.text)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the end of the session did: the run, its store id, the comparison, the broken
    compare-fail rules."""

    run: RunResult
    run_id: int | None = None
    comparison: Comparison | None = None
    against: str = ""
    broken: tuple[str, ...] = ()
    only_here: tuple[str, ...] = ()


class SurgeSession:
    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.settings: PluginSettings = read_settings(config)
        self.rules = _rules(self.settings)
        self.entries: list[BenchEntry] = []
        self.params: dict[str, Any] = {}
        self.loads: list[LoadRow] = []
        self.notes = Notes()
        self.outcome: Outcome | None = None

    # -- during the session

    def modify_items(self, items: list[pytest.Item]) -> None:
        """`--surge-only`/`--surge-skip`; benchmarks under xdist (on a worker)."""
        s = self.settings
        for item in items:
            perf = uses(item, PERF_FIXTURES)
            if s.only and not perf:
                item.add_marker(
                    pytest.mark.skip(reason="surge: not a performance test (--surge-only)")
                )
            elif s.skip and perf and not s.only:
                item.add_marker(pytest.mark.skip(reason="surge: performance test (--surge-skip)"))
            elif xdist_worker(self.config) and uses(item, BENCH_FIXTURES) and not s.disable:
                self._under_xdist(item)

    def _under_xdist(self, item: pytest.Item) -> None:
        if self.config.getoption("loadgroup", False):  # xdist's own, on its workers
            item.add_marker(pytest.mark.xdist_group(XDIST_GROUP), append=False)
            return
        item.add_marker(
            pytest.mark.skip(
                reason=f"{XDIST_SKIP_MARK} (-n): other workers' tests distort the timings; run "
                "without -n, or with --dist loadgroup to time them one after another on one worker"
            )
        )

    def record(
        self,
        result: BenchResult,
        extra_info: Mapping[str, Any],
        params: Mapping[str, Any] | None,
    ) -> None:
        """A test's bench, with the `extra_info` the test left and its parameters."""
        entry = result.entry
        if extra_info:
            entry = replace(entry, extra={**entry.extra, **_jsonable(dict(extra_info))})
        self.entries.append(entry)
        if params is not None:
            self.params[entry.name] = {k: repr(v) for k, v in params.items()}

    def record_load(self, nodeid: str, result: RunResult) -> None:
        self.loads.append(LoadRow(nodeid, result))

    def add_worker_document(self, document: str) -> None:
        from surge.store import decode_result

        result = decode_result(json.loads(document))
        self.entries.extend(result.benches)

    # -- at the end

    def bench_run(self) -> RunResult:
        s = self.settings
        options = {
            "pytest": pytest.__version__, "max_time": s.max_time, "min_rounds": s.min_rounds,
            "warmup": s.warmup, "xdist": self.config.getoption("dist", "no") != "no",
        }  # fmt: skip
        return run_result(self.entries, name=s.run_name, target="pytest", options=options)

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if xdist_worker(self.config):
            if self.entries:
                from surge.store import encode_result

                document = json.dumps(encode_result(self.bench_run()))
                self.config.workeroutput[WORKER_OUTPUT] = document  # type: ignore[attr-defined]
            return
        if not self.entries:
            return
        self.outcome = self._finish()
        if self.outcome.broken and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def _finish(self) -> Outcome:
        from surge.runner.reports import write_reports

        run = self.bench_run()
        told = Observers([self.notes])
        config = _run_config(self.settings)
        store = self._open(config)
        try:
            run_id = _store(store, run, told) if self.settings.storing else None
            outcome = Outcome(run, run_id)
            if self.settings.comparing and store is not None:
                outcome = self._compare(store, outcome)
        finally:
            if store is not None:
                store.close()
        write_reports([run], config, told)
        if self.settings.benchmark_json:
            self._write_benchmark_json(run)
        return outcome

    def _open(self, config: Any) -> Store | None:
        if not self.settings.needs_store:
            return None
        from surge.runner.store_step import open_run_store
        from surge.store import StoreError

        try:
            return open_run_store(config)
        except StoreError as exc:
            self.notes.lines.append(f"error: the run store could not be opened: {exc}")
            return None

    def _compare(self, store: Store, outcome: Outcome) -> Outcome:
        from surge.compare import RunSample
        from surge.pytest_plugin.compare import baseline_runs, broken, compare_with
        from surge.runner.store_step import run_fingerprint
        from surge.store import StoreError

        ref = self.settings.compare or ""
        try:
            baseline = baseline_runs(store, ref, self.settings.run_name, outcome.run_id)
        except StoreError as exc:
            self.notes.lines.append(f"warning: {exc}")
            return outcome
        fp = dataclasses.asdict(run_fingerprint(outcome.run))
        candidate = RunSample(outcome.run, outcome.run_id, fp)
        comparison, only = compare_with(baseline, candidate, self.rules)
        against = f"run {', '.join(str(r.id) for r in baseline)} ({baseline[0].result.meta.name})"
        if comparison is None:
            self.notes.lines.append(f"warning: no bench of this session is in {against}")
            return outcome
        return replace(
            outcome,
            comparison=comparison,
            against=against,
            broken=tuple(broken(comparison, self.rules)),
            only_here=tuple(only),
        )

    def _write_benchmark_json(self, run: RunResult) -> None:
        from surge.pytest_plugin.ptb_json import write_document
        from surge.runner.store_step import run_fingerprint

        path = Path(str(self.settings.benchmark_json))
        write_document(path, list(run.benches), run_fingerprint(run), self.params)
        self.notes.lines.append(f"pytest-benchmark JSON written to {path}")

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        write = terminalreporter.write_line
        if self.entries and not xdist_worker(self.config):
            terminalreporter.write_sep("-", "surge benchmarks")
            for line in bench_lines(self.entries):
                write(line)
        if self.loads:
            terminalreporter.write_sep("-", "surge load tests")
            for line in load_lines(self.loads):
                write(line)
        outcome = self.outcome
        if outcome is not None and outcome.comparison is not None:
            terminalreporter.write_sep("-", "surge comparison")
            for line in comparison_lines(outcome.comparison, outcome.against):
                write(line)
            if outcome.only_here:
                write(f"not in the compared run (new): {', '.join(outcome.only_here)}")
        for line in self.notes.lines:
            write(line)
        if outcome is not None and outcome.broken:
            terminalreporter.write_sep("=", "surge: performance regression", red=True, bold=True)
            for line in outcome.broken:
                write(line, red=True)


def _rules(settings: PluginSettings) -> list[Any]:
    from surge.pytest_plugin.compare import CompareUsageError, parse_rules

    try:
        return parse_rules(settings.compare_fail)
    except CompareUsageError as exc:
        raise pytest.UsageError(str(exc)) from None


def _run_config(settings: PluginSettings) -> Any:
    """The RunConfig of the session's post-run steps: its report files, and the store (the
    plugin's own, else surge's: SURGE_STORE, [tool.surge] store, .surge/surge.db)."""
    from surge.config import ConfigError, RunConfig
    from surge.runner.api import config_of

    try:
        store = settings.store or config_of({}).store
        return RunConfig(out=settings.json, html=settings.html, name=settings.run_name, store=store)
    except ConfigError as exc:
        raise pytest.UsageError(str(exc)) from None


def _store(store: Store | None, run: RunResult, told: Observers) -> int | None:
    from surge.runner.store_step import store_run

    return store_run(store, run, told)


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(values, default=str))  # type: ignore[no-any-return]
