"""User classes, the @task decorator and task discovery."""

from __future__ import annotations

import asyncio
from collections.abc import MutableMapping
from typing import Any, cast

import pytest

from surge.scenario.errors import ScenarioError
from surge.scenario.protocols import HttpSession
from surge.scenario.user import TaskSpec, User, is_concrete_user, task, task_weight, tasks_of


class FakeSession:
    def __init__(self) -> None:
        self.headers: MutableMapping[str, str] = {}


def test_decorator_forms_set_weights() -> None:
    class Shopper(User):
        @task
        async def bare(self) -> None: ...

        @task()
        async def empty_call(self) -> None: ...

        @task(3)
        async def positional(self) -> None: ...

        @task(weight=5)
        async def keyword(self) -> None: ...

        async def helper(self) -> None: ...

    specs = tasks_of(Shopper)
    assert [(s.name, s.weight) for s in specs] == [
        ("bare", 1),
        ("empty_call", 1),
        ("positional", 3),
        ("keyword", 5),
    ]
    assert specs[2].func is Shopper.positional
    assert task_weight(Shopper.helper) is None


def test_decorator_returns_the_function_unchanged() -> None:
    async def browse(self: User) -> None: ...

    assert task(browse) is browse
    assert task(2)(browse) is browse
    assert task_weight(browse) == 2


def test_tasks_are_collected_through_the_mro_in_definition_order() -> None:
    class Base(User):
        abstract = True

        @task(2)
        async def login_page(self) -> None: ...

        @task
        async def replaced(self) -> None: ...

        @task
        async def removed(self) -> None: ...

    class Child(Base):
        @task(4)
        async def checkout(self) -> None: ...

        @task(7)
        async def replaced(self) -> None: ...

        async def removed(self) -> None: ...  # a plain override is no longer a task

    specs = tasks_of(Child)
    assert [(s.name, s.weight) for s in specs] == [
        ("login_page", 2),
        ("replaced", 7),
        ("checkout", 4),
    ]
    assert specs[1].func is Child.replaced
    assert tasks_of(User) == ()


def test_task_spec_is_frozen() -> None:
    async def browse(self: User) -> None: ...

    spec = TaskSpec("browse", browse, 1)
    with pytest.raises(AttributeError):
        spec.weight = 2  # type: ignore[misc]


def test_abstract_is_true_only_on_the_base_and_where_set() -> None:
    class Concrete(User):
        pass

    class Shared(User):
        abstract = True

    class FromShared(Shared):
        pass

    assert User.abstract is True
    assert Concrete.abstract is False
    assert Shared.abstract is True
    assert FromShared.abstract is False
    assert [is_concrete_user(c) for c in (User, Concrete, Shared, FromShared, int, 3)] == [
        False,
        True,
        False,
        True,
        False,
        False,
    ]


def test_user_defaults_and_init() -> None:
    session = cast(HttpSession, FakeSession())
    user = User(session, user_id=7)
    assert user.http is session
    assert user.user_id == 7
    assert User(session).user_id == 0
    assert (User.weight, User.wait_time, User.host) == (1, None, None)
    asyncio.run(user.on_start())
    asyncio.run(user.on_stop())


def test_sync_function_is_rejected_with_name_and_location() -> None:
    def browse(self: User) -> None: ...

    line = browse.__code__.co_firstlineno
    with pytest.raises(ScenarioError) as caught:
        task(browse)  # type: ignore[type-var]
    error = caught.value
    assert "browse" in error.message
    assert "async def browse(self)" in error.message
    assert error.path is not None and error.path.name == "test_scenario_user.py"
    assert error.line == line
    assert str(error).startswith(f"{error.path}:{line}: ")


def test_async_generator_is_rejected() -> None:
    async def stream(self: User) -> Any:
        yield 1

    with pytest.raises(ScenarioError, match="async generator"):
        task(stream)


@pytest.mark.parametrize("weight", [0, -1, 1.5, True, "3"])
def test_bad_weight_is_rejected(weight: Any) -> None:
    async def browse(self: User) -> None: ...

    with pytest.raises(ScenarioError, match=r"task '.*browse' has weight") as caught:
        task(weight)(browse)
    assert caught.value.line == browse.__code__.co_firstlineno


def test_bad_weight_keyword_is_rejected() -> None:
    async def browse(self: User) -> None: ...

    with pytest.raises(ScenarioError, match="has weight 0"):
        task(weight=0)(browse)


def test_weight_given_twice_is_rejected() -> None:
    with pytest.raises(ScenarioError, match="give the weight once"):
        task(2, weight=3)


def test_task_with_extra_parameters_is_rejected() -> None:
    async def browse(self: User, page: int) -> None: ...

    with pytest.raises(ScenarioError, match="must take only `self`"):
        task(browse)


def test_non_callable_is_rejected() -> None:
    with pytest.raises(ScenarioError, match="must decorate an `async def` method"):
        task(3)("not a function")  # type: ignore[type-var]
