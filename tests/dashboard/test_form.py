"""The form of `surge ui`: its fields are rows of the option table, the command line fills
them in, and what it sends becomes a RunConfig by the same rules as flags."""

from __future__ import annotations

import pytest

from surge.config import BY_NAME, ConfigError
from surge.dashboard.form import FORM_OPTIONS, FormBase


def _field(form: FormBase, name: str) -> dict[str, object]:
    (found,) = [f for f in form.fields() if f["name"] == name]
    return found


def test_every_field_is_a_row_of_the_option_table() -> None:
    form = FormBase(classes=(("Browser", 3), ("Buyer", 1)))
    fields = form.fields()
    assert [f["name"] for f in fields] == list(FORM_OPTIONS)
    for field in fields:
        spec = BY_NAME[str(field["name"])]
        assert field["flag"] == spec.long_flag
        assert field["help"] == spec.help
        assert field["kind"] == spec.kind.value
        assert field["multiple"] == spec.multiple
    assert _field(form, "users")["placeholder"] == "10"  # the default, not a value
    assert _field(form, "users")["value"] == ""
    assert "user_class" not in [f["name"] for f in FormBase().fields()]  # URL mode: no classes


def test_the_command_line_fills_the_form_and_pyproject_shows_as_placeholders() -> None:
    form = FormBase(
        explicit={"users": 7, "duration": 90.0, "threshold": ("p95<200ms", "error_rate<1%")},
        project={"ramp_up": "5s"},
    )
    assert _field(form, "users")["value"] == "7"
    assert _field(form, "duration")["value"] == "90s"
    assert _field(form, "threshold")["value"] == "p95<200ms\nerror_rate<1%"
    assert _field(form, "ramp_up")["value"] == "" and _field(form, "ramp_up")["placeholder"] == "5s"


def test_what_the_form_sends_becomes_a_run_config() -> None:
    form = FormBase(explicit={"users": 7, "no_store": True}, project={"think_time": "1s"})
    target, config = form.config(
        {
            "target": "http://127.0.0.1:9/x",
            "users": "3",
            "duration": "2m",
            "rate": "",
            "threshold": "p95<300ms\n\nGET /x: rps>5\n",
        }
    )
    assert target == "http://127.0.0.1:9/x"
    assert (config.users, config.duration, config.rate) == (3, 120.0, None)
    assert config.threshold == ("p95<300ms", "GET /x: rps>5")
    assert config.no_store  # a command-line option the form does not show stays
    assert config.think_time == 1.0  # pyproject below the form
    assert config.given("users") and not config.given("rate")


def test_a_field_left_empty_drops_the_command_line_value() -> None:
    form = FormBase(explicit={"rate": 50.0}, target="http://127.0.0.1:9/x")
    _, config = form.config({"rate": "", "users": "2"})
    assert config.rate is None and config.users == 2


def test_a_host_shown_masked_stays_the_real_one() -> None:
    host = "http://alice:pa55word@127.0.0.1:9"
    form = FormBase(explicit={"host": host}, target="http://127.0.0.1:9/x")
    shown = _field(form, "host")["value"]
    assert "pa55word" not in str(shown)
    _, config = form.config({"host": shown})
    assert config.host == host


def test_bad_values_name_the_field() -> None:
    form = FormBase(target="http://127.0.0.1:9/x")
    with pytest.raises(ConfigError, match="--users: 0 is not in the range x>=1"):
        form.config({"users": "0"})
    with pytest.raises(ConfigError, match="--duration"):
        form.config({"duration": "soon"})
    with pytest.raises(ConfigError, match="not an http"):
        FormBase().config({"target": "/etc/passwd.py"})


def test_user_classes_and_weights() -> None:
    form = FormBase(classes=(("Browser", 3), ("Buyer", 1)), target="shop.py")
    _, config = form.config({"user_class": ["Buyer:2"]})
    assert config.user_class == ("Buyer:2",)
    assert form.payload()["classes"] == [
        {"name": "Browser", "weight": 3},
        {"name": "Buyer", "weight": 1},
    ]
