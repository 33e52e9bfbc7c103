"""URL mode: EndpointSpecs from CLI option values, and the Scenario value."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest

from surge.scenario.endpoint import endpoint_from_options
from surge.scenario.errors import EndpointOptionError, ScenarioError
from surge.scenario.model import Scenario, ScenarioKind, endpoint_scenario
from surge.scenario.spec import EndpointSpec


def test_minimal_get() -> None:
    spec = endpoint_from_options("http://127.0.0.1:8000/items?page=1")
    assert spec == EndpointSpec(method="GET", url="http://127.0.0.1:8000/items?page=1")
    assert spec.endpoint_name == "/items"


def test_all_options() -> None:
    spec = endpoint_from_options(
        "https://api.test:8443/orders",
        method="post",
        headers=["Accept: application/json", "X-Trace:  abc:def  "],
        json_body='{"item": 3}',
        auth_token="s3cret",
        name="create order",
    )
    assert spec.method == "POST"
    assert spec.headers == (
        ("Accept", "application/json"),
        ("X-Trace", "abc:def"),
        ("Content-Type", "application/json"),
        ("Authorization", "Bearer s3cret"),
    )
    assert spec.body is not None and json.loads(spec.body) == {"item": 3}
    assert spec.endpoint_name == "create order"


def test_positional_order_matches_the_cli() -> None:
    spec = endpoint_from_options("http://a.test/", "put", ["A: 1"], "raw", None, None, "n")
    assert (spec.method, spec.headers, spec.body, spec.name) == ("PUT", (("A", "1"),), b"raw", "n")


def test_json_keeps_an_explicit_content_type() -> None:
    spec = endpoint_from_options(
        "http://a.test/", headers=["content-type: application/vnd.x+json"], json_body="[]"
    )
    assert spec.headers == (("content-type", "application/vnd.x+json"),)


@pytest.mark.parametrize(
    ("kwargs", "option", "match"),
    [
        ({"url": "127.0.0.1:8000/items"}, "URL", "absolute http:// or https://"),
        ({"url": "ftp://a.test/"}, "URL", "absolute http:// or https://"),
        ({"url": "http://"}, "URL", "no host"),
        ({"url": "http://a.test:99999/"}, "URL", "port"),
        ({"url": "http://a.test/a b"}, "URL", "spaces"),
        ({"method": "GE T"}, "--method", "invalid HTTP method"),
        ({"headers": ["Accept application/json"]}, "--header", "'Name: value'"),
        ({"headers": [": value"]}, "--header", "'Name: value'"),
        ({"headers": ["Bad Name: x"]}, "--header", "invalid header name 'Bad Name'"),
        ({"json_body": "{item: 3}"}, "--json", "not valid JSON"),
        ({"json_body": "{}", "body": "x"}, "--json", "not both"),
        ({"auth_token": ""}, "--auth-token", "non-empty"),
        ({"auth_token": "t", "headers": ["Authorization: Basic x"]}, "--auth-token", "not both"),
    ],
)
def test_invalid_options(kwargs: dict[str, object], option: str, match: str) -> None:
    arguments: dict[str, object] = {"url": "http://a.test/", **kwargs}
    with pytest.raises(EndpointOptionError, match=match) as caught:
        endpoint_from_options(**arguments)  # type: ignore[arg-type]
    assert caught.value.option == option
    assert str(caught.value).startswith(f"{option}: ")
    assert isinstance(caught.value, ValueError)


def test_errors_do_not_echo_secrets() -> None:
    with pytest.raises(EndpointOptionError) as caught:
        endpoint_from_options("http://a.test/", headers=["Authorization Bearer topsecret"])
    assert "topsecret" not in str(caught.value)
    assert "Authorization" in str(caught.value)
    with pytest.raises(EndpointOptionError) as caught:
        endpoint_from_options("ftp://me:hunter2@a.test/")
    assert "hunter2" not in str(caught.value)


def test_endpoint_scenario_and_validation() -> None:
    spec = endpoint_from_options("http://a.test/items")
    scenario = endpoint_scenario(spec)
    assert scenario.kind is ScenarioKind.ENDPOINT
    assert scenario.name == "/items"
    assert scenario.endpoint is spec
    assert dict(scenario.overrides) == {}
    assert hash(scenario) == hash(endpoint_scenario(spec))
    with pytest.raises(ValueError, match="unknown override keys"):
        endpoint_scenario(spec, overrides={"usrs": 1})
    with pytest.raises(ValueError, match="needs an endpoint"):
        Scenario(name="x", kind=ScenarioKind.ENDPOINT)
    with pytest.raises(ValueError, match="at least one user class"):
        Scenario(name="x", kind=ScenarioKind.SCRIPT)


def test_endpoint_scenario_pickles() -> None:
    spec = endpoint_from_options("http://a.test/items", headers=["A: 1"], body="x")
    scenario = endpoint_scenario(spec, "items", source=Path("s.toml"), overrides={"users": 3})
    copy = pickle.loads(pickle.dumps(scenario))
    assert copy == scenario
    assert dict(copy.overrides) == {"users": 3}


def test_scenario_error_formatting() -> None:
    assert str(ScenarioError("bad", Path("s.toml"), 12)) == "s.toml:12: bad"
    assert str(ScenarioError("bad", "s.toml")) == "s.toml: bad"
    assert str(ScenarioError("bad")) == "bad"
    error = ScenarioError("bad", "s.toml", 3)
    assert (error.path, error.line, error.message) == (Path("s.toml"), 3, "bad")


def test_errors_pickle_with_their_fields() -> None:
    error = pickle.loads(pickle.dumps(ScenarioError("bad", "s.toml", 3)))
    assert (error.message, error.path, error.line) == ("bad", Path("s.toml"), 3)
    option_error = pickle.loads(pickle.dumps(EndpointOptionError("--json", "bad")))
    assert (option_error.option, str(option_error)) == ("--json", "--json: bad")
