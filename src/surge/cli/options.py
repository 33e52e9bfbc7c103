"""The option table as click options: each row of `surge.config`'s table becomes a flag with its
`SURGE_*` environment variable, its kind read by a click type with the same rules as
`surge.config` reads text and Python values.

Precedence: flag > environment variable > scenario file (TOML scenarios) > pyproject.toml > default.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click
from click.core import ParameterSource

from surge.config import BY_CONFIG_KEY, BY_NAME, RUN_OPTIONS, Kind, OptionSpec
from surge.config.convert import ValueProblem, convert_value

__all__ = ["BY_CONFIG_KEY", "BY_NAME", "RUN_OPTIONS", "click_options", "explicit_values"]

F = TypeVar("F", bound=Callable[..., Any])


class _SpecType(click.ParamType[Any]):
    """A value read by `surge.config`'s rules for its kind (duration, header, worker count)."""

    def __init__(self, spec: OptionSpec, name: str) -> None:
        self.spec = spec
        self.name = name

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if value is None:
            return value
        one = OptionSpec(**{**_fields(self.spec), "multiple": False})
        try:
            return convert_value(one, value)
        except ValueProblem as exc:
            self.fail(str(exc), param, ctx)


class _HeaderType(_SpecType):
    envvar_list_splitter = "\n"  # several headers in one environment variable: one a line


def _fields(spec: OptionSpec) -> dict[str, Any]:
    return {name: getattr(spec, name) for name in OptionSpec.__dataclass_fields__}


def click_type(spec: OptionSpec) -> Any:
    """The click type of an option."""
    kind = spec.kind
    if kind is Kind.INT:
        if spec.minimum is None and spec.maximum is None:
            return int
        low = None if spec.minimum is None else int(spec.minimum)
        high = None if spec.maximum is None else int(spec.maximum)
        return click.IntRange(min=low, max=high)
    if kind is Kind.FLOAT:
        return click.FloatRange(min=spec.minimum, max=spec.maximum, min_open=spec.minimum_open)
    if kind is Kind.CHOICE:
        return click.Choice(list(spec.choices))
    if kind is Kind.PATH:
        return click.Path()
    if kind is Kind.DURATION:
        return _SpecType(spec, "duration")
    if kind is Kind.SIZE:
        return _SpecType(spec, "size")
    if kind is Kind.HEADER:
        return _HeaderType(spec, "header")
    if kind is Kind.WORKERS:
        return _SpecType(spec, "N|auto")
    return str


def click_options(specs: tuple[OptionSpec, ...]) -> Callable[[F], F]:
    """Decorate a click command with one option per spec, each with its SURGE_* variable."""

    def decorate(func: F) -> F:
        for spec in reversed(specs):
            kwargs: dict[str, Any] = {
                "help": spec.help,
                "envvar": spec.env,
                "show_envvar": True,
                "metavar": spec.metavar,
            }
            if spec.is_flag:
                kwargs.update(is_flag=True, default=spec.default)
            else:
                kwargs.update(type=click_type(spec), default=spec.default, multiple=spec.multiple)
                if spec.default not in (None, (), False):
                    kwargs["show_default"] = True
            func = click.option(*spec.flags, spec.name, **kwargs)(func)
        return func

    return decorate


def explicit_values(ctx: click.Context) -> dict[str, Any]:
    """The options the user set with a flag or environment variable (not a default)."""
    given = {ParameterSource.COMMANDLINE, ParameterSource.ENVIRONMENT}
    return {
        name: value
        for name, value in ctx.params.items()
        if name in BY_NAME and ctx.get_parameter_source(name) in given
    }
