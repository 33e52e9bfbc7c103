"""Judging a declarative endpoint's response: success, HTTP status failure, or failed expectation.

URL mode and TOML endpoints have no script to inspect a response, so `--expect-status`,
`--expect-body` and `--expect-json` (an `Expectations` value on the EndpointSpec) say what a
good response looks like. `ResponseJudge` is the one place that rule lives, used by every engine
that runs an EndpointSpec (closed-model URL mode, the open model):

```python
judge = ResponseJudge(spec.expect)           # once per run
if judge.needs_body: ...                     # collect the body only then
verdict = judge.judge(status, body, content_encoding, endpoint)
if verdict is None: endpoint.ok(...)
else: endpoint.fail(latency_us, verdict[0], status, nbytes, verdict[1])
```

Every expectation is also counted as a named check of the endpoint (the names are those of the
script checks in `surge.scenario.checks`, e.g. "status is 200", "json data.id == 3"), so a
`checks>99%` threshold works without a script.
"""

from __future__ import annotations

import zlib

from surge.engine.http.response import decode_body
from surge.metrics.errors import ErrorKind
from surge.metrics.recorder import EndpointRecorder
from surge.scenario.checks import (
    MISSING,
    BodyCheck,
    JsonPathCheck,
    StatusCheck,
    body_contains,
    json_path,
    parse_json_body,
    status,
)
from surge.scenario.spec import Expectations

Verdict = tuple[ErrorKind, str] | None


class ResponseJudge:
    """Decides whether a complete response is a success, and counts the expectation checks.

    Build it once per run from `spec.expect` (None: no expectations, the usual rule that a
    status below 400 is a success). Transport failures are not its business: call it only for
    a response that arrived whole.
    """

    __slots__ = ("_body", "_expected_status", "_json", "_status", "needs_body")

    def __init__(self, expect: Expectations | None) -> None:
        expect = expect if expect is not None else Expectations()
        self._status: StatusCheck | None = status(*expect.status) if expect.status else None
        self._expected_status = " or ".join(str(code) for code in expect.status)
        self._body: BodyCheck | None = (
            body_contains(expect.body) if expect.body is not None else None
        )
        self._json: tuple[JsonPathCheck, ...] = tuple(
            json_path(item.path, equals=item.value) for item in expect.json
        )
        self.needs_body: bool = self._body is not None or bool(self._json)
        """True when `judge` must be given the body (collect it only then)."""

    def judge(
        self,
        status: int,
        body: bytes,
        content_encoding: str | None,
        endpoint: EndpointRecorder,
    ) -> Verdict:
        """None for a success, else the (ErrorKind, message) to record the failure with.

        `body` is the body as received (pass b"" when `needs_body` is False);
        `content_encoding` is the response's Content-Encoding header ("" or None: identity).
        Each expectation is counted on `endpoint` as a check. A status outside `expect.status`
        fails as `check` ("expected status 200, got 503"); without expected statuses a status
        ≥ 400 fails as `http_status`. A failed body or JSON expectation fails as `check`.
        """
        verdict: Verdict = None
        status_check = self._status
        if status_check is not None:
            passed = status_check.matches(status)
            endpoint.check(status_check.name, passed)
            if not passed:
                verdict = (
                    ErrorKind.CHECK,
                    f"expected status {self._expected_status}, got {status}",
                )
        elif status >= 400:
            verdict = (ErrorKind.HTTP_STATUS, f"HTTP {status}")
        if self.needs_body:
            failed = self._judge_body(body, content_encoding, endpoint)
            if failed and verdict is None:
                verdict = (ErrorKind.CHECK, "check failed: " + ", ".join(failed))
        return verdict

    def _judge_body(
        self, body: bytes, content_encoding: str | None, endpoint: EndpointRecorder
    ) -> list[str]:
        """Count the body and JSON checks; the names of those that failed."""
        content: bytes | None = body
        if content_encoding and body:
            try:
                content = decode_body(body, content_encoding)
            except (ValueError, zlib.error):  # corrupt or unknown coding: body checks fail
                content = None
        failed: list[str] = []
        body_check = self._body
        if body_check is not None:
            passed = content is not None and body_check.matches(content)
            endpoint.check(body_check.name, passed)
            if not passed:
                failed.append(body_check.name)
        if self._json:
            document = parse_json_body(content) if content is not None else MISSING
            for json_check in self._json:
                passed = json_check.matches(document)
                endpoint.check(json_check.name, passed)
                if not passed:
                    failed.append(json_check.name)
        return failed
