"""The plugin's options as plain data (no surge import): the `--surge-*` flags, the
pytest-benchmark names accepted for them when pytest-benchmark is not installed, and the
pytest-benchmark display options accepted without effect.

`surge.pytest_plugin.settings` turns each row into an `OptionSpec` of surge's option table, so a
flag, its `SURGE_PYTEST_*` variable and its `[tool.surge.pytest]` key are read by the same rules.
"""

from __future__ import annotations

from dataclasses import dataclass

GROUP = "surge"
ENV_PREFIX = "SURGE_PYTEST_"
TABLE = "pytest"  # [tool.surge.pytest]


@dataclass(frozen=True, slots=True)
class Declared:
    """One option. `kind` is a `surge.config.Kind` value; `bare` is the value of the flag given
    without one (`--surge-save`, `--surge-compare`); `benchmark` are pytest-benchmark's flags
    with the same meaning, and `benchmark_bare` their value when given bare."""

    name: str
    help: str
    kind: str
    metavar: str | None = None
    bare: str | None = None
    multiple: bool = False
    benchmark: tuple[str, ...] = ()
    benchmark_bare: str | None = None

    @property
    def flag(self) -> str:
        return "--surge-" + self.name.replace("_", "-")

    @property
    def dest(self) -> str:
        return "surge_" + self.name

    @property
    def env(self) -> str:
        return ENV_PREFIX + self.name.upper()


OPTIONS: tuple[Declared, ...] = (
    Declared(
        "save",
        "Store this session's benchmarks as a run named NAME (default: pytest) in the run store, "
        "with the fingerprint (git commit, dirty tree, host, Python).",
        "text",
        metavar="NAME",
        bare="",
        benchmark=("--benchmark-save",),
    ),
    Declared(
        "autosave",
        "Store this session's benchmarks under the default name (pytest).",
        "flag",
        benchmark=("--benchmark-autosave",),
    ),
    Declared(
        "compare",
        "Compare this session's benchmarks with a stored run: the baseline of NAME (else its "
        "latest run), a run id, or (bare) the previous run of this session's name.",
        "text",
        metavar="NAME|RUN",
        bare="",
        benchmark=("--benchmark-compare",),
        benchmark_bare="",
    ),
    Declared(
        "compare_fail",
        "Fail the session when METRIC regressed significantly and by more than LIMIT: "
        "p50|median|mean|p95|p99|ops|error_rate, LIMIT a percentage (p95:10%%) or seconds "
        "(mean:0.001). Repeatable; implies --surge-compare.",
        "text",
        metavar="METRIC:LIMIT",
        multiple=True,
        benchmark=("--benchmark-compare-fail",),
    ),
    Declared(
        "json",
        "Write the session's benchmarks as surge's results JSON to FILE.",
        "path",
        metavar="FILE",
    ),
    Declared(
        "html",
        "Write the session's benchmarks as a self-contained HTML report to FILE.",
        "path",
        metavar="FILE",
    ),
    Declared(
        "store",
        "The run store: a SQLAlchemy URL or a SQLite file (default: SURGE_STORE, "
        "[tool.surge] store, else .surge/surge.db).",
        "text",
        metavar="URL",
        benchmark=("--benchmark-storage",),
    ),
    Declared(
        "only",
        "Run only performance tests (those using surge_benchmark, benchmark or surge_load).",
        "flag",
        benchmark=("--benchmark-only",),
    ),
    Declared(
        "skip",
        "Skip performance tests (those using surge_benchmark, benchmark or surge_load).",
        "flag",
        benchmark=("--benchmark-skip",),
    ),
    Declared(
        "disable",
        "Run each benchmarked callable once, untimed (the test still checks its result).",
        "flag",
        benchmark=("--benchmark-disable",),
    ),
    Declared(
        "warmup",
        "Warm-up before timing: on (default: about a tenth of the time), off, or a number of "
        "rounds.",
        "text",
        metavar="on|off|N",
        bare="on",
        benchmark=("--benchmark-warmup",),
        benchmark_bare="on",
    ),
    Declared(
        "min_rounds",
        "Time at least N rounds, even past --surge-max-time (default 5).",
        "int",
        metavar="N",
        benchmark=("--benchmark-min-rounds", "--benchmark-rounds"),
    ),
    Declared(
        "max_time",
        "Time each benchmark for about this long (seconds or 500ms, 2s; default 1s).",
        "duration",
        metavar="SECONDS",
        benchmark=("--benchmark-max-time",),
    ),
)

# pytest-benchmark's own file formats and switches, accepted under their names when it is absent
BENCHMARK_JSON = Declared(
    "benchmark_json",
    "Write the benchmarks as pytest-benchmark's JSON document to FILE (its tools read it).",
    "path",
    metavar="PATH",
)
BENCHMARK_ENABLE = "--benchmark-enable"  # overrides --benchmark-disable, as in pytest-benchmark
ENABLE = Declared(
    "benchmark_enable", "Override --benchmark-disable (pytest-benchmark's name).", "flag"
)

# pytest-benchmark options that change its display or its timer: accepted so that an existing
# addopts line keeps working, with no effect (docs/pytest.md says what surge does instead).
_NO_EFFECT = "pytest-benchmark's; no effect on surge."
IGNORED_FLAG = Declared("ignored", _NO_EFFECT, "flag")
IGNORED_OPTIONAL = Declared("ignored", _NO_EFFECT, "text", metavar="VALUE", bare="")
IGNORED_VALUE = Declared("ignored", _NO_EFFECT, "text", metavar="VALUE")
BENCHMARK_IGNORED_FLAGS = (
    "--benchmark-disable-gc",
    "--benchmark-verbose",
    "--benchmark-quiet",
    "--benchmark-save-data",
)
BENCHMARK_IGNORED_OPTIONAL = (
    "--benchmark-histogram",
    "--benchmark-cprofile-dump",
    "--benchmark-netrc",
)
BENCHMARK_IGNORED_VALUES = (
    "--benchmark-min-time",
    "--benchmark-timer",
    "--benchmark-calibration-precision",
    "--benchmark-warmup-iterations",
    "--benchmark-sort",
    "--benchmark-group-by",
    "--benchmark-columns",
    "--benchmark-name",
    "--benchmark-time-unit",
    "--benchmark-cprofile",
    "--benchmark-cprofile-loops",
    "--benchmark-cprofile-top",
    "--benchmark-precision",
    "--benchmark-confidence",
)

# fixtures whose tests are performance tests (--surge-only / --surge-skip); the first two are
# benchmarks (xdist handles them apart)
BENCH_FIXTURES = ("surge_benchmark", "benchmark")
PERF_FIXTURES = (*BENCH_FIXTURES, "surge_load")

# Under `--dist loadgroup`, benchmarks share this xdist group: one worker times them one after
# another (xdist appends `@GROUP` to their node ids; the benches keep the plain ones).
XDIST_GROUP = "surge-benchmarks"
