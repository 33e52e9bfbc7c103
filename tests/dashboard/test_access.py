"""Who may use the dashboard: loopback by default, a token off loopback (or no start at all),
the Host header on loopback (DNS rebinding), the CSRF token and origin of control requests."""

from __future__ import annotations

import pytest

from surge.dashboard import TOKEN_AUTO, UiError, UiSettings, is_loopback
from surge.dashboard.access import Access, Denied

TOKEN = "s3cr3t-dashboard-token-1234"


@pytest.mark.parametrize("host", ["127.0.0.1", "127.8.9.10", "::1", "[::1]", "localhost"])
def test_loopback_addresses(host: str) -> None:
    assert is_loopback(host)
    assert UiSettings(host=host).checked().token is None


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "10.0.0.1", "example.org"])
def test_a_non_loopback_bind_without_a_token_is_refused(host: str) -> None:
    assert not is_loopback(host)
    with pytest.raises(UiError, match="needs a token") as caught:
        UiSettings(host=host).checked()
    assert "--ui-token" in str(caught.value)
    assert UiSettings(host=host, token=TOKEN).checked().token == TOKEN


def test_a_token_can_be_generated_and_must_not_be_short() -> None:
    made = UiSettings(host="0.0.0.0", token=TOKEN_AUTO).checked()
    assert made.generated and made.token is not None and len(made.token) >= 24
    assert made.token != UiSettings(token=TOKEN_AUTO).checked().token
    with pytest.raises(UiError, match="at least 16"):
        UiSettings(token="short").checked()
    with pytest.raises(UiError, match="not a port"):
        UiSettings(port=70000).checked()


def _access(token: str | None = None, loopback: bool = True) -> Access:
    return Access(token=token, csrf="csrf-value", loopback=loopback, cookie="surge_ui_8089")


def _headers(**extra: str) -> dict[str, str]:
    return {"host": "127.0.0.1:8089", **{k.replace("_", "-"): v for k, v in extra.items()}}


def test_loopback_answers_only_to_its_own_names() -> None:
    access = _access()
    assert access.check(_headers(), {}, control=False) is None
    for host in ("localhost:8089", "[::1]:8089", "127.0.0.1"):
        assert access.check({"host": host}, {}, control=False) is None
    for host in ("evil.example:8089", "", "127.0.0.1.evil.example"):
        assert access.check({"host": host}, {}, control=False) is Denied.HOST
    assert (
        _access(TOKEN, loopback=False).check(
            {"host": "dash.example:8089", "authorization": f"Bearer {TOKEN}"}, {}, control=False
        )
        is None
    )  # off loopback the token guards it, whatever the name


def test_the_token_comes_as_the_cookie_or_a_bearer_header() -> None:
    access = _access(TOKEN)
    assert access.check(_headers(), {}, control=False) is Denied.TOKEN
    assert access.check(_headers(), {"surge_ui_8089": "wrong"}, control=False) is Denied.TOKEN
    assert access.check(_headers(), {"surge_ui_8089": TOKEN}, control=False) is None
    assert access.check(_headers(authorization=f"Bearer {TOKEN}"), {}, control=False) is None
    assert Denied.TOKEN.status == 401


def test_a_control_request_needs_the_page_csrf_token_and_its_own_origin() -> None:
    access = _access()
    good = _headers(x_surge_csrf="csrf-value", origin="http://127.0.0.1:8089")
    assert access.check(good, {}, control=True) is None
    assert access.check(_headers(x_surge_csrf="csrf-value"), {}, control=True) is None
    assert access.check(_headers(), {}, control=True) is Denied.CSRF
    assert access.check({**good, "x-surge-csrf": "other"}, {}, control=True) is Denied.CSRF
    foreign = {**good, "origin": "http://evil.example"}
    assert access.check(foreign, {}, control=True) is Denied.CSRF
    cross_site = {**good, "sec-fetch-site": "cross-site"}
    assert access.check(cross_site, {}, control=True) is Denied.CSRF
    assert Denied.CSRF.status == 403
    token_first = _access(TOKEN).check(_headers(), {}, control=True)
    assert token_first is Denied.TOKEN  # no token: 401 before anything else is looked at
