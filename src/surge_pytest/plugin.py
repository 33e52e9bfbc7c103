"""The pytest11 entry point: options, markers and fixtures, and nothing heavy.

A session that uses none of surge pays for this module and a few cheap checks only. The plugin
(`surge.pytest_plugin`) is imported and registered when something asks for it: a surge fixture
(`surge_benchmark`, `benchmark` when pytest-benchmark is absent, `surge_load`, `surge_serve`), a
`--surge-*` option (or its pytest-benchmark name), a `SURGE_PYTEST_*` variable, a
`[tool.surge.pytest]` table, or benchmark tests collected on an xdist worker.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from surge_pytest.activation import SESSION_KEY, activate
from surge_pytest.options import (
    BENCH_FIXTURES,
    BENCHMARK_ENABLE,
    BENCHMARK_IGNORED_FLAGS,
    BENCHMARK_IGNORED_OPTIONAL,
    BENCHMARK_IGNORED_VALUES,
    BENCHMARK_JSON,
    ENABLE,
    ENV_PREFIX,
    GROUP,
    IGNORED_FLAG,
    IGNORED_OPTIONAL,
    IGNORED_VALUE,
    OPTIONS,
    Declared,
)
from surge_pytest.shared import (
    WORKER_OUTPUT,
    XDIST_SKIP_MARK,
    uses,
    xdist_controller,
    xdist_worker,
)

if TYPE_CHECKING:
    pass

_TABLE = re.compile(r"^\s*\[\s*tool\s*\.\s*surge\s*\.\s*pytest\s*\]", re.MULTILINE)
BENCHMARK_MARKER = (
    "benchmark(group=None, min_rounds=None, max_time=None, warmup=None, kind=None, "
    "thresholds=None): options of the test's benchmark (surge; pytest-benchmark's names)"
)


def ptb_installed() -> bool:
    """Is pytest-benchmark importable? Then its own options and `benchmark` fixture stand."""
    return find_spec("pytest_benchmark") is not None


def _add(
    group: Any, flags: tuple[str, ...], declared: Declared, dest: str, bare: Any, several: bool
) -> None:
    kwargs: dict[str, Any] = {"dest": dest, "default": None, "help": declared.help}
    if declared.kind == "flag":
        kwargs["action"] = "store_true"
    else:
        kwargs["metavar"] = declared.metavar
        if declared.multiple:  # repeatable; pytest-benchmark's take several values at once
            kwargs.update(action="extend", nargs="+") if several else kwargs.update(action="append")
        if bare is not None:
            kwargs.update(nargs="?", const=bare)
    group.addoption(*flags, **kwargs)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup(GROUP, "surge: benchmarks and load tests (docs/pytest.md)")
    for declared in OPTIONS:
        _add(group, (declared.flag,), declared, declared.dest, declared.bare, False)


def _taken(parser: pytest.Parser) -> set[str]:
    """The option names other plugins and the initial conftests declared (pytest keeps its
    groups in `_anonymous` and `_groups`; without them, nothing is known taken)."""
    groups = [getattr(parser, "_anonymous", None), *getattr(parser, "_groups", ())]
    return {
        name
        for group in groups
        if group is not None
        for option in getattr(group, "options", ())
        for name in option.names()
    }


@pytest.hookimpl(wrapper=True)
def pytest_load_initial_conftests(parser: pytest.Parser) -> Iterator[None]:
    """pytest-benchmark's option names, when it is absent, for its users' addopts and CI lines:
    declared after the initial conftests, and only those no conftest or plugin declared itself
    (a project's own `--benchmark-skip` stays its own; pytest would refuse the clash)."""
    result = yield
    if not ptb_installed():
        _add_benchmark_names(parser, _taken(parser))
    return result


def _add_benchmark_names(parser: pytest.Parser, taken: set[str]) -> None:
    group = parser.getgroup(GROUP)

    def add(flags: tuple[str, ...], declared: Declared, dest: str, bare: Any) -> None:
        free = tuple(flag for flag in flags if flag not in taken)
        if free:
            _add(group, free, declared, dest, bare, True)

    for declared in OPTIONS:
        if declared.benchmark:
            dest = "surge_benchmark_" + declared.name
            add(declared.benchmark, declared, dest, declared.benchmark_bare)
    add(("--benchmark-json",), BENCHMARK_JSON, "surge_ptb_json", None)
    add((BENCHMARK_ENABLE,), ENABLE, "surge_ptb_enable", None)
    for flags, declared in (
        (BENCHMARK_IGNORED_FLAGS, IGNORED_FLAG),
        (BENCHMARK_IGNORED_OPTIONAL, IGNORED_OPTIONAL),
        (BENCHMARK_IGNORED_VALUES, IGNORED_VALUE),
    ):
        for flag in flags:
            add((flag,), declared, "surge_ignored_" + flag[2:].replace("-", "_"), declared.bare)


def _given(config: pytest.Config) -> bool:
    for declared in OPTIONS:
        for dest in (declared.dest, "surge_benchmark_" + declared.name):
            if config.getoption(dest, None) not in (None, False, []):
                return True
    return config.getoption("surge_ptb_json", None) is not None


def _has_table(start: Path) -> bool:
    """Does the nearest pyproject.toml have a [tool.surge.pytest] table? (A text search: the
    TOML is parsed only when it does.)"""
    for folder in (start, *start.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            try:
                return _TABLE.search(candidate.read_text(encoding="utf-8")) is not None
            except (OSError, UnicodeDecodeError):
                return False
    return False


def requested(config: pytest.Config) -> bool:
    """Did the session ask for the plugin by option, variable or table?"""
    if _given(config):
        return True
    if any(key.startswith(ENV_PREFIX) for key in os.environ):
        return True
    return _has_table(Path.cwd())


def pytest_configure(config: pytest.Config) -> None:
    if not config.pluginmanager.hasplugin("benchmark"):  # pytest-benchmark is not loaded
        config.addinivalue_line("markers", BENCHMARK_MARKER)
        from surge_pytest import alias

        config.pluginmanager.register(alias, "surge-benchmark-alias")
    if xdist_controller(config):
        config.pluginmanager.register(XdistController(config), "surge-xdist-controller")
    if requested(config):
        activate(config)


@pytest.hookimpl(tryfirst=True)  # before xdist reads the xdist_group marks it may add
def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    state = config.stash.get(SESSION_KEY, None)
    if state is None and xdist_worker(config) and any(uses(i, BENCH_FIXTURES) for i in items):
        state = activate(config)
    if state is not None:
        state.modify_items(items)


class XdistController:
    """On the xdist controller: the workers' benches (stored, compared and shown here, once),
    and the benchmarks the workers skipped, said in a warning."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.skipped: list[str] = []

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        output = getattr(node, "workeroutput", None) or {}
        document = output.get(WORKER_OUTPUT)
        if document:
            activate(self.config).add_worker_document(document)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.skipped and XDIST_SKIP_MARK in str(report.longrepr):
            self.skipped.append(report.nodeid)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.skipped:
            return
        terminalreporter.write_sep("=", "surge warnings", yellow=True, bold=True)
        terminalreporter.write_line(
            f"{len(self.skipped)} benchmark test(s) were SKIPPED, not timed: under xdist (-n) "
            "other workers run tests beside them and distort their timings. Run them without "
            "-n (e.g. `pytest --surge-only -p no:xdist`), or with `--dist loadgroup` to run "
            "them one after another on one worker; --surge-disable runs them once, untimed."
        )


@pytest.fixture
def surge_benchmark(request: pytest.FixtureRequest) -> Iterator[Any]:
    """Benchmark a callable: `surge_benchmark(fn, *args, **kwargs)` returns fn's result;
    `.pedantic(...)`, `.sweep(fn, concurrency=[...])`, `.stats`, `.extra_info` (docs/pytest.md)."""
    from surge.pytest_plugin.fixture import BenchmarkFixture

    fixture = BenchmarkFixture(request, activate(request.config))
    yield fixture
    fixture.close()


@pytest.fixture
def surge_load(request: pytest.FixtureRequest) -> Any:
    """Load-test a target through surge's runner: `surge_load(url, users=10, duration="5s",
    thresholds=["p95<200ms"])` returns the RunResult; `.assert_ok()` fails with the verdicts."""
    from surge.pytest_plugin.load import LoadFixture

    return LoadFixture(request, activate(request.config))


@pytest.fixture
def surge_serve(request: pytest.FixtureRequest) -> Iterator[Any]:
    """Serve an ASGI or WSGI app on a free loopback port for this test: `server =
    surge_serve(app)`; `server.url` (surge.testing.serve)."""
    from surge.testing import ServerPool

    with ServerPool() as pool:
        yield pool.serve
