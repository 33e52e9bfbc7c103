"""The form of `surge ui`: its fields are rows of the one option table (surge.config), so a
field reads, checks and documents its value exactly as the flag, the `SURGE_*` variable and the
`[tool.surge]` key of the same name do.

Fields start with what the command line gave (`surge ui shop.py -u 50` shows 50); options left
to pyproject.toml or their default show as placeholders and stay unset unless typed in, so a
scenario file's own values still apply. What the form sends becomes a RunConfig the same way
flags do: form values > the command line's other options > `[tool.surge]` > defaults.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from surge.config import BY_NAME, ConfigError, Kind, OptionSpec, RunConfig
from surge.config.convert import ValueProblem, convert_value
from surge.redaction import redact_url
from surge.runner import Target
from surge.runner.target import is_url, target_text

FORM_OPTIONS: tuple[str, ...] = (
    "users",
    "rate",
    "duration",
    "ramp_up",
    "stages",
    "think_time",
    "host",
    "user_class",
    "threshold",
    "name",
)
"""The options the form shows, in order: the load, where it goes, the classes, the verdicts."""

TARGET_FIELD = "target"


def _text(spec: OptionSpec, value: Any) -> str:
    """An option's value as the form shows it (several values one per line)."""
    if value is None or value == () or value is False:
        return ""
    if spec.multiple:
        one = dataclasses.replace(spec, multiple=False)
        return "\n".join(_text(one, item) for item in value)
    if spec.kind is Kind.DURATION:
        return f"{float(value):g}s"
    if spec.kind is Kind.FLAG:
        return "true"
    if isinstance(value, float):
        return f"{value:g}"
    text = str(value)
    return redact_url(text) if "://" in text else text


@dataclass(frozen=True, slots=True)
class FormBase:
    """What the form starts from: the options given on the command line (`explicit`), those of
    `[tool.surge]` (`project`), the scenario file or URL (`target`, None: the form asks for a
    URL) and its User classes with their weights."""

    explicit: Mapping[str, Any] = field(default_factory=dict)
    project: Mapping[str, Any] = field(default_factory=dict)
    target: Target | None = None
    classes: tuple[tuple[str, int], ...] = ()

    def fields(self) -> list[dict[str, Any]]:
        """The form's fields, each described from its row of the option table."""
        out = []
        for name in FORM_OPTIONS:
            spec = BY_NAME[name]
            if name == "user_class" and not self.classes:
                continue
            default = self.project.get(name, spec.default)
            with contextlib.suppress(ValueProblem):
                default = convert_value(spec, default)
            out.append(
                {
                    "name": name,
                    "flag": spec.long_flag,
                    "help": spec.help,
                    "kind": spec.kind.value,
                    "multiple": spec.multiple,
                    "value": _text(spec, self.explicit.get(name)),
                    "placeholder": _text(spec, default),
                    "min": spec.minimum,
                    "choices": list(spec.choices),
                }
            )
        return out

    def payload(self) -> dict[str, Any]:
        """The form as the page builds it."""
        shown = None if self.target is None else _target_text(self.target)
        return {
            "target": shown,
            "fields": self.fields(),
            "classes": [{"name": n, "weight": w} for n, w in self.classes],
        }

    def config(self, values: Mapping[str, Any]) -> tuple[Target, RunConfig]:
        """The target and RunConfig of a submitted form (ConfigError saying which field)."""
        target = self.target
        if target is None:
            text = str(values.get(TARGET_FIELD) or "").strip()
            if not is_url(text):
                raise ConfigError(
                    f"target: {text!r} is not an http(s):// URL (the form runs URLs; for a "
                    "scenario file start `surge ui FILE`)"
                )
            target = text
        explicit = {k: v for k, v in self.explicit.items() if k not in FORM_OPTIONS}
        for name in FORM_OPTIONS:
            if name in values:
                value = self._value(BY_NAME[name], values[name])
                if value is not None:
                    explicit[name] = value
        return target, RunConfig.layered(explicit, self.project)

    def _value(self, spec: OptionSpec, raw: Any) -> Any:
        """A field's value: None when left empty; the command line's own value when the field
        still shows it (a host with its password masked stays the real one)."""
        if spec.multiple:
            items = raw if isinstance(raw, list) else str(raw).splitlines()
            lines = [str(item).strip() for item in items if str(item).strip()]
            if not lines:
                return None
            if "\n".join(lines) == _text(spec, self.explicit.get(spec.name)):
                return self.explicit[spec.name]
            return self._convert(spec, lines)
        text = str(raw).strip() if raw is not None else ""
        if not text:
            return None
        if spec.name in self.explicit and text == _text(spec, self.explicit[spec.name]):
            return self.explicit[spec.name]
        return self._convert(spec, text)

    @staticmethod
    def _convert(spec: OptionSpec, value: Any) -> Any:
        try:
            return convert_value(spec, value)
        except ValueProblem as exc:
            raise ConfigError(f"{spec.long_flag}: {exc}") from None


def _target_text(target: Target) -> str:
    text = str(target) if isinstance(target, str | os.PathLike) else target_text(target)
    return redact_url(text) if "://" in text else text
