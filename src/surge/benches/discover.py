"""Finding the benches of a file: functions marked `@surge.bench(...)` and plain `bench_*`
functions, in the order they are defined, optionally narrowed by `-k PATTERN`.

The file is loaded as a module of its own (its directory first on `sys.path`, so it can import
its neighbours); an error while loading it, or a file with no bench, is a `DiscoveryError` that
names the file (and the line, for a syntax error) — exit code 2 in the CLI.
"""

from __future__ import annotations

import fnmatch
import hashlib
import importlib.util
import inspect
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

from surge.benches.api import marked_options
from surge.benches.spec import BenchSpec, spec_from_options

PREFIX = "bench_"


class DiscoveryError(Exception):
    """A bench file that cannot be used (missing, broken, no bench, a bad option)."""


def load_module(path: Path) -> ModuleType:
    """Import `path` as a module named after it (plus a hash of its location)."""
    if not path.is_file():
        raise DiscoveryError(f"{path}: no such file")
    if path.suffix != ".py":
        raise DiscoveryError(f"{path}: a bench file is a Python file (.py)")
    resolved = path.resolve()
    digest = hashlib.sha1(str(resolved).encode()).hexdigest()[:8]
    name = f"surge_bench_{resolved.stem}_{digest}"
    spec = importlib.util.spec_from_file_location(name, resolved)
    if spec is None or spec.loader is None:
        raise DiscoveryError(f"{path}: cannot be loaded as a Python module")
    module = importlib.util.module_from_spec(spec)
    folder = str(resolved.parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        sys.modules.pop(name, None)
        raise DiscoveryError(f"{path}:{exc.lineno}: syntax error: {exc.msg}") from None
    except Exception as exc:
        sys.modules.pop(name, None)
        where = _where_in(resolved, exc)
        raise DiscoveryError(f"{where}: {type(exc).__name__}: {exc}") from None
    return module


def _where_in(path: Path, exc: BaseException) -> str:
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if Path(frame.filename).resolve() == path:
            return f"{path}:{frame.lineno}"
    return str(path)


def _defined_here(module: ModuleType, value: Any) -> bool:
    return inspect.isfunction(value) and value.__module__ == module.__name__


def _line(fn: Callable[..., Any]) -> int:
    code = getattr(fn, "__code__", None)
    return int(code.co_firstlineno) if code is not None else 0


def benches_in(module: ModuleType) -> list[tuple[str, Callable[..., Any]]]:
    """(attribute name, function) of every bench in the module, in definition order."""
    found = []
    for attribute, value in vars(module).items():
        if not callable(value):
            continue
        if marked_options(value) is not None or (
            attribute.startswith(PREFIX) and _defined_here(module, value)
        ):
            found.append((attribute, value))
    return sorted(found, key=lambda item: _line(item[1]))


def matches(name: str, pattern: str | None) -> bool:
    """`-k`: a case-insensitive substring, or a glob when it holds `*`, `?` or `[`."""
    if not pattern:
        return True
    if any(char in pattern for char in "*?["):
        return fnmatch.fnmatchcase(name.lower(), pattern.lower())
    return pattern.lower() in name.lower()


def discover(
    path: Path, pattern: str | None = None, defaults: dict[str, Any] | None = None
) -> list[BenchSpec]:
    """The BenchSpecs of a file's benches whose name matches `pattern`. `defaults` are options
    applied where a bench sets none (its own options win)."""
    module = load_module(path)
    found = benches_in(module)
    if not found:
        raise DiscoveryError(
            f"{path}: no bench found: mark functions with @surge.bench or name them bench_*"
        )
    specs = []
    for attribute, fn in found:
        options = dict(defaults or {})
        options.update(marked_options(fn) or {})
        name = str(options.get("name") or attribute)
        if not matches(name, pattern):
            continue
        options["name"] = name
        try:
            specs.append(spec_from_options(fn, **options))
        except (ValueError, TypeError) as exc:
            raise DiscoveryError(f"{path}:{_line(fn)}: bench {name!r}: {exc}") from None
    if not specs:
        names = ", ".join(str((marked_options(fn) or {}).get("name") or a) for a, fn in found)
        raise DiscoveryError(f"{path}: no bench matches -k {pattern!r} (benches: {names})")
    return specs


def names_of(specs: Sequence[BenchSpec]) -> list[str]:
    return [spec.name for spec in specs]
