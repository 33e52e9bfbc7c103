"""Loading TOML files of predefined endpoint scenarios."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from surge.scenario.errors import ScenarioError
from surge.scenario.loader import load_scenario
from surge.scenario.model import ScenarioKind
from surge.scenario.spec import EndpointSpec
from surge.scenario.toml_loader import load_toml
from surge.scenario.toml_positions import TomlPositions

EXAMPLE = """\
# predefined scenarios
[defaults]            # optional, applied to every scenario
users = 10
duration = "30s"

[scenarios.list_items]
url = "http://127.0.0.1:8000/items?page=1"
method = "GET"                    # default GET
headers = { Accept = "application/json" }
users = 20
requests_per_user = 50
think_time = 0.1
ramp_up = 5
duration = "1m"
name = "/items"                  # optional endpoint name

[scenarios.create_order]
url = "http://127.0.0.1:8000/orders"
method = "post"
json = { item = 3, qty = 1 }

[scenarios.raw]
url = "https://example.test/echo"
body = "hello"
"""


def write(tmp_path: Path, text: str, name: str = "scenarios.toml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def line_of(path: Path, needle: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(n for n, text in enumerate(lines, start=1) if needle in text)


def load_error(path: Path) -> ScenarioError:
    with pytest.raises(ScenarioError) as caught:
        load_toml(path)
    assert caught.value.path == path
    return caught.value


def test_happy_path(tmp_path: Path) -> None:
    path = write(tmp_path, EXAMPLE)
    items, order, raw = load_toml(path)

    assert items.kind is ScenarioKind.ENDPOINT
    assert items.name == "list_items"
    assert items.source == path
    assert items.user_classes == () and items.weights == ()
    assert items.endpoint == EndpointSpec(
        method="GET",
        url="http://127.0.0.1:8000/items?page=1",
        headers=(("Accept", "application/json"),),
        body=None,
        name="/items",
    )
    assert dict(items.overrides) == {
        "users": 20,
        "requests_per_user": 50,
        "think_time": 0.1,
        "ramp_up": 5.0,
        "duration": "1m",
    }
    assert isinstance(items.overrides["ramp_up"], float)

    assert order.name == "create_order"
    assert order.endpoint is not None
    assert order.endpoint.method == "POST"
    assert order.endpoint.body is not None
    assert json.loads(order.endpoint.body) == {"item": 3, "qty": 1}
    assert order.endpoint.headers == (("Content-Type", "application/json"),)
    assert order.endpoint.endpoint_name == "/orders"
    assert dict(order.overrides) == {"users": 10, "duration": "30s"}  # the defaults

    assert raw.endpoint is not None
    assert raw.endpoint.body == b"hello"
    assert raw.endpoint.headers == ()


def test_load_scenario_dispatches_toml(tmp_path: Path) -> None:
    path = write(tmp_path, EXAMPLE)
    assert [s.name for s in load_scenario(path)] == ["list_items", "create_order", "raw"]


def test_order_is_file_order_and_default_headers_merge(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        [defaults]
        headers = { Accept = "*/*", X-Team = "perf" }
        think_time = 1

        [scenarios.zeta]
        url = "http://a.test/z"
        headers = { accept = "text/html" }

        [scenarios.alpha]
        url = "http://a.test/a"
        json = [1, 2]
        headers = { Content-Type = "application/vnd.api+json" }
        """,
    )
    zeta, alpha = load_toml(path)
    assert (zeta.name, alpha.name) == ("zeta", "alpha")
    assert zeta.endpoint is not None and alpha.endpoint is not None
    assert zeta.endpoint.headers == (("X-Team", "perf"), ("accept", "text/html"))
    assert alpha.endpoint.headers == (
        ("Accept", "*/*"),
        ("X-Team", "perf"),
        ("Content-Type", "application/vnd.api+json"),
    )
    assert alpha.endpoint.body == b"[1,2]"
    assert dict(zeta.overrides) == {"think_time": 1.0}


def test_sub_tables_and_numeric_duration(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        [scenarios."health check"]
        url = "http://a.test/health"
        duration = 90

        [scenarios."health check".headers]
        Accept = "text/plain"
        """,
    )
    (scenario,) = load_toml(path)
    assert scenario.name == "health check"
    assert scenario.endpoint is not None
    assert scenario.endpoint.headers == (("Accept", "text/plain"),)
    assert scenario.overrides["duration"] == "90s"


def test_overrides_are_read_only(tmp_path: Path) -> None:
    (scenario, *_) = load_toml(write(tmp_path, EXAMPLE))
    with pytest.raises(TypeError):
        scenario.overrides["users"] = 1  # type: ignore[index]


def test_unknown_key_names_line_table_and_suggestion(tmp_path: Path) -> None:
    path = write(tmp_path, EXAMPLE.replace("requests_per_user = 50", "usrs = 50"))
    error = load_error(path)
    assert error.line == line_of(path, "usrs = 50")
    assert str(error).startswith(
        f"{path}:{error.line}: unknown key 'usrs' in [scenarios.list_items] (expected one of: "
    )
    assert "did you mean 'users'?" in error.message


def test_unknown_key_in_second_table_with_same_key_in_first(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        [scenarios.a]
        url = "http://a.test/"
        timeout = 1

        [scenarios.b]
        url = "http://a.test/"
        extra = 2
        """,
    )
    error = load_error(path)
    assert "unknown key 'timeout' in [scenarios.a]" in error.message
    assert error.line == line_of(path, "timeout = 1")


def test_unknown_top_level_and_defaults_keys(tmp_path: Path) -> None:
    path = write(tmp_path, 'title = "x"\n[scenarios.a]\nurl = "http://a.test/"\n')
    error = load_error(path)
    assert error.line == 1
    assert "unknown key 'title'" in error.message

    path = write(tmp_path, '[defaults]\nurl = "http://a.test/"\n[scenarios.a]\nurl = "http://a/"\n')
    error = load_error(path)
    assert error.line == 2
    assert "unknown key 'url' in [defaults]" in error.message


@pytest.mark.parametrize(
    ("line", "match"),
    [
        ("users = 0", "users must be a whole number of 1 or more"),
        ("users = 2.5", "users must be a whole number"),
        ('users = "10"', "users must be a whole number"),
        ("requests_per_user = true", "requests_per_user must be a whole number"),
        ("think_time = -1", "think_time must be a number of seconds"),
        ('ramp_up = "5s"', "ramp_up must be a number of seconds"),
        ("duration = 0", "duration must be a duration string"),
        ("duration = [1]", "duration must be a duration string"),
        ("method = 3", "method must be a non-empty string"),
        ('method = "GE T"', "invalid HTTP method"),
        ('name = ""', "name must be a non-empty string"),
        ('url = "ftp://a.test/x"', "use an absolute http:// or https:// URL"),
        ('url = "http:///path"', "it has no host"),
        ("url = 5", "url must be a non-empty string"),
        ('headers = "Accept: */*"', "headers must be a table"),
        ("headers = { X-Count = 3 }", "header 'X-Count' must be a string"),
        ('headers = { "Bad Name" = "1" }', "invalid header name"),
        ("body = { a = 1 }", "body must be a string"),
        ("json = 1979-05-27", "TOML dates and times cannot be sent as JSON"),
    ],
)
def test_bad_values_name_the_line(tmp_path: Path, line: str, match: str) -> None:
    url = [] if line.startswith("url") else ['url = "http://a.test/"']
    text = "\n".join(
        [
            "[scenarios.first]",
            'url = "http://a.test/"',
            "users = 1",
            "",
            "[scenarios.bad]  # the one with the mistake",
            *url,
            line,
            "# trailing comment",
        ]
    )
    path = write(tmp_path, text + "\n")
    error = load_error(path)
    assert match in error.message, error.message
    assert error.line == line_of(path, line)


def test_bad_default_names_its_line(tmp_path: Path) -> None:
    path = write(
        tmp_path, '[defaults]\nusers = 1\nramp_up = -2\n[scenarios.a]\nurl = "http://a/"\n'
    )
    error = load_error(path)
    assert error.line == 3
    assert "ramp_up must be a number of seconds, 0 or more" in error.message


def test_missing_url_points_at_the_table(tmp_path: Path) -> None:
    path = write(tmp_path, '[scenarios.a]\nurl = "http://a.test/"\n\n[scenarios.b]\nusers = 3\n')
    error = load_error(path)
    assert error.line == 4
    assert "[scenarios.b] has no url" in error.message


def test_json_and_body_together(tmp_path: Path) -> None:
    path = write(
        tmp_path, '[scenarios.a]\nurl = "http://a.test/"\njson = { a = 1 }\nbody = "raw"\n'
    )
    error = load_error(path)
    assert error.line == 4
    assert "either json" in error.message and "not both" in error.message


def test_scenario_that_is_not_a_table(tmp_path: Path) -> None:
    path = write(tmp_path, '[scenarios]\nfirst = "http://a.test/"\n')
    error = load_error(path)
    assert error.line == 2
    assert "scenarios.first must be a table" in error.message


def test_inline_table_scenarios_point_at_their_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[scenarios]\nok = { url = "http://a.test/" }\nbad = { url = "http://a.test/", usr = 1 }\n',
    )
    error = load_error(path)
    assert error.line == 3
    assert "unknown key 'usr' in [scenarios.bad]" in error.message


def test_toml_syntax_error_uses_tomllib_line(tmp_path: Path) -> None:
    path = write(tmp_path, '[scenarios.a]\nurl = "http://a.test/"\nusers = = 3\n')
    error = load_error(path)
    assert error.line == 3
    assert error.message.startswith("invalid TOML: ")
    assert "(column" in error.message and "at line" not in error.message


def test_duplicate_table_is_a_syntax_error(tmp_path: Path) -> None:
    path = write(tmp_path, '[scenarios.a]\nurl = "http://a/"\n\n[scenarios.a]\nurl = "http://b/"\n')
    error = load_error(path)
    assert error.line == 4


@pytest.mark.parametrize(
    "text", ["", "# only a comment\n", "[defaults]\nusers = 3\n", "[scenarios]\n"]
)
def test_no_scenarios(tmp_path: Path, text: str) -> None:
    error = load_error(write(tmp_path, text))
    assert "no scenarios in this file" in error.message
    assert "[scenarios." in error.message


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "scenarios.toml"
    path.write_bytes(b'[scenarios.a]\nurl = "http://a/\xff"\n')
    error = load_error(path)
    assert error.line == 2
    assert "UTF-8" in error.message


def test_missing_file(tmp_path: Path) -> None:
    assert "not found" in load_error(tmp_path / "nope.toml").message


def test_positions_skip_multiline_strings_and_handle_dotted_keys() -> None:
    positions = TomlPositions(
        textwrap.dedent(
            '''\
            [scenarios.a]
            body = """
            users = 3
            """
            users = 4
            scenarios.b.url = "x"
            [ scenarios . "c d" ]
            url = 'y'
            '''
        )
    )
    assert positions.line_of("scenarios", "a", "users") == 5
    assert positions.line_of("scenarios", "a", "body") == 2
    assert positions.line_of("scenarios", "a", "scenarios", "b", "url") == 6
    assert positions.line_of("scenarios", "c d", "url") == 8
    assert positions.line_of("scenarios", "c d", "missing") == 7
    assert positions.line_of("nothing") is None
