"""Tasks and task sets with Locust's semantics: `@task`, `@tag`, `tasks = [...]`/`{...}`,
`TaskSet`, `SequentialTaskSet`, nested task sets and `interrupt()`.

A class's `tasks` is a list in which a task of weight n appears n times (Locust's layout, so
`random.choice` weighs them and a SequentialTaskSet runs them in order). Running follows
Locust: a task set picks a task, runs it (a task set class runs nested until it is
interrupted), waits, and again; `interrupt(reschedule=True)` hands control back to the parent,
which picks its next task at once (or after its wait, with `reschedule=False`). Each task that
is not a task set is one iteration for surge: the runtime counts it, and in the open model one
arrival runs exactly one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from greenlet import GreenletExit

from surge.locust.bridge import Runtime, current_runtime
from surge.locust.exceptions import (
    InterruptTaskSet,
    LocustError,
    RescheduleTask,
    RescheduleTaskImmediately,
    StopTest,
    StopUser,
)

WEIGHT_ATTR = "locust_task_weight"
TAG_ATTR = "locust_tag_set"
_CONTROL = (InterruptTaskSet, RescheduleTask, RescheduleTaskImmediately)
_STOPPING = (StopUser, StopTest, GreenletExit)


def task(weight: Any = 1) -> Any:
    """Mark a method (or a TaskSet class) as a task: `@task` or `@task(3)`."""

    def decorate(func: Any) -> Any:
        setattr(func, WEIGHT_ATTR, weight)
        return func

    if callable(weight):
        func, weight = weight, 1
        return decorate(func)
    return decorate


def tag(*tags: str) -> Callable[[Any], Any]:
    """Tag a task (or every task of a TaskSet) for `--tags`/`--exclude-tags`."""
    for name in tags:
        if not isinstance(name, str):
            raise ValueError(f"@tag takes tag names (strings), got {name!r}")

    def decorate(decorated: Any) -> Any:
        if is_task_set(decorated):
            decorated.tasks = [decorate(item) for item in decorated.tasks]
        else:
            if TAG_ATTR not in getattr(decorated, "__dict__", {}):
                setattr(decorated, TAG_ATTR, set())
            getattr(decorated, TAG_ATTR).update(tags)
        return decorated

    return decorate


def is_task_set(obj: object) -> bool:
    return isinstance(obj, type) and issubclass(obj, TaskSet)


def collect_tasks(bases: Iterable[type], namespace: dict[str, Any]) -> list[Any]:
    """A class's task list: its bases' tasks, its `tasks` attribute, then its @task members
    (each repeated by its weight)."""
    found: list[Any] = []
    for base in bases:
        found += getattr(base, "tasks", None) or []
    declared = namespace.get("tasks")
    if declared is not None:
        items = declared.items() if isinstance(declared, dict) else declared
        for item in items:
            if isinstance(item, tuple):
                func, count = item
                found += [func] * _weight(count, func)
            else:
                found.append(item)
    for value in namespace.values():
        weight = getattr(value, WEIGHT_ATTR, None) if callable(value) else None
        if weight is not None:
            found += [value] * _weight(weight, value)
    return found


def _weight(weight: object, func: object) -> int:
    if isinstance(weight, bool) or not isinstance(weight, int) or weight < 0:
        name = getattr(func, "__qualname__", repr(func))
        raise ValueError(f"task {name} has weight {weight!r}: use a whole number >= 0")
    return weight


class TaskHolderMeta(type):
    """Gathers `tasks` at class creation, as Locust's metaclasses do."""

    def __new__(mcs, name: str, bases: tuple[type, ...], namespace: dict[str, Any]) -> Any:
        namespace["tasks"] = collect_tasks(bases, namespace)
        return super().__new__(mcs, name, bases, namespace)


def task_name(func: Any) -> str:
    return str(getattr(func, "__name__", None) or type(func).__name__)


def filter_by_tags(
    holder: Any, tags: set[str] | None, exclude: set[str] | None, seen: dict[Any, bool]
) -> None:
    """Keep only the tasks `--tags`/`--exclude-tags` select (task sets: those with any left)."""
    kept = []
    for item in holder.tasks:
        if item not in seen:
            if is_task_set(item):
                filter_by_tags(item, tags, exclude, seen)
                seen[item] = bool(item.tasks)
            else:
                own: set[str] = getattr(item, TAG_ATTR, set())
                passing = tags is None or bool(own & tags)
                seen[item] = passing and (exclude is None or not own & exclude)
        if seen[item]:
            kept.append(item)
    holder.tasks = kept


def _runtime() -> Runtime:
    runtime = current_runtime()
    if runtime is None:
        raise LocustError("a task set runs only inside a virtual user")
    return runtime


class TaskSet(metaclass=TaskHolderMeta):
    """A group of tasks a user runs until one of them calls `self.interrupt()`."""

    tasks: list[Any] = []

    def __init__(self, parent: Any) -> None:
        if isinstance(parent, TaskSet):
            self._user: Any = parent.user
        elif hasattr(parent, "environment") and hasattr(parent, "wait_time"):  # a User
            self._user = parent
        else:
            raise LocustError("a TaskSet's parent must be a User or another TaskSet")
        self._parent = parent
        self._task_queue: list[Any] = []

    @property
    def user(self) -> Any:
        """The user running this task set (a surge.locust.users.User)."""
        return self._user

    @property
    def parent(self) -> Any:
        return self._parent

    @property
    def client(self) -> Any:
        return getattr(self._user, "client")  # noqa: B009 - only HttpUser has one

    def on_start(self) -> None:
        """Runs when the user enters this task set."""

    def on_stop(self) -> None:
        """Runs when the user leaves it (interrupt) or stops."""

    def wait_time(self) -> float:
        return float(self._user.wait_time())

    def get_next_task(self) -> Any:
        if not self.tasks:
            raise LocustError(
                f"{type(self).__name__} has no tasks: mark a method with @task or set `tasks`"
            )
        return self._user._surge_rng.choice(self.tasks)

    def schedule_task(self, task_callable: Any, first: bool = False) -> None:
        if first:
            self._task_queue.insert(0, task_callable)
        else:
            self._task_queue.append(task_callable)

    def interrupt(self, reschedule: bool = True) -> None:
        """Leave this task set for its parent (which picks its next task at once, or after its
        wait with `reschedule=False`)."""
        raise InterruptTaskSet(reschedule)

    def wait(self) -> None:
        _runtime().wait(self.wait_time())

    def execute_task(self, item: Any) -> None:
        if is_task_set(item):
            item(self).run()
        else:
            self._run_leaf(item, self)

    def _run_leaf(self, func: Any, arg: Any) -> None:
        runtime = _runtime()
        self._user._surge_task_started = runtime.begin_task(self._owner(), task_name(func))
        error: BaseException | None = None
        stopping = False
        try:
            func(arg)
        except _CONTROL:
            raise
        except _STOPPING:
            stopping = True
            raise
        except BaseException as exc:
            error = exc
            raise
        finally:
            client: Any = getattr(self._user, "client", None)
            if getattr(client, "_pending", None):
                client.finish_pending()
            runtime.end_task(error, stopping)

    def _owner(self) -> str:
        return type(self).__name__

    def run(self) -> None:
        """Locust's task-set loop: pick, run, wait, until interrupted or stopped."""
        try:
            self.on_start()
        except InterruptTaskSet as exc:
            raise _rescheduled(exc) from exc
        while True:
            try:
                if not self._task_queue:
                    self.schedule_task(self.get_next_task())
                try:
                    self.execute_task(self._task_queue.pop(0))
                except RescheduleTaskImmediately:
                    pass
                except RescheduleTask:
                    self.wait()
                else:
                    self.wait()
            except InterruptTaskSet as exc:
                self._stop_hook()
                raise _rescheduled(exc) from exc
            except _STOPPING:
                self._stop_hook()
                raise
            except Exception as exc:  # the user's code: counted, the user carries on
                _runtime().script_error(f"{self._owner()}.run", exc)
                self.wait()

    def _stop_hook(self) -> None:
        try:
            self.on_stop()
        except _STOPPING:
            raise
        except Exception as exc:  # the user's code: counted
            _runtime().script_error(f"{self._owner()}.on_stop", exc)


def _rescheduled(exc: InterruptTaskSet) -> Exception:
    return RescheduleTaskImmediately(True) if exc.reschedule else RescheduleTask(False)


class SequentialTaskSet(TaskSet):
    """A task set that runs its tasks in the order they are declared, over and over."""

    def __init__(self, parent: Any) -> None:
        super().__init__(parent)
        self._task_index = 0

    def get_next_task(self) -> Any:
        if not self.tasks:
            raise LocustError(f"{type(self).__name__} has no tasks")
        item = self.tasks[self._task_index % len(self.tasks)]
        self._task_index += 1
        return item


class DefaultTaskSet(TaskSet):
    """The task set every user runs at its top: the user's own tasks, called with the user."""

    def get_next_task(self) -> Any:
        tasks = self._user.tasks
        if not tasks:
            raise LocustError(f"{type(self._user).__name__} has no tasks")
        if len(tasks) == 1:
            return tasks[0]
        return self._user._surge_rng.choice(tasks)

    def wait_time(self) -> float:
        return float(self._user.wait_time())

    def execute_task(self, item: Any) -> None:
        if is_task_set(item):
            item(self._user).run()
        else:
            self._run_leaf(item, self._user)

    def _owner(self) -> str:
        return type(self._user).__name__
