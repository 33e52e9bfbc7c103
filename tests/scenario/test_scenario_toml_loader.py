"""Loading TOML files of predefined endpoint scenarios."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from surge.scenario.errors import ScenarioError
from surge.scenario.loader import load_scenario
from surge.scenario.model import ScenarioKind, ThresholdEntry
from surge.scenario.spec import EndpointSpec
from surge.scenario.toml_loader import load_toml
from surge.scenario.toml_positions import TomlPositions
from surge.thresholds import Metric, specs_from_entries

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


# --- thresholds and the open-model / expectation options ------------------------------------

THRESHOLDS = """\
[defaults]
users = 2
thresholds = ["error_rate<0.5%"]

[scenarios.health]
url = "http://127.0.0.1:8000/api/health"
thresholds = [
    "p95<100ms",   # health checks are cheap
    { expr = "GET /api/health: p99<250ms", abort_on_fail = true, grace = "5s" },
    { expr = "max<1s", grace = 2.5 },
]

[scenarios.login]
url = "http://127.0.0.1:8000/api/login"
method = "POST"
thresholds = ["p95<500ms", { expr = "failures<1", abort_on_fail = true }]

[scenarios.plain]
url = "http://127.0.0.1:8000/api/products"
"""


def test_thresholds_keep_their_own_lines_and_defaults_apply_to_every_scenario(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, THRESHOLDS)
    health, login, plain = load_toml(path)
    default = ThresholdEntry("error_rate<0.5%", f"{path}:{line_of(path, 'error_rate<0.5%')}")
    assert health.thresholds == (
        default,
        ThresholdEntry("p95<100ms", f"{path}:{line_of(path, 'p95<100ms')}"),
        ThresholdEntry(
            "GET /api/health: p99<250ms",
            f"{path}:{line_of(path, 'p99<250ms')}",
            abort_on_fail=True,
            grace_s=5.0,
        ),
        ThresholdEntry("max<1s", f"{path}:{line_of(path, 'max<1s')}", grace_s=2.5),
    )
    login_line = line_of(path, '"p95<500ms"')
    assert login.thresholds == (
        default,
        ThresholdEntry("p95<500ms", f"{path}:{login_line}"),
        ThresholdEntry("failures<1", f"{path}:{login_line}", abort_on_fail=True),
    )
    assert plain.thresholds == (default,)
    assert dict(health.overrides) == {"users": 2}


def test_thresholds_as_an_array_of_tables(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        [scenarios.a]
        url = "http://a.test/"

        [[scenarios.a.thresholds]]
        expr = "p95<1s"

        [[scenarios.a.thresholds]]
        expr = "rps>10"
        abort_on_fail = true
        grace = "1m30s"
        """,
    )
    (scenario,) = load_toml(path)
    assert scenario.thresholds == (
        ThresholdEntry("p95<1s", f"{path}:{line_of(path, '[[scenarios.a.thresholds]]')}"),
        ThresholdEntry("rps>10", f"{path}:8", abort_on_fail=True, grace_s=90.0),
    )


@pytest.mark.parametrize(
    ("value", "match", "item_line"),
    [
        ('"p95<1s"', "thresholds must be an array", False),
        ('["p95<1s", 3]', "thresholds item 2 must be an expression like", True),
        ('["p95<1s",\n  "  "]', "thresholds item 2 must be an expression like", True),
        ('[{ expr = "p95<1s", abort = true }]', "has unknown key 'abort' (did you mean", True),
        ("[{ abort_on_fail = true }]", "thresholds item 1 must be an expression like", True),
        ('[{ expr = "p95<1s", abort_on_fail = "yes" }]', "abort_on_fail that is not true", True),
        ('[{ expr = "p95<1s", grace = "soon" }]', 'grace that must be a duration like "10s"', True),
        ('[{ expr = "p95<1s", grace = -1 }]', "has a grace that must be a duration", True),
    ],
)
def test_bad_thresholds_name_the_line(
    tmp_path: Path, value: str, match: str, item_line: bool
) -> None:
    text = f'[scenarios.a]\nurl = "http://a.test/"\nthresholds = {value}\n'
    path = write(tmp_path, text)
    error = load_error(path)
    assert match in error.message, error.message
    expected = len(text.splitlines()) if item_line else 3
    assert error.line == expected


def test_thresholds_in_defaults_are_checked_too(tmp_path: Path) -> None:
    path = write(tmp_path, '[defaults]\nthresholds = [1]\n[scenarios.a]\nurl = "http://a/"\n')
    error = load_error(path)
    assert error.line == 2
    assert "thresholds item 1 must be an expression" in error.message


def test_open_model_and_expectation_options(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        [scenarios.a]
        url = "http://a.test/"
        rate = 50
        arrivals = "Poisson"
        max_in_flight = 200
        stages = " 30s:50/s,1m:200/s "
        expect_status = 200
        expect_body = "ok"
        expect_json = "status=\\"ok\\""

        [scenarios.b]
        url = "http://a.test/"
        rate = 12.5
        arrivals = "uniform"
        stages = [
            { duration = "30s", users = 100 },
            { duration = 60, users = 100 },
            { duration = 0, users = 0 },
        ]
        expect_status = [200, 404]
        expect_json = ["items.0.id=3", "ok=true"]

        [scenarios.c]
        url = "http://a.test/"
        stages = [{ duration = "10s", rate = 50 }, { duration = "1m", rate = 2.5 }]
        expect_json = { status = "ok", "items.0.id" = 3, data.count = 2, tags = ["a"], none = {} }
        """,
    )
    a, b, c = load_toml(path)
    assert dict(a.overrides) == {
        "rate": 50.0,
        "arrivals": "poisson",
        "max_in_flight": 200,
        "stages": "30s:50/s,1m:200/s",
        "expect_status": (200,),
        "expect_body": "ok",
        "expect_json": ('status="ok"',),
    }
    assert dict(b.overrides) == {
        "rate": 12.5,
        "arrivals": "uniform",
        "stages": "30s:100,60s:100,0s:0",
        "expect_status": (200, 404),
        "expect_json": ("items.0.id=3", "ok=true"),
    }
    assert dict(c.overrides) == {
        "stages": "10s:50/s,1m:2.5/s",
        "expect_json": (
            'status="ok"',
            "items.0.id=3",
            "data.count=2",
            'tags=["a"]',
            "none={}",
        ),
    }


def test_new_options_are_allowed_in_defaults(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[defaults]\nrate = 5\nexpect_status = [201]\n[scenarios.a]\nurl = "http://a/"\nrate = 7\n',
    )
    (scenario,) = load_toml(path)
    assert dict(scenario.overrides) == {"rate": 7.0, "expect_status": (201,)}


@pytest.mark.parametrize(
    ("line", "match"),
    [
        ("rate = 0", "rate must be a number more than 0"),
        ('rate = "50/s"', "rate must be a number more than 0"),
        ("rate = true", "rate must be a number more than 0"),
        ('arrivals = "random"', 'arrivals must be "uniform" (evenly spaced) or "poisson"'),
        ("max_in_flight = 0", "max_in_flight must be a whole number of 1 or more"),
        ('stages = ""', 'stages must be a string like "30s:100,1m:100"'),
        ("stages = []", 'stages must be a string like "30s:100,1m:100"'),
        ("stages = 5", "stages must be a string like"),
        ("expect_status = 99", "expect_status must be an HTTP status code from 100 to 599"),
        ('expect_status = "200"', "expect_status must be an HTTP status code"),
        ("expect_status = []", "expect_status must list at least one status code"),
        ('expect_body = ""', "expect_body must be a non-empty string"),
        ("expect_body = 3", "expect_body must be a non-empty string"),
        ('expect_json = "status"', 'expect_json must be a "PATH=VALUE" string'),
        ('expect_json = "=3"', 'expect_json must be a "PATH=VALUE" string'),
        ("expect_json = {}", 'expect_json must be a "PATH=VALUE" string, an array of them'),
        ("expect_json = { when = 1979-05-27 }", "value for when that is not plain JSON"),
    ],
)
def test_bad_new_options_name_the_line(tmp_path: Path, line: str, match: str) -> None:
    path = write(tmp_path, f'[scenarios.a]\nurl = "http://a.test/"\n{line}\n# end\n')
    error = load_error(path)
    assert match in error.message, error.message
    assert error.line == 3


@pytest.mark.parametrize(
    ("value", "match"),
    [
        ('{ duration = "30s" }', "must be a table with a duration and either users or rate"),
        ('{ duration = "30s", users = 1, rate = 2 }', "either users or rate"),
        ("{ users = 5 }", "either users or rate"),
        ('{ duration = "30s", user = 5 }', "either users or rate"),
        ('"30s:100"', "must be a table with a duration"),
        ('{ duration = "", users = 5 }', "has a bad duration"),
        ("{ duration = -1, users = 5 }", "has a bad duration"),
        ('{ duration = "1s", users = 2.5 }', "has a bad users target: use a whole number"),
        ('{ duration = "1s", users = -1 }', "has a bad users target"),
        ('{ duration = "1s", rate = "fast" }', "has a bad rate target: use a number"),
        ('{ duration = "1s", rate = 5 }', "sets rate but the first stage sets users"),
    ],
)
def test_bad_stage_tables_name_the_stage_line(tmp_path: Path, value: str, match: str) -> None:
    path = write(
        tmp_path,
        '[scenarios.a]\nurl = "http://a.test/"\nstages = [\n'
        '  { duration = "10s", users = 10 },\n'
        f"  {value},\n"
        "]\n",
    )
    error = load_error(path)
    assert match in error.message, error.message
    assert error.message.startswith("stages item 2 ")
    assert error.line == 5


def test_bad_items_of_other_arrays_name_their_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[scenarios.a]\nurl = "http://a.test/"\nexpect_status = [\n  200,\n  "404",\n]\n',
    )
    error = load_error(path)
    assert error.line == 5
    assert error.message.startswith("expect_status item 2 must be an HTTP status code")

    path = write(tmp_path, '[scenarios.a]\nurl = "http://a/"\nexpect_json = ["a=1",\n "b"]\n')
    error = load_error(path)
    assert error.line == 4
    assert error.message.startswith('expect_json item 2 must be a "PATH=VALUE" string')


def test_thresholds_is_a_known_key_for_suggestions(tmp_path: Path) -> None:
    path = write(tmp_path, '[scenarios.a]\nurl = "http://a/"\nthreshold = ["p95<1s"]\n')
    error = load_error(path)
    assert "did you mean 'thresholds'?" in error.message


def test_positions_of_array_items() -> None:
    positions = TomlPositions(
        textwrap.dedent(
            '''\
            [scenarios.a]
            thresholds = [
              "p95<200ms",  # a comment, with [brackets] and "quotes"
              { expr = "x", nested = [1,
                2] },
              """multi
            [not.a.header]
            """, 'lit',
            ]
            users = 3
            one_line = [{ a = 1 }, { b = 2 }]
            empty = []
            scalar = 5
            [[scenarios.a.list]]
            x = 1
            [[scenarios.a.list]]
            x = 2
            '''
        )
    )
    assert positions.item_lines("scenarios", "a", "thresholds") == (3, 4, 6, 8)
    assert positions.line_of("scenarios", "a", "users") == 10
    assert positions.line_of("not", "a", "header") is None
    assert positions.item_lines("scenarios", "a", "one_line") == (11, 11)
    assert positions.item_lines("scenarios", "a", "empty") == ()
    assert positions.item_lines("scenarios", "a", "scalar") == ()
    assert positions.item_lines("scenarios", "a", "list") == (14, 16)
    assert positions.item_lines("scenarios", "a", "missing") == ()


EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_the_sla_example_loads_and_all_its_thresholds_parse() -> None:
    path = EXAMPLES / "sla.toml"
    scenarios = load_toml(path)
    assert {s.name for s in scenarios} >= {"health", "login", "products", "search", "report"}
    for scenario in scenarios:
        assert scenario.endpoint is not None
        assert scenario.endpoint.url.startswith("http://127.0.0.1:8000/api/")
        specs = specs_from_entries(scenario.thresholds)
        metrics = {spec.metric for spec in specs}
        assert {Metric.P95, Metric.ERROR_RATE} <= metrics, scenario.name
        assert all(spec.where and spec.where.startswith(f"{path}:") for spec in specs)
    by_name = {s.name: s for s in scenarios}
    p95_ms = {
        name: next(
            spec.limit
            for spec in specs_from_entries(by_name[name].thresholds)
            if spec.metric is Metric.P95
        )
        for name in ("health", "login", "products", "report")
    }
    assert p95_ms == {"health": 100.0, "login": 500.0, "products": 1000.0, "report": 3000.0}
