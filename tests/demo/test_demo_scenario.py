"""The bundled scenario: it is documentation, so it must load and its requests must succeed."""

from __future__ import annotations

import asyncio
import json
import py_compile
import urllib.parse
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import surge
import surge.demo
from demo.demo_http import call
from surge.demo.server import DemoServer
from surge.scenario import tasks_of

SCENARIO = Path(surge.demo.__file__).parent / "scenario.py"


def test_scenario_file_ships_next_to_the_package() -> None:
    assert SCENARIO.is_file()
    py_compile.compile(str(SCENARIO), doraise=True)


def test_scenario_loads_with_two_weighted_user_classes() -> None:
    (scenario,) = surge.load_scenario(SCENARIO)
    assert [cls.__name__ for cls in scenario.user_classes] == ["Shopper", "Browser"]
    assert scenario.weights == (3, 1)


class _Response:
    def __init__(self, status: int, headers: Mapping[str, str], body: bytes) -> None:
        self.status, self.headers, self.content = status, headers, body
        self.text = body.decode()
        self.ok = 0 < status < 400

    def json(self) -> Any:
        return json.loads(self.content)


class _UrllibSession:
    """Just enough of surge.HttpSession to run the scenario's tasks without the engine."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.headers: dict[str, str] = {}
        self.log: list[tuple[str, str, int]] = []

    async def request(self, method: str, path: str, **kwargs: Any) -> _Response:
        query = urllib.parse.urlencode(kwargs.get("params") or {})
        full_path = f"{path}?{query}" if query else path
        token = self.headers.get("Authorization", "").removeprefix("Bearer ") or None
        reply = await asyncio.to_thread(
            call, self.base_url, method, full_path, body=kwargs.get("json"), token=token
        )
        self.log.append((method, kwargs.get("name") or path, reply.status))
        return _Response(reply.status, reply.headers, reply.body)

    async def get(self, path: str, **kwargs: Any) -> _Response:
        return await self.request("GET", path, **kwargs)

    async def post(self, path: str, **kwargs: Any) -> _Response:
        return await self.request("POST", path, **kwargs)


def test_every_task_of_the_scenario_succeeds_against_the_demo_shop(
    demo_server: DemoServer,
) -> None:
    (scenario,) = surge.load_scenario(SCENARIO)

    async def drive() -> list[tuple[str, str, int]]:
        log: list[tuple[str, str, int]] = []
        for cls in scenario.user_classes:
            session = _UrllibSession(demo_server.url)
            user = cls(session)  # type: ignore[arg-type]
            await user.on_start()
            for spec in tasks_of(cls):
                for _ in range(5):
                    await spec.func(user)
            await user.on_stop()
            log.extend(session.log)
        return log

    log = asyncio.run(drive())
    assert len(log) > 40
    for method, name, status in log:
        # Detail pages ask for a few ids past the catalogue on purpose.
        expected = {200, 201, 404} if name == "/api/products/{id}" else {200, 201}
        assert status in expected, (method, name, status)
    names = {name for _, name, _ in log}
    assert "/api/products/{id}" in names and "/api/orders" in names
    assert not any("?" in name for name in names)
