"""surge.config: the run config — one option table behind flags, `SURGE_*` variables,
`[tool.surge]`, TOML scenario files and the keyword arguments of `surge.run`."""

from surge.config.convert import AUTO, ConfigError
from surge.config.project import env_values, find_pyproject, load_project, load_table
from surge.config.run_config import (
    BY_CONFIG_KEY,
    BY_NAME,
    OUTPUT_OPTIONS,
    RUN_OPTIONS,
    RunConfig,
    check_names,
    unknown_message,
)
from surge.config.spec import Group, Kind, OptionSpec

__all__ = [
    "AUTO",
    "BY_CONFIG_KEY",
    "BY_NAME",
    "OUTPUT_OPTIONS",
    "RUN_OPTIONS",
    "ConfigError",
    "Group",
    "Kind",
    "OptionSpec",
    "RunConfig",
    "check_names",
    "env_values",
    "find_pyproject",
    "load_project",
    "load_table",
    "unknown_message",
]
