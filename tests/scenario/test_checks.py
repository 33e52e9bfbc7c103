"""Response checks as pure functions of a response, and the expectations of URL mode."""

from __future__ import annotations

import datetime
import json
import pickle
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest

from surge.scenario import (
    Check,
    EndpointOptionError,
    Expectations,
    JsonExpectation,
    body_contains,
    endpoint_from_options,
    expectations_from_options,
    header,
    json_path,
    latency_under,
    status,
)
from surge.scenario.checks import (
    MISSING,
    evaluate,
    find_json,
    json_equal,
    parse_json_path,
)

DOC = {"ok": True, "count": 1, "items": [{"id": 3, "tags": ["a"]}], "none": None, "0": "zero"}


@dataclass
class FakeResponse:
    """Just enough of `surge.scenario.protocols.Response` for checks."""

    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    content: bytes = b""
    elapsed: datetime.timedelta = datetime.timedelta(milliseconds=10)

    @property
    def text(self) -> str:
        return self.content.decode()

    def json(self) -> Any:
        return json.loads(self.content)


def _json_response(doc: object = DOC) -> FakeResponse:
    return FakeResponse(content=json.dumps(doc).encode())


def test_status_names_and_verdicts() -> None:
    assert status(200).name == "status is 200"
    assert status(200, 201).name == "status is 200 or 201"
    assert status(200)(FakeResponse(200)) and not status(200)(FakeResponse(201))
    assert status(200, 201)(FakeResponse(201))
    assert not status(200)(FakeResponse(0))  # no response at all
    assert status(404, name="gone")(FakeResponse(404)) and status(404, name="gone").name == "gone"


@pytest.mark.parametrize("bad", [(), (99,), (600,), (True,)])
def test_status_rejects_bad_codes(bad: tuple[Any, ...]) -> None:
    with pytest.raises(ValueError, match="status"):
        status(*bad)


def test_header_present_or_equal_case_insensitive_via_the_mapping() -> None:
    response = FakeResponse(headers={"X-Id": "42"})
    assert header("X-Id").name == "header X-Id present"
    assert header("X-Id")(response)
    assert not header("X-Other")(response)
    assert header("X-Id", equals="42").name == "header X-Id == '42'"
    assert header("X-Id", equals="42")(response)
    assert not header("X-Id", "43")(response)
    assert header("X-Id", name="has id").name == "has id"


def test_body_contains() -> None:
    check = body_contains("ok")
    assert check.name == "body contains 'ok'"
    assert check(FakeResponse(content=b'{"status": "ok"}'))
    assert not check(FakeResponse(content=b"fine"))
    assert body_contains("é")(FakeResponse(content="café".encode()))
    with pytest.raises(ValueError, match="text"):
        body_contains("")


def test_json_path_exists_and_equals() -> None:
    response = _json_response()
    assert json_path("items.0.id").name == "json items.0.id exists"
    assert json_path("$.items.0.id", equals=3).name == "json items.0.id == 3"
    assert json_path("name", equals="surge").name == 'json name == "surge"'
    assert json_path("items.0.id")(response)
    assert json_path("$.items.0.id", equals=3)(response)
    assert not json_path("items.0.id", equals=4)(response)
    assert not json_path("items.1.id")(response)  # index out of range
    assert not json_path("items.x")(response)  # a key on a list
    assert json_path("none", equals=None)(response)  # JSON null is a value
    assert json_path("none")(response)
    assert not json_path("missing", equals=None)(response)
    assert json_path("0", equals="zero")(response)  # digits still match an object key
    assert json_path("items.0.tags", equals=["a"])(response)
    assert json_path("$", equals=DOC)(response)


def test_json_equality_keeps_booleans_apart_from_numbers() -> None:
    response = _json_response()
    assert json_path("ok", equals=True)(response)
    assert not json_path("ok", equals=1)(response)
    assert not json_path("count", equals=True)(response)
    assert json_path("count", equals=1.0)(response)
    assert not json_path("count", equals="1")(response)
    assert json_equal({"a": [1, True]}, {"a": [1, True]})
    assert not json_equal({"a": [1, True]}, {"a": [1, 1]})
    assert not json_equal([1], {"0": 1})


@pytest.mark.parametrize("body", [b"", b"{not json", b"\xff\xfe", b"[1, 2"])
def test_json_path_on_a_bad_body_fails_without_raising(body: bytes) -> None:
    assert not json_path("a")(FakeResponse(content=body))
    assert not json_path("$")(FakeResponse(content=body))


@pytest.mark.parametrize(
    ("path", "steps"),
    [("a", ("a",)), ("$.a.0.b", ("a", 0, "b")), ("$", ()), ("items.10", ("items", 10))],
)
def test_parse_json_path(path: str, steps: tuple[object, ...]) -> None:
    assert parse_json_path(path) == steps


@pytest.mark.parametrize(
    ("path", "hint"),
    [("", "empty"), ("$.", "empty"), ("a..b", "empty step"), ("items[0].id", "items.0.id")],
)
def test_parse_json_path_errors_say_what_to_write(path: str, hint: str) -> None:
    with pytest.raises(ValueError, match=hint):
        parse_json_path(path)


def test_find_json_returns_missing_not_none() -> None:
    assert find_json(DOC, ("none",)) is None
    assert find_json(DOC, ("nope",)) is MISSING
    assert find_json(DOC, ("items", 0, "tags", 0)) == "a"
    assert find_json("text", ("a",)) is MISSING


def test_latency_under_uses_elapsed() -> None:
    check = latency_under(200)
    assert check.name == "latency < 200ms"
    assert check(FakeResponse(elapsed=datetime.timedelta(milliseconds=199)))
    assert not check(FakeResponse(elapsed=datetime.timedelta(milliseconds=200)))
    assert latency_under(1.5).name == "latency < 1.5ms"
    with pytest.raises(ValueError, match="positive"):
        latency_under(0)


def test_evaluate_turns_a_raising_check_into_a_failure() -> None:
    @dataclass(frozen=True)
    class Broken:
        name: str = "broken"

        def __call__(self, response: Any, /) -> bool:
            raise RuntimeError("user bug")

    broken: Check = Broken()
    assert evaluate(broken, FakeResponse()) is False
    assert evaluate(status(200), FakeResponse()) is True


def test_checks_are_frozen_values() -> None:
    assert status(200) == status(200)
    assert json_path("a", equals=[1]) == json_path("$.a", equals=[1])
    assert pickle.loads(pickle.dumps(body_contains("x"))) == body_contains("x")
    with pytest.raises(AttributeError):
        status(200).codes = (201,)  # type: ignore[misc]


# -- expectations (URL mode, TOML) -----------------------------------------------------------


def test_no_expectations_means_none() -> None:
    assert endpoint_from_options("http://a.test/").expect is None
    assert expectations_from_options() is None


def test_expectations_from_options() -> None:
    spec = endpoint_from_options(
        "http://a.test/",
        expect_status=[200, 404, 200],
        expect_body="ok",
        expect_json=["$.data.id=3", "name=surge", 'quoted="3"', "flag=true", "list=[1, 2]"],
    )
    expect = spec.expect
    assert expect is not None
    assert expect.status == (200, 404)
    assert expect.body == "ok"
    assert [(j.path, j.value) for j in expect.json] == [
        ("data.id", 3),
        ("name", "surge"),
        ("quoted", "3"),
        ("flag", True),
        ("list", [1, 2]),
    ]
    hash(spec)  # a list value is stored as JSON text: the spec stays hashable
    assert pickle.loads(pickle.dumps(spec)) == spec


def test_a_value_with_equals_signs_splits_at_the_first() -> None:
    expect = expectations_from_options(expect_json=["token=a=b"])
    assert expect == Expectations(json=(JsonExpectation("token", '"a=b"'),))


@pytest.mark.parametrize(
    ("kwargs", "flag", "hint"),
    [
        ({"expect_status": [99]}, "--expect-status", "100-599"),
        ({"expect_status": [True]}, "--expect-status", "100-599"),
        ({"expect_body": ""}, "--expect-body", "must contain"),
        ({"expect_json": ["data.id"]}, "--expect-json", "PATH=VALUE"),
        ({"expect_json": ["=3"]}, "--expect-json", "PATH=VALUE"),
        ({"expect_json": ["a[0]=3"]}, "--expect-json", "a.0"),
        ({"expect_json": ["a..b=3"]}, "--expect-json", "empty step"),
    ],
)
def test_malformed_expectations_name_the_flag(kwargs: dict[str, Any], flag: str, hint: str) -> None:
    with pytest.raises(EndpointOptionError, match=hint) as info:
        endpoint_from_options("http://a.test/", **kwargs)
    assert info.value.option == flag
    assert str(info.value).startswith(f"{flag}: ")
