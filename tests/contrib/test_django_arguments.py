"""`manage.py surge` arguments: a path target joined to the base URL, the rest passed through."""

from __future__ import annotations

import pytest

from surge.cli.main import cli
from surge.contrib.django.arguments import ArgumentsError, resolve_arguments

SITE = "http://127.0.0.1:8000"


def test_a_path_target_joins_the_settings_host() -> None:
    args = ["run", "/api/health/", "-u", "10", "-n", "100"]
    assert resolve_arguments(cli, args, SITE) == [
        "run", f"{SITE}/api/health/", "-u", "10", "-n", "100"
    ]  # fmt: skip


def test_options_before_the_target_and_their_values_are_skipped() -> None:
    args = ["run", "-u", "10", "--name", "/not/the/target", "--threshold=p95<1s", "-q", "/a"]
    out = resolve_arguments(cli, args, SITE + "/")
    assert out == [*args[:-1], f"{SITE}/a"]


def test_host_flag_wins_over_the_settings() -> None:
    out = resolve_arguments(cli, ["run", "/x", "--host", "https://staging.example:8443"], SITE)
    assert out[1] == "https://staging.example:8443/x"
    out = resolve_arguments(cli, ["run", "--host=http://127.0.0.1:5000", "/x"], None)
    assert out[2] == "http://127.0.0.1:5000/x"


def test_a_scenario_file_gets_the_site_as_its_host() -> None:
    assert resolve_arguments(cli, ["run", "shop.py", "-n", "5"], SITE) == [
        "run", "shop.py", "-n", "5", "--host", SITE
    ]  # fmt: skip
    given = ["run", "shop.py", "--host", "http://other:1"]
    assert resolve_arguments(cli, given, SITE) == given


def test_urls_and_other_commands_pass_through() -> None:
    for args in (
        ["run", "http://127.0.0.1:9000/ok", "-n", "1"],
        ["history", "/looks/like/a/path"],
        ["compare", "checkout", "--tolerance", "p95=10%"],
        ["--help"],
        [],
    ):
        assert resolve_arguments(cli, args, SITE) == args


def test_a_path_with_no_base_url_is_a_clear_error() -> None:
    with pytest.raises(ArgumentsError, match=r"/api/health/ is a path .*SURGE = .*--host"):
        resolve_arguments(cli, ["run", "/api/health/"], None)
    with pytest.raises(ArgumentsError, match=r"settings.SURGE\['host'\]: 'localhost:8000' is not"):
        resolve_arguments(cli, ["run", "/api/health/"], "localhost:8000")
