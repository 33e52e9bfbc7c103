"""What one option of a run is: its name, flags, kind of value, default, help and group.

The option table itself is the list of `RunConfig` fields (run_config.py): each field is declared
with `option(...)`, so the typed config, the CLI flags, the `SURGE_*` variables, the
`[tool.surge]` keys and the keyword arguments of `surge.run` come from one declaration. Nothing
here knows click: the CLI maps each `Kind` to a click type.
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass
from typing import Any


class Kind(enum.Enum):
    """How an option's value is read from text (flags, environment, TOML) or Python."""

    TEXT = "text"
    PATH = "path"  # a file the run writes
    JSON = "json"  # JSON text; from Python any JSON value (dumped)
    INT = "int"
    FLOAT = "float"
    DURATION = "duration"  # seconds, from `30s`, `2m`, `500ms` or a number
    SIZE = "size"  # bytes, from `64MiB`, `500kB`, `1GiB` or a number
    FLAG = "flag"
    CHOICE = "choice"
    HEADER = "header"  # `Name: value`
    WORKERS = "workers"  # a count >= 1 or `auto`


class Group(enum.Enum):
    """The sections of `surge run --help`, in order."""

    LOAD = "Load"
    HTTP = "HTTP"
    CHECKS = "Checks and thresholds"
    WORKERS = "Workers"
    STORE = "Store and compare"
    OUTPUT = "Outputs"


@dataclass(frozen=True, slots=True)
class OptionSpec:
    """One option of the run config.

    `minimum`/`maximum` bound INT and FLOAT values (`minimum_open`: strictly above);
    `choices` are the CHOICE values; `secret` values are masked in every output.
    """

    name: str
    flags: tuple[str, ...]
    help: str
    kind: Kind
    group: Group
    default: Any = None
    multiple: bool = False
    secret: bool = False
    metavar: str | None = None
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    minimum_open: bool = False

    @property
    def env(self) -> str:
        """The environment variable: `SURGE_` and the name in capitals."""
        return "SURGE_" + self.name.upper()

    @property
    def config_key(self) -> str:
        """The `[tool.surge]` key: the long flag without its dashes (underscores work too)."""
        return self.name.replace("_", "-")

    @property
    def is_flag(self) -> bool:
        return self.kind is Kind.FLAG

    @property
    def long_flag(self) -> str:
        return self.flags[-1]


SPEC_KEY = "surge.option"


def option(
    default: Any,
    *flags: str,
    help: str,
    kind: Kind,
    group: Group,
    multiple: bool = False,
    secret: bool = False,
    metavar: str | None = None,
    choices: tuple[str, ...] = (),
    minimum: float | None = None,
    maximum: float | None = None,
    minimum_open: bool = False,
) -> Any:
    """A RunConfig field that is also a row of the option table (its name is the field's)."""
    spec = OptionSpec(
        name="",
        flags=flags,
        help=help,
        kind=kind,
        group=group,
        default=default,
        multiple=multiple,
        secret=secret,
        metavar=metavar,
        choices=choices,
        minimum=minimum,
        maximum=maximum,
        minimum_open=minimum_open,
    )
    return dataclasses.field(default=default, metadata={SPEC_KEY: spec})


def specs_of(cls: type) -> tuple[OptionSpec, ...]:
    """The option table of a dataclass declared with `option(...)` fields, in field order."""
    return tuple(
        dataclasses.replace(f.metadata[SPEC_KEY], name=f.name)
        for f in dataclasses.fields(cls)
        if SPEC_KEY in f.metadata
    )
