"""The plugin's settings: its flags (or their pytest-benchmark names), `SURGE_PYTEST_*`
variables and `[tool.surge.pytest]`, read by surge's option-table rules.

Precedence: flag > variable > table > default, as for every surge option. The rows come from
`surge_pytest.options` (plain data, so that pytest can declare the flags without importing
surge); here each becomes an `OptionSpec` and every value is read with `convert_value`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from surge.config import ConfigError, Group, Kind, OptionSpec, env_values, load_table
from surge.config.convert import ValueProblem, convert_value
from surge_pytest.options import ENV_PREFIX, OPTIONS, TABLE, Declared

DEFAULT_RUN_NAME = "pytest"
_GROUPS = {
    "save": Group.STORE, "autosave": Group.STORE, "compare": Group.STORE,
    "compare_fail": Group.STORE, "store": Group.STORE, "json": Group.OUTPUT,
    "html": Group.OUTPUT,
}  # fmt: skip


def spec_of(declared: Declared) -> OptionSpec:
    """A row of the plugin's table as an OptionSpec (read by surge's rules)."""
    return OptionSpec(
        name=declared.name,
        flags=(declared.flag,),
        help=declared.help,
        kind=Kind(declared.kind),
        group=_GROUPS.get(declared.name, Group.LOAD),
        default=False if declared.kind == "flag" else (() if declared.multiple else None),
        multiple=declared.multiple,
        metavar=declared.metavar,
        minimum=1 if declared.kind == "int" else None,
    )


PLUGIN_OPTIONS: tuple[OptionSpec, ...] = tuple(spec_of(d) for d in OPTIONS)
_BY_NAME: Mapping[str, OptionSpec] = {s.name: s for s in PLUGIN_OPTIONS}


def warmup_rounds(value: str | None) -> int | None:
    """`on`/`auto`: surge's automatic warm-up (None); `off`: none (0); a number of rounds."""
    if value is None:
        return None
    text = str(value).strip().lower()
    if text in ("", "on", "auto", "true", "yes", "1"):
        return None if text != "1" else 1
    if text in ("off", "false", "no", "0"):
        return 0
    if text.isdigit():
        return int(text)
    raise ValueProblem(f"{value!r} is not on, off, auto or a number of rounds")


@dataclass(frozen=True, slots=True)
class PluginSettings:
    """What the session was asked to do with its benchmarks (docs/pytest.md, Options)."""

    save: str | None = None  # "" : the default name
    autosave: bool = False
    compare: str | None = None  # "" : the previous run of this session's name
    compare_fail: tuple[str, ...] = ()
    json: str | None = None
    html: str | None = None
    benchmark_json: str | None = None
    store: str | None = None
    only: bool = False
    skip: bool = False
    disable: bool = False
    warmup: int | None = None
    min_rounds: int | None = None
    max_time: float | None = None

    @property
    def storing(self) -> bool:
        return self.save is not None or self.autosave

    @property
    def run_name(self) -> str:
        return self.save or DEFAULT_RUN_NAME

    @property
    def comparing(self) -> bool:
        return self.compare is not None or bool(self.compare_fail)

    @property
    def needs_store(self) -> bool:
        return self.storing or self.comparing


def _flag_value(config: pytest.Config, declared: Declared) -> Any:
    value = config.getoption(declared.dest, None)
    if value is None:
        value = config.getoption("surge_benchmark_" + declared.name, None)
    return value


def _from_flags(config: pytest.Config) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for declared in OPTIONS:
        value = _flag_value(config, declared)
        if value is None:
            continue
        try:
            values[declared.name] = convert_value(_BY_NAME[declared.name], value)
        except ValueProblem as exc:
            raise pytest.UsageError(f"{declared.flag}: {exc}") from None
    return values


def _table(start: Path) -> dict[str, Any]:
    """`[tool.surge.pytest]`; `save = true` and `compare = true` mean the bare flags."""
    specs = [s if s.name not in ("save", "compare") else _bare_tolerant(s) for s in PLUGIN_OPTIONS]
    _, values = load_table(start, TABLE, specs)
    return values


def _bare_tolerant(spec: OptionSpec) -> OptionSpec:
    return OptionSpec(**{**{n: getattr(spec, n) for n in OptionSpec.__dataclass_fields__},
                         "kind": Kind.JSON})  # fmt: skip


def _layered(config: pytest.Config, cwd: Path, environ: Mapping[str, str]) -> dict[str, Any]:
    try:
        table = _table(cwd)
        env = env_values(environ, PLUGIN_OPTIONS, ENV_PREFIX)
    except ConfigError as exc:
        raise pytest.UsageError(str(exc)) from None
    for key in ("save", "compare"):  # `true` is the bare flag, a string or number its value
        if key in table:
            table[key] = _bare(table[key])
    return {**table, **env, **_from_flags(config)}


def _bare(text: str) -> str | None:
    """A TOML value read as JSON text: a string stays itself, `true` is "" (the bare flag)."""
    return {"true": "", "false": None}.get(text, text)


def read_settings(
    config: pytest.Config, cwd: Path | None = None, environ: Mapping[str, str] | None = None
) -> PluginSettings:
    """The session's settings; pytest.UsageError (the session stops before any test) for a bad
    value, naming the flag, variable or table key."""
    values = _layered(config, cwd or Path.cwd(), os.environ if environ is None else environ)
    try:
        warmup = warmup_rounds(values.pop("warmup", None))
    except ValueProblem as exc:
        raise pytest.UsageError(f"--surge-warmup: {exc}") from None
    disable = bool(values.pop("disable", False)) and not config.getoption("surge_ptb_enable", False)
    values = {k: v for k, v in values.items() if v is not None}
    values["compare_fail"] = tuple(values.get("compare_fail", ()))
    benchmark_json = config.getoption("surge_ptb_json", None)
    return PluginSettings(
        **values,
        warmup=warmup,
        disable=disable,
        benchmark_json=None if benchmark_json is None else str(benchmark_json),
    )
