"""`user_class` (`--user-class NAME[:WEIGHT]`): pick a script's User classes and their shares,
checked before any traffic; the dashboard's form sends the same option."""

from __future__ import annotations

import re

import pytest

import surge
from servers import HttpTestServer
from surge.config import RunConfig
from surge.runner import InputError, plan_jobs


class Reader(surge.User):
    weight = 3
    wait_time = surge.constant(0)

    @surge.task
    async def read(self) -> None:
        await self.http.get("/ok", name="/read")


class Writer(surge.User):
    wait_time = surge.constant(0)

    @surge.task
    async def write(self) -> None:
        await self.http.post("/echo", json={}, name="/write")


HOST = "http://127.0.0.1:9"


def _plan_weights(picks: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[int, ...]]:
    config = RunConfig(host=HOST, user_class=picks, requests_per_user=1)
    (job,) = plan_jobs([Reader, Writer], config)
    return tuple(c.__name__ for c in job.scenario.user_classes), job.scenario.weights


def test_every_class_at_its_weight_by_default() -> None:
    assert _plan_weights(()) == (("Reader", "Writer"), (3, 1))


def test_pick_classes_and_weights() -> None:
    assert _plan_weights(("Writer",)) == (("Writer",), (1,))
    assert _plan_weights(("Writer:5", "Reader")) == (("Writer", "Reader"), (5, 3))
    assert _plan_weights(("Writer:5,Reader",)) == (("Writer", "Reader"), (5, 3))  # A,B too


@pytest.mark.parametrize(
    ("picks", "message"),
    [
        (("Nobody",), "'Nobody' is not a User class here (Reader, Writer)"),
        (("Reader", "Reader:2"), "'Reader' is given twice"),
        (("Reader:0",), "the weight must be a whole number >= 1"),
        (("Reader:x",), "the weight must be a whole number >= 1"),
    ],
)
def test_bad_picks_are_input_errors(picks: tuple[str, ...], message: str) -> None:
    with pytest.raises(InputError, match=re.escape(message)):
        _plan_weights(picks)


def test_url_mode_has_no_classes_to_pick() -> None:
    with pytest.raises(InputError, match="--user-class picks the User classes"):
        plan_jobs("http://127.0.0.1:9/ok", RunConfig(user_class=("Reader",)))


def test_only_the_picked_class_runs(test_server: HttpTestServer) -> None:
    result = surge.run(
        [Reader, Writer], host=test_server.url, users=4, requests_per_user=3,
        user_class=["Writer"], no_store=True,
    )  # fmt: skip
    assert result.endpoint("POST /write").requests == 12 == test_server.requests_total
    assert [e.name for e in result.endpoints] == ["/write"]
    assert result.meta.options["user_class"] == ["Writer"]
