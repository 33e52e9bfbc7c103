"""Static checks of a locustfile, so that what surge does not run is an error at load time
naming the line, even when only a task body (not run while loading) uses it.

- `is_locustfile(path)`: does the file import `locust` (cheap: one AST parse, no import)?
- `check_source(tree, modules)`: attribute chains rooted at names imported from `locust` or
  `gevent` (and at `environment`) are resolved on surge's own objects, and client calls
  (`self.client.get(..., files=...)`) are checked for arguments surge's client does not take.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

from surge.locust.exceptions import LocustUnsupportedError

_VERBS = frozenset({"get", "post", "put", "patch", "delete", "head", "options", "request", "rest"})
_CLIENT_ARGS = frozenset(
    {"name", "catch_response", "context", "params", "data", "json", "headers", "cookies",
     "auth", "timeout", "allow_redirects", "verify", "stream", "files", "url", "method"}
)  # fmt: skip
_ARG_ADVICE = {
    "files": "send the body with data= (bytes) and a Content-Type header",
    "proxies": "surge connects to the host directly",
    "cert": "client certificates are not supported",
    "hooks": "use events.request listeners",
}


class Unsupported(Exception):
    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


def imports_locust(tree: ast.AST) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(
            a.name == "locust" or a.name.startswith("locust.") for a in node.names
        ):
            return True
        if (
            isinstance(node, ast.ImportFrom)
            and node.level == 0
            and node.module
            and (node.module == "locust" or node.module.startswith("locust."))
        ):
            return True
    return False


def is_locustfile(path: Path) -> bool:
    """True when the Python file at `path` imports from `locust` (a syntax error: False, the
    script loader reports it)."""
    try:
        return imports_locust(ast.parse(path.read_text(encoding="utf-8")))
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
        return False


def _bound_names(tree: ast.AST, modules: Mapping[str, ModuleType]) -> dict[str, Any]:
    """Names the file binds to surge's shim objects (`import gevent`, `from locust import
    events`), whatever the scope of the import."""
    bound: dict[str, Any] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in modules:
                    if alias.asname:
                        bound[alias.asname] = modules[alias.name]
                    else:
                        top = alias.name.split(".", 1)[0]
                        bound[top] = modules.get(top)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            module = modules.get(node.module)
            if module is None:
                continue
            for alias in node.names:
                value = module.__dict__.get(alias.name)
                if value is not None:
                    bound[alias.asname or alias.name] = value
    return bound


def _chain(node: ast.Attribute) -> tuple[ast.expr, list[str]]:
    names: list[str] = []
    current: ast.expr = node
    while isinstance(current, ast.Attribute):
        names.append(current.attr)
        current = current.value
    names.reverse()
    return current, names


def _resolve(root: Any, names: list[str], shown: str, line: int) -> None:
    value = root
    for name in names:
        shown = f"{shown}.{name}"
        try:
            value = getattr(value, name)
        except LocustUnsupportedError as exc:
            raise Unsupported(str(exc), line) from None
        except AttributeError:
            return


def _client_call(node: ast.Call) -> bool:
    func = node.func
    if not (isinstance(func, ast.Attribute) and func.attr in _VERBS):
        return False
    owner = func.value
    return isinstance(owner, ast.Attribute) and owner.attr == "client"


def check_source(tree: ast.AST, modules: Mapping[str, ModuleType], environment: Any) -> None:
    """Raise Unsupported (with the line) for the first construct surge does not run."""
    bound = _bound_names(tree, modules)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load):
            root, names = _chain(node)
            if isinstance(root, ast.Name) and root.id in bound:
                _resolve(bound[root.id], names, root.id, node.lineno)
            elif isinstance(root, ast.Name) and root.id == "environment":
                _resolve(environment, names, "environment", node.lineno)
            elif names[:1] == ["environment"] or names[1:2] == ["environment"]:
                rest = names[names.index("environment") + 1 :]
                _resolve(environment, rest, "environment", node.lineno)
        elif isinstance(node, ast.Call) and _client_call(node):
            for keyword in node.keywords:
                if keyword.arg is not None and keyword.arg not in _CLIENT_ARGS:
                    advice = _ARG_ADVICE.get(keyword.arg, "surge's client does not take it")
                    raise Unsupported(
                        f"the {keyword.arg}= argument of client requests is not supported by "
                        f"surge's locustfile runner: {advice}",
                        node.lineno,
                    )
                if keyword.arg == "files":
                    raise Unsupported(
                        "files= (multipart uploads) is not supported by surge's locustfile "
                        f"runner: {_ARG_ADVICE['files']}",
                        node.lineno,
                    )
