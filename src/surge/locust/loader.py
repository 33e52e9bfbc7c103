"""Loading a locustfile into a surge Scenario (kind LOCUST), with errors that name the line.

The file is imported under a unique module name with surge's `locust`/`gevent` modules served
to it (shim.py; only while it imports) and its own builtins (a cooperative `time.sleep`). Then:
the static checks (check.py), the user classes (concrete `User` subclasses with tasks; picked
by name when the command line names classes), `--tags`/`--exclude-tags`, the weights and
`fixed_count`s, the one `LoadTestShape` (adapted to surge's), and `events.init`.
"""

from __future__ import annotations

import ast
import importlib.util
import inspect
import itertools
import re
import sys
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from surge.locust import check, shim
from surge.locust.events import Environment
from surge.locust.exceptions import LocustUnsupportedError
from surge.locust.shape import LoadTestShape, adapt
from surge.locust.tasks import filter_by_tags
from surge.locust.users import User
from surge.scenario.errors import ScenarioError
from surge.scenario.model import Scenario, ScenarioKind

_numbers = itertools.count(1)


@dataclass(frozen=True, slots=True)
class Locustfile:
    """A loaded locustfile: its user classes (each with its `fixed_count`, 0 = by weight) and
    the environment its events and users share."""

    path: Path
    classes: tuple[type[User], ...]
    fixed_counts: tuple[int, ...]
    environment: Environment

    @property
    def events(self) -> Any:
        return self.environment.events


@dataclass(frozen=True, slots=True)
class Selection:
    """What the command line picks: class names (empty: all) and tags."""

    class_names: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    exclude_tags: tuple[str, ...] = ()


def load_locustfile(path: str | Path, selection: Selection = Selection()) -> Scenario:
    """Import a locustfile and return it as a Scenario; ScenarioError (file:line) when it
    cannot run on surge."""
    file = Path(path)
    if not file.is_file():
        raise ScenarioError("locustfile not found; check the path", file)
    modules = shim.shim_modules()
    environment = Environment(modules["locust"].events)
    module = _import(file, modules)
    _check(file, modules, environment)
    classes = _pick(_user_classes(module), selection, file)
    shape = _shape(module, file)
    fixed = tuple(_fixed_count(cls, file) for cls in classes)
    environment.user_classes = list(classes)
    locustfile = Locustfile(file, tuple(classes), fixed, environment)
    hosts = [cls.host for cls in classes if cls.host]
    return Scenario(
        name=file.stem,
        kind=ScenarioKind.LOCUST,
        source=file,
        weights=tuple(max(1, int(cls.weight)) for cls in classes),
        host=hosts[0] if hosts else None,
        shape=adapt(shape) if shape is not None else None,
        locustfile=locustfile,
    )


def _import(file: Path, modules: dict[str, ModuleType]) -> ModuleType:
    stem = re.sub(r"\W", "_", file.stem)
    name = f"surge_locustfile_{stem}_{next(_numbers)}"
    resolved = file.resolve()
    spec = importlib.util.spec_from_file_location(name, resolved)
    if spec is None or spec.loader is None:
        raise ScenarioError("cannot import this file as Python", file)
    module = importlib.util.module_from_spec(spec)
    module.__dict__["__builtins__"] = shim.locustfile_builtins()
    folder = str(resolved.parent)
    sys.path.insert(0, folder)
    sys.modules[name] = module
    try:
        with shim.serving(modules):
            spec.loader.exec_module(module)
    except SyntaxError as exc:
        sys.modules.pop(name, None)
        raise ScenarioError(f"syntax error: {exc.msg}", file, exc.lineno) from None
    except (Exception, SystemExit) as exc:
        sys.modules.pop(name, None)
        raise _import_error(exc, file, resolved) from None
    finally:
        if folder in sys.path:
            sys.path.remove(folder)
    return module


def _import_error(exc: BaseException, file: Path, resolved: Path) -> ScenarioError:
    frames = traceback.extract_tb(exc.__traceback__)
    mine = [f for f in frames if Path(f.filename).resolve() == resolved]
    line = mine[-1].lineno if mine else None
    if isinstance(exc, LocustUnsupportedError):
        return ScenarioError(f"{exc}", file, line)
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    message = f"the locustfile raised {text} while being imported"
    if isinstance(exc, ModuleNotFoundError) and exc.name:
        message += f"; install {exc.name.partition('.')[0]!r} where surge runs"
    return ScenarioError(message, file, line)


def _check(file: Path, modules: dict[str, ModuleType], environment: Environment) -> None:
    try:
        tree = ast.parse(file.read_text(encoding="utf-8"))
        check.check_source(tree, modules, environment)
    except check.Unsupported as exc:
        raise ScenarioError(str(exc), file, exc.line) from None


def _class_line(cls: type) -> int | None:
    try:
        return inspect.getsourcelines(cls)[1]
    except (OSError, TypeError):
        return None


def _user_classes(module: ModuleType) -> list[type[User]]:
    found: list[type[User]] = []
    for value in vars(module).values():
        concrete = isinstance(value, type) and issubclass(value, User) and not value.abstract
        if concrete and value not in found:
            found.append(value)
    return found


def _pick(classes: list[type[User]], selection: Selection, file: Path) -> list[type[User]]:
    if not classes:
        raise ScenarioError(
            "no user classes found: define `class MyUser(HttpUser):` with at least one @task",
            file,
        )
    by_name = {cls.__name__: cls for cls in classes}
    if selection.class_names:
        unknown = [name for name in selection.class_names if name not in by_name]
        if unknown:
            raise ScenarioError(
                f"no user class {unknown[0]!r} in the locustfile (it has: {', '.join(by_name)})",
                file,
            )
        classes = [by_name[name] for name in dict.fromkeys(selection.class_names)]
    for cls in classes:
        if not cls.tasks:
            raise ScenarioError(
                f"user class {cls.__name__!r} has no tasks: mark a method with @task, set "
                "`tasks`, or set `abstract = True` if it is only a base class",
                file,
                _class_line(cls),
            )
    if selection.tags or selection.exclude_tags:
        classes = _filter(classes, selection, file)
    return [cls for cls in classes if cls.weight or cls.fixed_count]


def _filter(classes: list[type[User]], selection: Selection, file: Path) -> list[type[User]]:
    tags = set(selection.tags) or None
    exclude = set(selection.exclude_tags) or None
    seen: dict[Any, bool] = {}
    for cls in classes:
        filter_by_tags(cls, tags, exclude, seen)
    kept = [cls for cls in classes if cls.tasks]
    if not kept:
        wanted = ", ".join(selection.tags) or "(any)"
        raise ScenarioError(
            f"--tags {wanted} / --exclude-tags {', '.join(selection.exclude_tags) or '(none)'} "
            "leave no task to run in any user class",
            file,
        )
    return kept


def _fixed_count(cls: type[User], file: Path) -> int:
    for attribute in ("weight", "fixed_count"):
        value = getattr(cls, attribute)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ScenarioError(
                f"{cls.__name__}.{attribute} is {value!r}: use a whole number >= 0",
                file,
                _class_line(cls),
            )
    return int(cls.fixed_count)


def _shape(module: ModuleType, file: Path) -> type[LoadTestShape] | None:
    found: list[type[LoadTestShape]] = []
    for value in vars(module).values():
        if (
            isinstance(value, type)
            and issubclass(value, LoadTestShape)
            and not value.abstract
            and value not in found
        ):
            found.append(value)
    if len(found) > 1:
        names = ", ".join(cls.__name__ for cls in found)
        raise ScenarioError(
            f"more than one LoadTestShape ({names}): keep one", file, _class_line(found[1])
        )
    return found[0] if found else None


def fire_init(locustfile: Locustfile) -> None:
    """`events.init` with the environment (once per process, before the run)."""
    environment = locustfile.environment
    environment.events.init.fire(environment=environment, runner=environment.runner, web_ui=None)


def class_names(scenario: Scenario) -> Sequence[str]:
    locustfile = scenario.locustfile
    assert isinstance(locustfile, Locustfile)
    return [cls.__name__ for cls in locustfile.classes]
