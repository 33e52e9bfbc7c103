"""The validated, frozen result of loading a scenario: what the rest of the pipeline runs."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from surge.scenario.spec import EndpointSpec
from surge.scenario.user import User

# The option names a scenario file may override, exactly as the CLI's option table spells them.
OVERRIDE_KEYS: tuple[str, ...] = (
    "users",
    "requests_per_user",
    "think_time",
    "ramp_up",
    "duration",
    "rate",
    "arrivals",
    "max_in_flight",
    "stages",
    "expect_status",
    "expect_body",
    "expect_json",
)


@dataclass(frozen=True, slots=True)
class ThresholdEntry:
    """A threshold as a scenario file gave it, not yet parsed (the thresholds stage does that).

    `value` is an expression string (`"p95<200ms"`) or a `surge.Threshold`; `where` names the
    file and line for error messages; `abort_on_fail` and `grace_s` come from a TOML table entry.
    """

    value: object
    where: str
    abort_on_fail: bool = False
    grace_s: float | None = None


@dataclass(frozen=True, slots=True)
class OptionSource:
    """Where a scenario file set an option: the file, the option's dotted key in it
    (`scenarios.api.stages`), the line of the key and, for an array value, of each item."""

    path: Path
    key: str
    line: int | None
    item_lines: tuple[int, ...] = ()

    def error(self, detail: str, item: int | None = None) -> str:
        """`file:line: key: detail`, at the line of item `item` (from 1) when it is known."""
        line = self.line
        if item is not None and 0 < item <= len(self.item_lines):
            line = self.item_lines[item - 1]
        where = f"{self.path}:{line}" if line is not None else str(self.path)
        return f"{where}: {self.key}: {detail}"


def _no_sources() -> Mapping[str, OptionSource]:
    return MappingProxyType({})


class ScenarioKind(enum.Enum):
    """Where the load comes from: User classes in a script, or one declarative endpoint."""

    SCRIPT = "script"
    ENDPOINT = "endpoint"
    LOCUST = "locust"  # a locustfile (surge.locust): its classes are in `locustfile`


def _empty_overrides() -> Mapping[str, object]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Scenario:
    """What to run.

    - SCRIPT: `user_classes` (concrete User subclasses with tasks) and their `weights`
      (the class mix, same order); `host` is the first class `host` attribute found.
    - ENDPOINT: `endpoint` is repeated by every user; `overrides` holds option values
      (see OVERRIDE_KEYS) from a scenario file.
    - LOCUST: a locustfile; `locustfile` is the loaded file (a `surge.locust.Locustfile`, kept
      opaque here: the scenario stage does not depend on the locust package), `weights` its
      classes' shares.

    `thresholds` are the file's thresholds (unparsed); `shape` is a `surge.LoadShape` subclass
    found in a script (it then drives the users or the arrival rate over time).
    `option_sources` says where in the file each of the `overrides` was set (for errors found
    later, when the plan is compiled).
    """

    name: str
    kind: ScenarioKind
    source: Path | None = None
    user_classes: tuple[type[User], ...] = ()
    weights: tuple[int, ...] = ()
    host: str | None = None
    endpoint: EndpointSpec | None = None
    overrides: Mapping[str, object] = field(default_factory=_empty_overrides, hash=False)
    thresholds: tuple[ThresholdEntry, ...] = ()
    shape: type | None = None
    locustfile: object | None = None
    option_sources: Mapping[str, OptionSource] = field(default_factory=_no_sources, hash=False)

    def __post_init__(self) -> None:
        if self.kind is ScenarioKind.LOCUST:
            if self.locustfile is None or not self.weights:
                raise ValueError("Scenario: a LOCUST scenario needs its locustfile and weights")
        elif len(self.weights) != len(self.user_classes):
            raise ValueError("Scenario: weights must give one weight per user class")
        if self.kind is ScenarioKind.SCRIPT and not self.user_classes:
            raise ValueError("Scenario: a SCRIPT scenario needs at least one user class")
        if self.kind is ScenarioKind.ENDPOINT and self.endpoint is None:
            raise ValueError("Scenario: an ENDPOINT scenario needs an endpoint")
        unknown = sorted(set(self.overrides) - set(OVERRIDE_KEYS))
        if unknown:
            raise ValueError(f"Scenario: unknown override keys {unknown}")
        object.__setattr__(self, "overrides", MappingProxyType(dict(self.overrides)))
        object.__setattr__(self, "option_sources", MappingProxyType(dict(self.option_sources)))

    def __reduce__(self) -> tuple[type[Scenario], tuple[object, ...]]:
        """Pickle support (worker processes): the read-only overrides view travels as a dict."""
        return (
            Scenario,
            (
                self.name,
                self.kind,
                self.source,
                self.user_classes,
                self.weights,
                self.host,
                self.endpoint,
                dict(self.overrides),
                self.thresholds,
                self.shape,
                self.locustfile,
                dict(self.option_sources),
            ),
        )


def endpoint_scenario(
    endpoint: EndpointSpec,
    name: str | None = None,
    *,
    source: Path | None = None,
    overrides: Mapping[str, object] | None = None,
    thresholds: tuple[ThresholdEntry, ...] = (),
) -> Scenario:
    """An ENDPOINT scenario (URL mode or one TOML table); named after the endpoint by default."""
    return Scenario(
        name=name or endpoint.endpoint_name,
        kind=ScenarioKind.ENDPOINT,
        source=source,
        endpoint=endpoint,
        overrides=overrides if overrides is not None else {},
        thresholds=thresholds,
    )
