"""Plans are data: asserted without sockets or clocks."""

from __future__ import annotations

import pytest

from surge.schedule import (
    DEFAULT_DURATION_S,
    LoadProfile,
    PlanError,
    assign_classes,
    compile_plan,
    format_duration,
    parse_duration,
)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30s", 30.0), ("2m", 120.0), ("1h30m", 5400.0), ("500ms", 0.5), ("1.5", 1.5), (3, 3.0)],
)
def test_parse_duration(text: str | int, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "abc", "10x", "-5", "5s3"])
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


def test_format_duration() -> None:
    assert format_duration(90) == "1m30s"
    assert format_duration(0.25) == "250ms"


def test_ramp_offsets_and_class_mix() -> None:
    plan = compile_plan(LoadProfile(users=8, ramp_up_s=4.0, duration_s=10.0), (3, 1))
    assert plan.start_offsets_s == (0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5)
    assert plan.user_classes.count(0) == 6
    assert plan.user_classes.count(1) == 2


def test_class_mix_prefixes_track_weights() -> None:
    classes = assign_classes(100, (3, 1))
    for n in range(4, 101, 4):
        assert classes[:n].count(0) == 3 * n // 4


def test_default_duration_unless_requests_per_user() -> None:
    assert compile_plan(LoadProfile()).duration_s == DEFAULT_DURATION_S
    plan = compile_plan(LoadProfile(requests_per_user=5))
    assert plan.duration_s is None
    assert "until 5 requests per user" in plan.describe()


@pytest.mark.parametrize(
    ("profile", "flag"),
    [
        (LoadProfile(users=0), "--users"),
        (LoadProfile(ramp_up_s=-1), "--ramp-up"),
        (LoadProfile(think_time_s=-1), "--think-time"),
        (LoadProfile(requests_per_user=0), "--requests-per-user"),
        (LoadProfile(duration_s=0), "--duration"),
    ],
)
def test_bad_profiles_name_the_option(profile: LoadProfile, flag: str) -> None:
    with pytest.raises(PlanError, match=flag):
        compile_plan(profile)
