"""The run config: one option table behind every source, read with one set of rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from surge.config import (
    RUN_OPTIONS,
    ConfigError,
    Group,
    RunConfig,
    env_values,
    load_project,
)
from surge.units import parse_duration, parse_size


def test_the_table_is_the_config() -> None:
    config = RunConfig()
    assert [spec.name for spec in RUN_OPTIONS] == list(config.as_options())
    for spec in RUN_OPTIONS:
        assert getattr(config, spec.name) == spec.default, spec.name
        assert spec.long_flag == "--" + spec.name.replace("_", "-"), spec.name
        assert spec.env == "SURGE_" + spec.name.upper()
    assert {spec.group for spec in RUN_OPTIONS} == set(Group)


def test_values_are_read_whatever_their_source() -> None:
    config = RunConfig(
        users="3",
        duration="1m30s",
        ramp_up=2,
        header={"Accept": "application/json"},
        expect_status=[200, "204"],
        workers="AUTO",
        json={"item": 3},
        quiet="yes",
    )
    assert config.users == 3 and config.duration == 90.0 and config.ramp_up == 2.0
    assert config.header == ("Accept: application/json",)
    assert config.expect_status == (200, 204) and config.workers == "auto"
    assert config.json == '{"item":3}' and config.quiet is True


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"users": 0}, "invalid value for 'users': 0 is not in the range x>=1."),
        ({"rate": 0}, "invalid value for 'rate': 0 is not in the range x>0."),
        ({"expect_status": [700]}, "700 is not in the range 100<=x<=599."),
        ({"duration": "soon"}, "not a duration: 'soon'"),
        ({"arrivals": "burst"}, "'burst' is not one of 'uniform', 'poisson'."),
        ({"header": ["nope"]}, "'nope' is not a header; use 'Name: value'"),
        ({"workers": 0}, "0 is not a worker count"),
        ({"users": True}, "True is not a valid integer."),
        ({"users": None}, "needs a value"),
    ],
)
def test_bad_values_say_what_and_where(values: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        RunConfig(**values)  # type: ignore[arg-type]
    assert message in str(caught.value)


def test_precedence_explicit_over_scenario_file_over_project() -> None:
    config = RunConfig.layered({"users": 4}, {"users": 9, "duration": 20.0, "out": "r.json"})
    assert (config.users, config.duration, config.out) == (4, 20.0, "r.json")
    assert config.given("users") and not config.given("duration")
    toml = config.overridden({"users": 7, "duration": "5s"}, "s.toml [health]")
    assert (toml.users, toml.duration) == (4, 5.0)  # the flag stands, the file beats pyproject
    with pytest.raises(ConfigError, match=r"s.toml \[health\]: unknown option 'userz'"):
        config.overridden({"userz": 1}, "s.toml [health]")


def test_environment_variables_read_like_the_cli() -> None:
    values = env_values(
        {"SURGE_USERS": "2", "SURGE_HEADER": "X-A: 1\nX-B: 2", "SURGE_DURATION": "2m", "HOME": "/"}
    )
    assert values == {"users": 2, "header": ("X-A: 1", "X-B: 2"), "duration": 120.0}
    with pytest.raises(ConfigError, match="SURGE_USERS: 'x' is not a valid integer"):
        env_values({"SURGE_USERS": "x"})


def test_project_keys_name_their_table_with_did_you_mean(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.surge]\nduraton = "1m"\n')
    with pytest.raises(ConfigError) as caught:
        load_project(tmp_path)
    message = str(caught.value)
    assert "pyproject.toml: unknown key 'duraton' in [tool.surge]" in message
    assert "did you mean 'duration'?" in message and "ramp-up" in message
    (tmp_path / "pyproject.toml").write_text('[tool.surge]\nramp-up = "5s"\nusers = 0\n')
    with pytest.raises(ConfigError, match=r"\[tool.surge\] users: 0 is not in the range x>=1"):
        load_project(tmp_path)
    (tmp_path / "pyproject.toml").write_text('[tool.surge]\nramp-up = "5s"\nheader = "A: 1"\n')
    assert load_project(tmp_path)[1] == {"ramp_up": 5.0, "header": ("A: 1",)}


def test_one_duration_parser_and_one_size_parser() -> None:
    assert parse_duration("1h30m") == 5400.0 and parse_duration("250us") == 0.00025
    assert parse_duration(2) == 2.0
    assert parse_size("512MB") == 512e6 and parse_size("1.5GiB") == 1.5 * 1024**3
    assert parse_size("100") == 100.0 and parse_size(7) == 7.0
    for bad in ("12 parsecs", "-1", "MB"):
        with pytest.raises(ValueError, match=r"not a size|negative"):
            parse_size(bad)
