"""`--dry-run` lines: the plan as text, sending nothing."""

from __future__ import annotations

from surge.schedule import ArrivalProcess, LoadProfile, compile_plan, dry_run_lines

DASH = "\u2013"


def test_dry_run_of_user_stages() -> None:
    plan = compile_plan(LoadProfile(stages="0s:100,30s:100,10s:150,5s:0"))
    lines = dry_run_lines(plan, workers=2, seconds=42)
    assert lines[:3] == [
        "model: closed (virtual users)",
        "load: 4 user stages up to 150 users, for 45s",
        "stops: after 45s (the stages)",
    ]
    assert lines[3:8] == [
        "stages:",
        f"   1. 0s{DASH}0s           0 → 100 users",
        f"   2. 0s{DASH}30s          100 → 100 users",
        f"   3. 30s{DASH}40s         100 → 150 users",
        f"   4. 40s{DASH}45s         150 → 0 users",
    ]
    per_second = lines[lines.index("per second (first 42s, users):") + 1 :]
    assert per_second[:4] == [
        f"  0s{DASH}30s: 100 users",  # 30s is the start of the ramp: still 100
        "  31s: 105 users",
        "  32s: 110 users",
        "  33s: 115 users",
    ]
    assert per_second[10:12] == ["  40s: 150 users", "  41s: 120 users"]
    assert lines[-3:] == ["workers: 2", "  worker 0: up to 75 users", "  worker 1: up to 75 users"]
    assert not any(line.startswith(("arrivals:", "max in flight:")) for line in lines)


def test_dry_run_of_a_constant_rate() -> None:
    plan = compile_plan(LoadProfile(rate=250.0, duration_s=30.0))
    assert dry_run_lines(plan, workers=2) == [
        "model: open (arrival rate, uniform arrivals)",
        "load: open model: 250/s, uniform arrivals for 30s (7500 arrivals), up to 500 in flight",
        "stops: after 30s",
        "per second (first 30s, arrivals per second):",
        f"  0s{DASH}29s: 250/s",
        "arrivals: 7500",
        "max in flight: 500",
        "workers: 2",
        "  worker 0: 125/s mean, 3750 arrivals (arrivals 0, 2, … of the schedule),"
        " max 250 in flight",
        "  worker 1: 125/s mean, 3750 arrivals (arrivals 1, 3, … of the schedule),"
        " max 250 in flight",
    ]


def test_dry_run_of_a_rate_ramp_counts_arrivals_per_second() -> None:
    plan = compile_plan(LoadProfile(stages="4s:20/s,2s:20/s", duration_s=5.0))
    lines = dry_run_lines(plan)
    assert "stops: after 5s (--duration cuts the stages)" in lines
    start = lines.index("per second (first 5s, arrivals per second):")
    assert lines[start + 1 : start + 6] == [
        "  0s: 3/s",
        "  1s: 7/s",
        "  2s: 13/s",
        "  3s: 17/s",
        "  4s: 20/s",
    ]
    assert "arrivals: 60" in lines  # 40 up the ramp, 20 in the one second left


def test_dry_run_of_poisson_shows_expectations_and_the_seed() -> None:
    plan = compile_plan(
        LoadProfile(rate=10.0, duration_s=3.0, arrivals=ArrivalProcess.POISSON, seed=9)
    )
    lines = dry_run_lines(plan)
    assert f"  0s{DASH}2s: ≈10/s" in lines
    assert "arrivals: ≈30 (Poisson, seed 9)" in lines


def test_dry_run_of_a_fixed_closed_plan() -> None:
    plan = compile_plan(LoadProfile(users=3, ramp_up_s=3.0, requests_per_user=5))
    lines = dry_run_lines(plan, seconds=5)
    assert lines[:3] == [
        "model: closed (virtual users)",
        "load: 3 users, ramp-up 3s, until 5 requests per user",
        "stops: when every user has made 5 requests",
    ]
    assert lines[3:8] == [
        "per second (first 5s, users):",
        "  0s: 1 users",
        "  1s: 2 users",
        f"  2s{DASH}4s: 3 users",
        "workers: 1",
    ]
