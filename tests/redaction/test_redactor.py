"""The run's redactor: known secret values, named headers/query parameters and pattern rules,
applied to every string of a RunResult."""

from __future__ import annotations

import dataclasses

from surge.metrics import (
    CheckCount,
    HostSample,
    MonitoredProcess,
    ProcessSample,
    Resources,
    ResourceSample,
    ThresholdVerdict,
)
from surge.redaction import NO_REDACTION, Redactor, redact_text, redact_url
from surge.runner.redact import redact_options, redactor_for
from thresholds.threshold_values import run_result, stats

TOKEN = "tok-7f3a9b2c"


def test_known_values_are_masked_wherever_they_appear() -> None:
    redactor = Redactor.build([TOKEN, "p@ss word"])
    assert redactor.text(f"read {TOKEN} from x") == "read *** from x"
    assert redactor.text("url: http://h/?q=p%40ss%20word") == "url: http://h/?q=***"
    assert redactor.text("p%40ss+word") == "***"  # form encoding
    assert redactor.text("nothing here") == "nothing here"


def test_short_values_are_not_searched_for_in_free_text() -> None:
    redactor = Redactor.build(["ab1", ""])
    assert redactor.secrets == ()
    assert redactor.text("/api/ab1/items") == "/api/ab1/items"


def test_named_query_parameters_and_headers() -> None:
    redactor = Redactor.build(names=["tenant", "X-Org"])
    assert redactor.text("/a?tenant=acme&page=2") == "/a?tenant=***&page=2"
    assert redactor.text("/a?page=2&TENANT=acme#top") == "/a?page=2&TENANT=***#top"
    assert redactor.text("x-org: acme") == "x-org: ***"
    assert redactor.text("GET /a?tenant=acme: p95<1s") == "GET /a?tenant=***: p95<1s"


def test_pattern_rules_are_the_second_line() -> None:
    assert NO_REDACTION.text("http://u:p@h/x") == "http://***@h/x"
    assert NO_REDACTION.text("Authorization: Bearer abc") == "Authorization: ***"
    assert NO_REDACTION.text("sent Bearer abcdefgh12345") == "sent Bearer ***"
    assert NO_REDACTION.text("/x?api_key=k1&a=1") == "/x?api_key=***&a=1"


def test_the_selector_colon_survives_a_secret_query_value() -> None:
    # the known bug: the value swallowed the ':' that ends the threshold selector
    assert redact_text("GET /a?token=abc: p95<1s") == "GET /a?token=***: p95<1s"
    assert redact_text("/a?token=abc:def&x=1") == "/a?token=***&x=1"  # a ':' inside stays in
    assert redact_text("/a?token=abc:") == "/a?token=***:"


def test_redact_url_masks_user_and_password() -> None:
    assert redact_url("http://bob:pw@h:81/x?y=1") == "http://***@h:81/x?y=1"
    assert redact_url("http://h/x") == "http://h/x"


def test_scrub_reaches_every_string_and_merges_what_becomes_equal() -> None:
    endpoint = dataclasses.replace(
        stats("GET", f"/a?sig={TOKEN}", [1.0, 2.0]),
        error_messages={f"timeout: {TOKEN} one": 2, "timeout: *** one": 1},
        checks={f"has {TOKEN}": CheckCount(1, 0), "has ***": CheckCount(2, 1)},
    )
    result = run_result((endpoint,))
    meta = dataclasses.replace(
        result.meta,
        target=f"http://h/a?sig={TOKEN}",
        options={"header": [f"X-Key: {TOKEN}"], "nested": {"deep": [TOKEN]}},
        abort_reason=f"threshold {TOKEN}",
    )
    verdict = ThresholdVerdict(
        f"/a?sig={TOKEN}: p95<1s", f"/a?sig={TOKEN}", "p95", "<", 1, "ms", 1, True
    )
    sample = ResourceSample(1.0, HostSample(1, (1,), 1, 2, 0, 0, 0, 0), ProcessSample(1, 1))
    target = MonitoredProcess("app[1]", 1, "app", f"app --secret {TOKEN}")
    result = dataclasses.replace(
        result,
        meta=meta,
        thresholds=(verdict,),
        resources=Resources(1.0, (sample,), (target,)),
    )
    clean = Redactor.build([TOKEN]).scrub(result)
    assert TOKEN not in repr(clean)
    (cleaned,) = clean.endpoints
    assert cleaned.name == "/a?sig=***"
    assert cleaned.error_messages == {"timeout: *** one": 3}
    assert cleaned.checks == {"has ***": CheckCount(3, 1)}
    assert cleaned.latency is endpoint.latency  # histograms are kept as they are
    assert clean.meta.options == {"header": ["X-Key: ***"], "nested": {"deep": ["***"]}}
    assert clean.thresholds[0].expression == "/a?sig=***: p95<1s"
    assert clean.resources is not None and clean.resources.targets[0].cmdline == "app --secret ***"
    assert Redactor.build([TOKEN]).scrub(run_result((stats("GET", "/b", [1.0]),))).meta.name


def test_the_run_redactor_collects_the_runs_secrets() -> None:
    options = {
        "auth_token": "tok-auth-1234",
        "header": ("Cookie: sid=cookie-val-1; theme=dark", "X-Tenant: acme-9", "Accept: json"),
        "redact": ("X-Tenant", "tenant"),
        "host": None,
    }
    redactor = redactor_for(
        options,
        urls=["http://bob:pw-secret-7@h/x?tenant=acme-9&token=qtok-5555&page=2"],
        headers=[("Authorization", "Bearer hdr-tok-8888")],
    )
    for secret in ("tok-auth-1234", "cookie-val-1", "acme-9", "pw-secret-7", "qtok-5555"):
        assert secret in redactor.secrets, secret
    assert "hdr-tok-8888" in redactor.secrets and "Bearer hdr-tok-8888" in redactor.secrets
    assert "json" not in redactor.secrets and "page" not in " ".join(redactor.secrets)
    shown = redact_options(options, redactor)
    assert shown["auth_token"] == "***"
    assert shown["header"] == ["Cookie: ***", "X-Tenant: ***", "Accept: json"]
    assert shown["redact"] == ["X-Tenant", "tenant"]
