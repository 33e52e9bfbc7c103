"""Virtual users: `User` subclasses whose weighted `@task` coroutines the engine runs in a loop.

Importing this module has no side effects; `@task` only marks a function with its weight.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, TypeVar, overload

from surge.scenario.errors import ScenarioError
from surge.scenario.protocols import HttpSession, WebSocketClient
from surge.scenario.wait import WaitTime

TaskFunc = TypeVar("TaskFunc", bound=Callable[..., Coroutine[Any, Any, Any]])

_TASK_WEIGHT_ATTR = "__surge_task_weight__"


@dataclass(frozen=True, slots=True)
class TaskSpec:
    """One task of a User class: call `await func(user)`; picked with probability ∝ weight."""

    name: str
    func: Callable[[Any], Coroutine[Any, Any, Any]]
    weight: int


class User:
    """A virtual user. Subclass it, set the class attributes, and mark coroutines with `@task`.

    - `weight`: relative share of users of this class when a script has several classes.
    - `wait_time`: pause between tasks (`between`, `constant`, `constant_pacing`); None = none.
    - `host`: base URL for relative paths; `--host` overrides it.
    - `abstract`: True only on this base class and on subclasses that set it themselves;
      abstract classes are shared bases and are never run.
    - `http2`: send this class's requests over HTTP/2 (docs/http2.md); `--http2` sets it for
      every class.

    `self.http` sends HTTP requests (and reads Server-Sent Events: `self.http.sse(path)`);
    `self.ws` opens WebSockets (`await self.ws.connect(path)`).
    """

    weight: ClassVar[int] = 1
    wait_time: ClassVar[WaitTime | None] = None
    host: ClassVar[str | None] = None
    abstract: ClassVar[bool] = True
    http2: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "abstract" not in cls.__dict__:
            cls.abstract = False

    def __init__(self, http: HttpSession, user_id: int = 0) -> None:
        self.http = http
        self.user_id = user_id

    @property
    def ws(self) -> WebSocketClient:
        """This user's WebSocket client: `ws = await self.ws.connect("/ws/chat")`."""
        return self.http.ws

    async def on_start(self) -> None:
        """Runs once when the user starts, before its first task (log in, fetch a token...)."""

    async def on_stop(self) -> None:
        """Runs once when the user stops, also when the run is interrupted."""


def code_location(func: object) -> tuple[Path | None, int | None]:
    """The file and first line of a function (or of the function a wrapper holds), if known."""
    code = getattr(func, "__code__", None) or getattr(
        getattr(func, "__func__", None), "__code__", None
    )
    if code is None:
        return None, None
    return Path(code.co_filename), code.co_firstlineno


def _error(func: object, message: str) -> ScenarioError:
    path, line = code_location(func)
    return ScenarioError(message, path, line)


def _check_task(func: object, weight: object) -> None:
    """Raise a ScenarioError naming the function when it cannot be a task of that weight."""
    name = getattr(func, "__qualname__", None) or getattr(func, "__name__", None)
    if name is None or not callable(func):
        raise ScenarioError(f"@task must decorate an `async def` method, got {func!r}")
    if inspect.isasyncgenfunction(func):
        raise _error(
            func, f"task {name!r} is an async generator (it uses `yield`); remove the `yield`"
        )
    short = getattr(func, "__name__", name)
    if not inspect.iscoroutinefunction(func):
        raise _error(
            func,
            f"task {name!r} must be a coroutine: define it as `async def {short}(self) -> None:` "
            "and `await` the HTTP calls inside it",
        )
    if isinstance(weight, bool) or not isinstance(weight, int) or weight < 1:
        raise _error(
            func,
            f"task {name!r} has weight {weight!r}; use a whole number of 1 or more, e.g. @task(3)",
        )
    try:
        inspect.signature(func).bind(None)
    except TypeError:
        raise _error(
            func, f"task {name!r} must take only `self`, e.g. `async def {short}(self) -> None:`"
        ) from None


@overload
def task(weight_or_func: TaskFunc, /) -> TaskFunc: ...


@overload
def task(
    weight_or_func: int | None = None, /, *, weight: int | None = None
) -> Callable[[TaskFunc], TaskFunc]: ...


def task(
    weight_or_func: int | TaskFunc | None = None, /, *, weight: int | None = None
) -> TaskFunc | Callable[[TaskFunc], TaskFunc]:
    """Mark an `async def` method of a User as a task: `@task`, `@task(3)` or `@task(weight=3)`."""
    if callable(weight_or_func):
        if weight is not None:
            raise _error(weight_or_func, "use either @task(3) or @task(weight=3), not both")
        _check_task(weight_or_func, 1)
        setattr(weight_or_func, _TASK_WEIGHT_ATTR, 1)
        return weight_or_func
    if weight_or_func is not None and weight is not None:
        raise ScenarioError(
            f"@task({weight_or_func!r}, weight={weight!r}): give the weight once, e.g. @task(3)"
        )
    chosen = weight if weight is not None else (1 if weight_or_func is None else weight_or_func)

    def decorate(func: TaskFunc) -> TaskFunc:
        _check_task(func, chosen)
        setattr(func, _TASK_WEIGHT_ATTR, chosen)
        return func

    return decorate


def task_weight(obj: object) -> int | None:
    """The weight `@task` gave `obj`, or None when `obj` is not a task."""
    weight = getattr(obj, _TASK_WEIGHT_ATTR, None)
    return weight if isinstance(weight, int) else None


def tasks_of(cls: type) -> tuple[TaskSpec, ...]:
    """The tasks of a User class through its MRO: base-class tasks first, in definition order.

    A subclass attribute of the same name replaces the inherited one (and removes the task when
    the replacement is not a task).
    """
    names: dict[str, None] = {}
    for klass in reversed(cls.__mro__):
        for name in vars(klass):
            names.setdefault(name)
    specs: list[TaskSpec] = []
    for name in names:
        attr = next(vars(k)[name] for k in cls.__mro__ if name in vars(k))
        weight = task_weight(attr)
        if weight is not None:
            specs.append(TaskSpec(name=name, func=attr, weight=weight))
    return tuple(specs)


def is_concrete_user(obj: object) -> bool:
    """True for User subclasses that are meant to run (not `abstract`)."""
    return isinstance(obj, type) and issubclass(obj, User) and not obj.abstract
