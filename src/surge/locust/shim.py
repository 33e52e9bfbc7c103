"""The `locust` and `gevent` modules a locustfile imports, served while it loads (only then).

`shim_modules()` builds a fresh module tree per load (so each load has its own `events`);
`serving(modules)` installs a meta-path finder for the names `locust`, `locust.*`, `gevent`
and `gevent.*` for the duration of a `with` block, with any real modules of those names set
aside and put back after: nothing outside the locustfile's import sees surge's modules.
A name surge does not provide raises LocustUnsupportedError naming it (the loader turns that
into an error at the locustfile's line).
"""

from __future__ import annotations

import builtins
import contextlib
import importlib.abc
import importlib.machinery
import sys
import time as real_time
import types
from collections.abc import Iterator, Mapping
from typing import Any

from greenlet import GreenletExit

from surge.locust import bridge, exceptions, responses, wait
from surge.locust.client import HttpSession
from surge.locust.events import Environment, EventHook, Events
from surge.locust.exceptions import LocustUnsupportedError
from surge.locust.shape import LoadTestShape
from surge.locust.tasks import DefaultTaskSet, SequentialTaskSet, TaskSet, tag, task
from surge.locust.users import FastHttpUser, HttpUser, User

VERSION = "2.99.0+surge"
_ROOTS = ("locust", "gevent")
_WAITS = ("between", "constant", "constant_pacing", "constant_throughput")
_ADVICE = {
    "run_single_user": "run the file with `surge run FILE -u 1 -n 1` instead",
    "runners": "surge runs the load itself",
    "stats": "surge's reports, thresholds and --csv replace Locust's stats",
    "web": "use `surge ui` or --html for a report",
    "main": "run the locustfile with `surge run`",
    "spawn": "run concurrent work as separate tasks or users",
    "monkey": "",
}


class _Module(types.ModuleType):
    """A shim module: names it does not have are unsupported constructs, not typos."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        leaf = self.__name__.rsplit(".", 1)[-1]
        advice = _ADVICE.get(name, _ADVICE.get(leaf, ""))
        raise LocustUnsupportedError(f"{self.__name__}.{name}", advice)


def _module(name: str, values: Mapping[str, Any]) -> _Module:
    module = _Module(name)
    module.__dict__.update(values)
    module.__file__ = f"<surge: {name}>"
    return module


def _runners() -> dict[str, Any]:
    """`locust.runners`: the classes locustfiles test `environment.runner` against. surge's
    runner is none of the distributed ones (a run's listeners behave as on a single node)."""
    values: dict[str, Any] = {
        name: type(name, (), {})
        for name in ("Runner", "LocalRunner", "MasterRunner", "WorkerRunner")
    }
    for state in ("INIT", "SPAWNING", "RUNNING", "CLEANUP", "STOPPING", "STOPPED", "MISSING"):
        values[f"STATE_{state}"] = state.lower()
    return values


def _gevent() -> dict[str, types.ModuleType]:
    monkey = _module("gevent.monkey", {"patch_all": lambda *a, **k: None})
    gevent = _module(
        "gevent",
        {"sleep": bridge.sleep, "monkey": monkey, "GreenletExit": GreenletExit},
    )
    return {"gevent": gevent, "gevent.monkey": monkey}


def shim_modules() -> dict[str, types.ModuleType]:
    """A fresh `locust`/`gevent` module tree (one `events` per load)."""
    events = Events()
    waits = {name: getattr(wait, name) for name in _WAITS}
    users = {"User": User, "HttpUser": HttpUser}
    task_names = {"task": task, "tag": tag, "TaskSet": TaskSet, "DefaultTaskSet": DefaultTaskSet}
    fast = {
        "FastHttpUser": FastHttpUser,
        "FastHttpSession": HttpSession,
        "FastResponse": responses.Response,
        "ResponseContextManager": responses.CatchResponse,
        "RestResponseContextManager": responses.CatchResponse,
    }
    clients = {
        "HttpSession": HttpSession,
        "LocustResponse": responses.Response,
        "ResponseContextManager": responses.CatchResponse,
    }
    exception_names = {
        name: value
        for name, value in vars(exceptions).items()
        if isinstance(value, type) and issubclass(value, Exception)
    }
    modules: dict[str, types.ModuleType] = {
        "locust.exception": _module("locust.exception", exception_names),
        "locust.user.wait_time": _module("locust.user.wait_time", waits),
        "locust.wait_time": _module("locust.wait_time", waits),
        "locust.user.task": _module("locust.user.task", task_names),
        "locust.user.users": _module("locust.user.users", users),
        "locust.user.sequential_taskset": _module(
            "locust.user.sequential_taskset", {"SequentialTaskSet": SequentialTaskSet}
        ),
        "locust.contrib.fasthttp": _module("locust.contrib.fasthttp", fast),
        "locust.clients": _module("locust.clients", clients),
        "locust.env": _module("locust.env", {"Environment": Environment}),
        "locust.event": _module("locust.event", {"EventHook": EventHook, "Events": Events}),
        "locust.shape": _module("locust.shape", {"LoadTestShape": LoadTestShape}),
        "locust.runners": _module("locust.runners", _runners()),
    }
    modules["locust.user"] = _module(
        "locust.user",
        {**users, **task_names, "wait_time": modules["locust.user.wait_time"],
         "task_module": modules["locust.user.task"]},
    )  # fmt: skip
    modules["locust.contrib"] = _module(
        "locust.contrib", {"fasthttp": modules["locust.contrib.fasthttp"]}
    )
    top = {
        **users, **waits, "task": task, "tag": tag, "TaskSet": TaskSet,
        "SequentialTaskSet": SequentialTaskSet, "FastHttpUser": FastHttpUser, "events": events,
        "LoadTestShape": LoadTestShape, "__version__": VERSION,
    }  # fmt: skip
    for name, module in modules.items():
        parent, _, leaf = name.partition(".")
        if parent == "locust" and "." not in leaf:
            top[leaf] = module
    modules["locust"] = _module("locust", top)
    for module in modules.values():
        module.__path__ = []  # a package: its submodules resolve through the finder
    modules.update(_gevent())
    return modules


class _Loader(importlib.abc.Loader):
    def __init__(self, module: types.ModuleType | None, name: str) -> None:
        self.module = module
        self.name = name

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType | None:
        if self.module is None:
            root = self.name.split(".", 1)[0]
            leaf = self.name.rsplit(".", 1)[-1]
            what = "module" if root == "locust" else "gevent module"
            raise LocustUnsupportedError(f"the {what} {self.name}", _ADVICE.get(leaf, ""))
        return self.module

    def exec_module(self, module: types.ModuleType) -> None:
        """The module is built already."""


class _Finder(importlib.abc.MetaPathFinder):
    def __init__(self, modules: Mapping[str, types.ModuleType]) -> None:
        self.modules = modules

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        if fullname.split(".", 1)[0] not in _ROOTS:
            return None
        module = self.modules.get(fullname)
        spec = importlib.machinery.ModuleSpec(fullname, _Loader(module, fullname), is_package=True)
        return spec


def _ours(name: str) -> bool:
    return name.split(".", 1)[0] in _ROOTS


@contextlib.contextmanager
def serving(modules: Mapping[str, types.ModuleType]) -> Iterator[None]:
    """Serve `modules` to imports inside the block; see the module docstring."""
    saved = {name: sys.modules.pop(name) for name in list(sys.modules) if _ours(name)}
    finder = _Finder(modules)
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)
        for name in [name for name in sys.modules if _ours(name)]:
            del sys.modules[name]
        sys.modules.update(saved)


def locustfile_builtins() -> dict[str, Any]:
    """The locustfile's own builtins: `import time` there gives a `time` whose `sleep` pauses
    only the user that calls it (the rest of the program keeps the real one)."""
    cooperative = types.ModuleType("time")
    cooperative.__dict__.update(real_time.__dict__)
    cooperative.sleep = bridge.sleep  # type: ignore[attr-defined]
    real_import = builtins.__import__

    def scoped_import(
        name: str, globals: Any = None, locals: Any = None, fromlist: Any = (), level: int = 0
    ) -> Any:
        if level == 0 and name == "time":
            return cooperative
        return real_import(name, globals, locals, fromlist, level)

    own = dict(builtins.__dict__)
    own["__import__"] = scoped_import
    return own
