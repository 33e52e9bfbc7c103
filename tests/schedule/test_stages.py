"""Stage parsing and the piecewise-linear timeline: pure data, exact numbers."""

from __future__ import annotations

import math

import pytest

from surge.schedule import PlanError, Segment, Stage, TargetKind, Timeline, parse_stages
from surge.schedule.stages import stage_segments, whole_users


def test_parse_user_stages() -> None:
    stages = parse_stages("30s:100, 1m:100,10s:500,30s:0")
    assert stages == (
        Stage(30.0, 100.0, TargetKind.USERS),
        Stage(60.0, 100.0, TargetKind.USERS),
        Stage(10.0, 500.0, TargetKind.USERS),
        Stage(30.0, 0.0, TargetKind.USERS),
    )


def test_parse_rate_stages_with_decimals_and_jumps() -> None:
    stages = parse_stages("0s:12.5/s,1m30s:50/s,500ms:0/s")
    assert [(s.duration_s, s.target) for s in stages] == [(0.0, 12.5), (90.0, 50.0), (0.5, 0.0)]
    assert {s.kind for s in stages} == {TargetKind.RATE}
    assert str(stages[1]) == "1m30s:50/s"


def test_parse_a_list_as_a_config_file_gives_it() -> None:
    assert parse_stages(["10s:5", "20s:5"]) == parse_stages("10s:5,20s:5")


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("30s:100,1m", "stage 2 '1m' is not DURATION:TARGET"),
        ("30s:100,,1m:5", "stage 2 '' is not DURATION:TARGET"),
        ("30s:100,", "stage 2"),
        ("10x:100", "stage 1 '10x:100': not a duration"),
        ("10s:abc", "stage 1 '10s:abc': target 'abc' is not a number"),
        ("10s:-5", "must be a finite number"),
        ("10s:2.5", "users are whole numbers"),
        ("10s:nan/s", "must be a finite number"),
        ("10s:100,20s:50/s", "stage 2 '20s:50/s' sets rate but stage 1 sets users"),
        ("0s:100,0s:5", "last no time at all"),
        ("", "no stages given"),
    ],
)
def test_bad_stages_name_the_option_and_the_stage(text: str, fragment: str) -> None:
    with pytest.raises(PlanError, match="--stages") as info:
        parse_stages(text)
    assert fragment in str(info.value)


def test_segments_ramp_from_the_previous_target_and_jump_on_zero_durations() -> None:
    segments = stage_segments(parse_stages("10s:100,0s:20,5s:20"))
    assert segments == (
        Segment(0.0, 10.0, 0.0, 100.0),
        Segment(10.0, 10.0, 100.0, 20.0),
        Segment(10.0, 15.0, 20.0, 20.0),
    )
    timeline = Timeline.of(segments)
    assert timeline.value_at(5.0) == 50.0
    assert timeline.value_at(10.0) == 20.0  # the jump happens at the boundary
    assert timeline.value_at(14.999) == 20.0
    assert timeline.value_at(15.0) is None
    assert timeline.peak == 100.0


def test_a_cut_ends_the_timeline_mid_stage_at_its_value_there() -> None:
    segments = stage_segments(parse_stages("10s:100,10s:0"), cut_s=15.0)
    assert segments == (Segment(0.0, 10.0, 0.0, 100.0), Segment(10.0, 15.0, 100.0, 50.0))


def test_count_is_the_integral_and_time_of_inverts_it() -> None:
    timeline = Timeline.of(stage_segments(parse_stages("10s:100/s,10s:100/s")))
    assert timeline.total == 1500.0
    assert timeline.count_at(10.0) == 500.0
    assert timeline.count_at(4.0) == pytest.approx(80.0)
    for count in (0.0, 1.0, 80.0, 499.0, 500.0, 1000.0, 1499.0):
        t = timeline.time_of(count)
        assert t is not None
        assert timeline.count_at(t) == pytest.approx(count, abs=1e-9)
    assert timeline.time_of(1500.0) is None


def test_falling_rates_invert_too() -> None:
    timeline = Timeline.of((Segment(0.0, 10.0, 100.0, 0.0),))
    assert timeline.total == 500.0
    for count in (0.0, 250.0, 499.0, 499.999):
        t = timeline.time_of(count)
        assert t is not None and 0 <= t <= 10.0
        assert timeline.count_at(t) == pytest.approx(count, abs=1e-6)


def test_time_of_skips_zero_rate_stretches() -> None:
    timeline = Timeline.of(stage_segments(parse_stages("5s:0/s,0s:10/s,5s:10/s,0s:0/s,5s:0/s")))
    assert timeline.time_of(0.0) == 5.0  # not at 0: nothing is due while the rate is 0
    assert timeline.time_of(49.0) == pytest.approx(9.9)
    assert timeline.time_of(50.0) is None  # the zero tail holds no arrival


def test_whole_users_round_down_with_float_slack() -> None:
    assert whole_users(2.9999) == 2
    assert whole_users(100 * 3 / 10) == 30
    assert whole_users(0.1 * 3 * 10) == 3  # 3.0000000000000004
    assert whole_users(math.nextafter(3.0, 0.0)) == 3  # float noise below a whole user
    assert whole_users(0.0) == 0
