"""Loading a Python scenario script into a validated Scenario of User classes.

The script is imported by path under a unique module name, with its folder on `sys.path` only
while it imports (so `import helpers` next to it works). Besides User classes it may define a
module-level `thresholds = [...]` list (kept unparsed, with the line of each item, for the
thresholds stage) and one `surge.LoadShape` subclass. Every problem becomes a ScenarioError
naming file:line before any traffic is sent.
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
from pathlib import Path
from types import ModuleType

from surge.scenario.endpoint import check_url
from surge.scenario.errors import ScenarioError
from surge.scenario.model import Scenario, ScenarioKind, ThresholdEntry
from surge.scenario.shape import LoadShape
from surge.scenario.tracebacks import user_frame
from surge.scenario.user import User, code_location, tasks_of
from surge.scenario.wait import WaitTime

_module_numbers = itertools.count(1)


class _Script:
    """The script as the user named it, and its resolved path (what frames and code report)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.resolved = path.resolve()

    def shown(self, path: str | Path | None) -> Path | None:
        """`path` as the user will recognise it: the name they gave for the script itself."""
        if path is None:
            return None
        candidate = Path(path)
        try:
            same = candidate.resolve() == self.resolved
        except OSError:
            same = False
        return self.path if same else candidate

    def error(self, message: str, path: str | Path | None, line: int | None) -> ScenarioError:
        return ScenarioError(message, self.shown(path), line)


def load_script(path: str | Path) -> Scenario:
    """Import a scenario script and return its concrete User classes as a SCRIPT Scenario."""
    script = _Script(Path(path))
    if not script.path.is_file():
        raise ScenarioError("scenario script not found; check the path", script.path)
    module = _import(script)
    classes = _user_classes(module)
    if not classes:
        raise ScenarioError(
            "no User classes found: define `class MyUser(surge.User):` with at least one "
            "`@surge.task` coroutine",
            script.path,
        )
    for cls in classes:
        _validate_user_class(cls, script)
    hosts = [cls.host for cls in classes if cls.host]
    return Scenario(
        name=script.path.stem,
        kind=ScenarioKind.SCRIPT,
        source=script.path,
        user_classes=tuple(classes),
        weights=tuple(cls.weight for cls in classes),
        host=hosts[0] if hosts else None,
        thresholds=_thresholds(module, script),
        shape=_shape(module, script),
    )


def user_scenario(
    classes: Sequence[type[User]],
    *,
    name: str | None = None,
    thresholds: Sequence[object] = (),
    shape: type[LoadShape] | None = None,
) -> Scenario:
    """A SCRIPT Scenario of User classes given in Python (`surge.run(MyUser, ...)`), checked
    like a script's classes; `thresholds` are expressions or `surge.Threshold`s. Errors name the
    class's file and line."""
    if not classes or not all(isinstance(c, type) and issubclass(c, User) for c in classes):
        raise ScenarioError(f"expected surge.User subclasses, got {list(classes)!r}")
    for cls in classes:
        path, _ = _class_location(cls)
        _validate_user_class(cls, _Script(path or Path("<python>")))
    hosts = [cls.host for cls in classes if cls.host]
    where = " and ".join(cls.__name__ for cls in classes)
    return Scenario(
        name=name or classes[0].__name__,
        kind=ScenarioKind.SCRIPT,
        user_classes=tuple(classes),
        weights=tuple(cls.weight for cls in classes),
        host=hosts[0] if hosts else None,
        thresholds=tuple(ThresholdEntry(item, where) for item in thresholds),
        shape=shape,
    )


def _import(script: _Script) -> ModuleType:
    stem = re.sub(r"\W", "_", script.path.stem)
    module_name = f"surge_scenario_{stem}_{next(_module_numbers)}"
    spec = importlib.util.spec_from_file_location(module_name, script.resolved)
    if spec is None or spec.loader is None:
        raise ScenarioError("cannot import this file as Python; is it a .py script?", script.path)
    module = importlib.util.module_from_spec(spec)
    folder = str(script.resolved.parent)
    sys.path.insert(0, folder)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        sys.modules.pop(module_name, None)
        message = f"syntax error: {exc.msg}"
        if exc.offset:
            message += f" (column {exc.offset})"
        raise script.error(message, exc.filename or script.path, exc.lineno) from None
    except ScenarioError as exc:
        sys.modules.pop(module_name, None)
        raise ScenarioError(exc.message, script.shown(exc.path), exc.line) from exc
    except (Exception, SystemExit) as exc:
        sys.modules.pop(module_name, None)
        raise _import_error(exc, script) from exc
    finally:
        if sys.path and sys.path[0] == folder:
            del sys.path[0]
        elif folder in sys.path:
            sys.path.remove(folder)
    return module


def _import_error(exc: BaseException, script: _Script) -> ScenarioError:
    """Where in the script the import failed (innermost frame in it) and what was raised."""
    frames = traceback.extract_tb(exc.__traceback__)
    in_script = [f for f in frames if script.shown(f.filename) == script.path]
    line = in_script[-1].lineno if in_script else None
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    message = f"the script raised {text} while being imported"
    # Raised in another module of the user's (not in surge's checks, nor a library): say where.
    innermost = user_frame(exc)
    if innermost is not None and innermost not in in_script:
        message += f" (in {script.shown(innermost.filename)}:{innermost.lineno})"
    if isinstance(exc, ModuleNotFoundError) and exc.name:
        message += (
            f"; install {exc.name.partition('.')[0]!r} where surge runs, "
            "or check the name of the module next to the script"
        )
    else:
        message += "; fix it so the file imports cleanly"
    return ScenarioError(message, script.path, line)


def _user_classes(module: ModuleType) -> list[type[User]]:
    """User subclasses defined in or imported into `module`, in module order, abstract ones out."""
    found: list[type[User]] = []
    for value in vars(module).values():
        if (
            isinstance(value, type)
            and issubclass(value, User)
            and not value.abstract
            and value not in found
        ):
            found.append(value)
    return found


def _class_location(cls: type, attribute: str | None = None) -> tuple[Path | None, int | None]:
    """The file and line of `cls` (or of `attribute` in the class body that defines it)."""
    if attribute is not None:
        cls = next((k for k in cls.__mro__ if attribute in vars(k)), cls)
    try:
        path = inspect.getsourcefile(cls)
        lines, first = inspect.getsourcelines(cls)
    except (OSError, TypeError):
        return None, None
    if attribute is not None:
        assignment = re.compile(rf"^\s*{re.escape(attribute)}\s*(:[^=]*)?=(?!=)")
        for offset, text in enumerate(lines):
            if assignment.match(text):
                return Path(path) if path else None, first + offset
    return Path(path) if path else None, first


def _validate_user_class(cls: type[User], script: _Script) -> None:
    def fail(message: str, attribute: str | None = None) -> ScenarioError:
        path, line = _class_location(cls, attribute)
        return script.error(message, path or script.path, line)

    name = cls.__name__
    if not tasks_of(cls):
        raise fail(
            f"User class {name!r} has no tasks: mark an `async def` method with @surge.task, "
            "or set `abstract = True` if it is only a base class"
        )
    weight: object = cls.weight
    if isinstance(weight, bool) or not isinstance(weight, int) or weight < 1:
        raise fail(
            f"{name}.weight is {weight!r}; use a whole number of 1 or more (the class's share)",
            "weight",
        )
    wait_time: object = cls.wait_time
    if wait_time is not None and not isinstance(wait_time, WaitTime):
        raise fail(
            f"{name}.wait_time is {wait_time!r}; use surge.between(min_s, max_s), "
            "surge.constant(seconds) or surge.constant_pacing(seconds)",
            "wait_time",
        )
    host: object = cls.host
    if host is not None:
        if not isinstance(host, str):
            raise fail(f"{name}.host must be a URL string, got {host!r}", "host")
        try:
            check_url(host)
        except ValueError as exc:
            raise fail(f"{name}.host: {exc}", "host") from None
    for hook in ("on_start", "on_stop"):
        func = getattr(cls, hook)
        if not inspect.iscoroutinefunction(func):
            path, line = code_location(func)
            raise script.error(
                f"{name}.{hook} must be a coroutine: write `async def {hook}(self) -> None:`",
                path or script.path,
                line,
            )


def _assignment_lines(script: _Script, name: str) -> tuple[int | None, tuple[int, ...]]:
    """The line of the last module-level assignment to `name`, and of each item when its value
    is a list literal (best effort: no lines when the source cannot be read or parsed)."""
    try:
        tree = ast.parse(script.resolved.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
        return None, ()
    line: int | None = None
    items: tuple[int, ...] = ()
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else []
        if isinstance(node, ast.AnnAssign):
            targets = [node.target]
        if any(isinstance(t, ast.Name) and t.id == name for t in targets):
            value = getattr(node, "value", None)
            line = node.lineno
            items = tuple(e.lineno for e in value.elts) if isinstance(value, ast.List) else ()
    return line, items


def _thresholds(module: ModuleType, script: _Script) -> tuple[ThresholdEntry, ...]:
    """The script's `thresholds` list as unparsed entries, each with its `file:line`.

    Items are expression strings or `surge.Threshold` objects; the thresholds stage parses
    them (this stage must not depend on it, so a Threshold is recognised by its `specs`).
    """
    value: object = vars(module).get("thresholds")
    if value is None or isinstance(value, ModuleType):  # `from surge import thresholds`
        return ()
    line, item_lines = _assignment_lines(script, "thresholds")
    if not isinstance(value, list):
        raise script.error(
            f"thresholds must be a list, got {type(value).__name__} {value!r}; write "
            'thresholds = ["p95<200ms", "error_rate<1%"] (strings or surge.Threshold objects)',
            script.path,
            line,
        )
    if len(item_lines) != len(value):
        item_lines = (line,) * len(value) if line is not None else ()
    entries = []
    for index, item in enumerate(value):
        item_line = item_lines[index] if item_lines else None
        if not isinstance(item, str) and not callable(getattr(item, "specs", None)):
            raise script.error(
                f"thresholds item {index + 1} is {type(item).__name__} {item!r}; use an "
                "expression string like 'p95<200ms' or surge.Threshold(max_p95_ms=200)",
                script.path,
                item_line,
            )
        where = f"{script.path}:{item_line}" if item_line is not None else str(script.path)
        entries.append(ThresholdEntry(item, where))
    return tuple(entries)


def _shape(module: ModuleType, script: _Script) -> type[LoadShape] | None:
    """The one concrete LoadShape subclass defined in or imported into the script, if any."""
    found: list[type[LoadShape]] = []
    unfinished: list[type[LoadShape]] = []
    for value in vars(module).values():
        if isinstance(value, type) and issubclass(value, LoadShape) and value is not LoadShape:
            if inspect.isabstract(value):
                unfinished.append(value)
            elif value not in found:
                found.append(value)
    if len(found) > 1:
        first, second = found[0].__name__, found[1].__name__
        path, line = _class_location(found[1])
        raise script.error(
            f"two load shapes, {first} and {second}: a run follows one shape; remove one, "
            "or make one a base class without `tick`",
            path or script.path,
            line,
        )
    if not found:
        own = [cls for cls in unfinished if cls.__module__ == module.__name__]
        if own:
            path, line = _class_location(own[0])
            raise script.error(
                f"load shape {own[0].__name__} has no `tick` method: define "
                "`def tick(self, elapsed_s: float) -> float | None:`",
                path or script.path,
                line,
            )
        return None
    _validate_shape(found[0], script)
    return found[0]


def _validate_shape(cls: type[LoadShape], script: _Script) -> None:
    def fail(message: str, attribute: str | None = None) -> ScenarioError:
        path, line = _class_location(cls, attribute)
        return script.error(message, path or script.path, line)

    name = cls.__name__
    kind: object = cls.kind
    if kind not in ("users", "rate"):
        raise fail(
            f'{name}.kind is {kind!r}; use "users" (tick returns a number of users) or '
            '"rate" (tick returns arrivals per second)',
            "kind",
        )
    if inspect.iscoroutinefunction(cls.tick):
        path, line = code_location(cls.tick)
        raise script.error(
            f"{name}.tick must be a plain function: write `def tick(self, elapsed_s: float) "
            "-> float | None:` (not async)",
            path or script.path,
            line,
        )
    try:
        inspect.signature(cls).bind()
    except TypeError:
        raise fail(
            f"{name} must be creatable without arguments: surge calls {name}() before the run"
        ) from None
