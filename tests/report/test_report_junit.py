"""JUnit XML: golden files, validity against our schema of the format, counts, failure messages,
escaping of user text, redaction."""

from __future__ import annotations

import dataclasses
import io
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest
import xmlschema

from surge.metrics import CheckCount, RunResult, ThresholdVerdict
from surge.report import junit_element, write_junit

SCHEMA = xmlschema.XMLSchema(Path(__file__).with_name("junit.xsd"))
Build = dict[str, Callable[[], RunResult]]


def _xml(results: list[RunResult]) -> str:
    out = io.StringIO()
    write_junit(results, out)
    return out.getvalue()


def _valid_tree(text: str) -> ET.Element:
    """`text` parsed, after checking it against the schema (raises on any violation)."""
    SCHEMA.validate(text)
    return ET.fromstring(text)


def _cases(root: ET.Element) -> dict[str, ET.Element]:
    return {case.attrib["name"]: case for case in root.iter("testcase")}


@pytest.mark.parametrize("kind", ["sample", "open"])
def test_junit_matches_golden(
    kind: str, build: Build, assert_golden: Callable[[str, str], None]
) -> None:
    assert_golden(f"{kind}.xml", _xml([build[kind]()]))


@pytest.mark.parametrize(
    "kinds", [["sample"], ["open"], ["refused"], ["empty"], ["sample", "open"]]
)
def test_output_is_schema_valid(kinds: list[str], build: Build) -> None:
    text = _xml([build[kind]() for kind in kinds])
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites ')
    assert SCHEMA.is_valid(text)


def test_the_schema_rejects_what_readers_would_not_take(sample: RunResult) -> None:
    """The schema is not a rubber stamp: a case without a classname or a negative count fails."""
    root = junit_element([sample])
    next(root.iter("testcase")).attrib.pop("classname")
    assert not SCHEMA.is_valid(ET.tostring(root, encoding="unicode"))
    root = junit_element([sample])
    root.set("failures", "-1")
    assert not SCHEMA.is_valid(ET.tostring(root, encoding="unicode"))


def test_closed_run_counts_and_cases(sample: RunResult) -> None:
    root = _valid_tree(_xml([sample]))
    (suite,) = root.findall("testsuite")
    assert suite.attrib["name"] == "checkout"
    # 4 thresholds (1 fails), 3 checks (2 fail), generator (passes), run (passes)
    assert (suite.attrib["tests"], suite.attrib["failures"], suite.attrib["errors"]) == (
        "9",
        "3",
        "0",
    )
    assert suite.attrib["skipped"] == "0"
    assert suite.attrib["time"] == "3.000"
    assert suite.attrib["timestamp"] == "2025-01-15T10:00:00"
    assert {k: root.attrib[k] for k in ("tests", "failures", "errors")} == {
        "tests": "9",
        "failures": "3",
        "errors": "0",
    }
    cases = _cases(root)
    assert list(cases) == [
        "p95<200ms",
        "error_rate<1%",
        "POST /api/orders: p99<100ms",
        "rps>50",
        "GET /api/items: check status is 200",
        "POST /api/orders: check body has id",
        "POST /api/orders: check status is 201",
        "load generator not saturated",
        "run completed",
    ]
    assert cases["p95<200ms"].attrib["classname"] == "surge.thresholds.checkout"
    passed = cases["p95<200ms"]
    assert passed.find("failure") is None and passed.find("error") is None
    assert passed.findtext("system-out") == "observed 64.191 ms, limit < 200 ms"
    failure = cases["error_rate<1%"].find("failure")
    assert failure is not None
    assert failure.attrib == {"message": "observed 2.326%, limit < 1%", "type": "threshold"}
    assert failure.text is not None and "abort on fail: yes" in failure.text
    check = cases["POST /api/orders: check status is 201"]
    assert check.attrib["classname"] == "surge.checks.checkout"
    check_failure = check.find("failure")
    assert check_failure is not None
    assert check_failure.attrib == {
        "message": "4 of 64 evaluations failed (93.75% passed)",
        "type": "check",
    }
    assert cases["GET /api/items: check status is 200"].find("failure") is None
    out = suite.find("system-out")
    assert out is not None and out.text is not None and "215 requests, 5 failed" in out.text


def test_open_run_saturation_is_a_failure(open_run: RunResult) -> None:
    root = _valid_tree(_xml([open_run]))
    cases = _cases(root)
    failure = cases["load generator not saturated"].find("failure")
    assert failure is not None
    assert failure.attrib["type"] == "saturation"
    assert failure.attrib["message"] == (
        "generator saturated: generator CPU ≥ 90% for 2 s (peak 99%); "
        "65 arrivals dropped (max_in_flight: 65)"
    )
    assert failure.text is not None and "not trustworthy" in failure.text
    (suite,) = root.findall("testsuite")
    assert (suite.attrib["tests"], suite.attrib["failures"]) == ("3", "1")


def test_aborted_run_is_an_error(sample: RunResult) -> None:
    meta = dataclasses.replace(
        sample.meta, aborted=True, abort_reason="threshold error_rate<1% failed"
    )
    root = _valid_tree(_xml([dataclasses.replace(sample, meta=meta)]))
    error = _cases(root)["run completed"].find("error")
    assert error is not None
    assert error.attrib == {
        "message": "aborted: threshold error_rate<1% failed (partial results)",
        "type": "aborted",
    }
    assert root.attrib["errors"] == "1" and root.attrib["failures"] == "3"


@pytest.mark.parametrize(
    ("kind", "message"), [("refused", "no request succeeded (25 failed)"), ("empty", "no request")]
)
def test_no_success_run_fails(kind: str, message: str, build: Build) -> None:
    root = _valid_tree(_xml([build[kind]()]))
    failure = _cases(root)["run completed"].find("failure")
    assert failure is not None and failure.attrib["message"].startswith(message)
    assert root.attrib["tests"] == "1"  # no verdicts: the run case alone


def test_several_runs_are_several_suites(sample: RunResult, open_run: RunResult) -> None:
    root = _valid_tree(_xml([sample, open_run]))
    suites = root.findall("testsuite")
    assert [s.attrib["name"] for s in suites] == ["checkout", "spike"]
    for key in ("tests", "failures", "errors"):
        assert int(root.attrib[key]) == sum(int(s.attrib[key]) for s in suites)
    assert root.attrib["time"] == "6.000"
    assert {c.attrib["classname"] for c in suites[1].iter("testcase")} == {
        "surge.thresholds.spike",
        "surge.generator.spike",
        "surge.run.spike",
    }


def test_no_results_is_an_empty_report() -> None:
    root = _valid_tree(_xml([]))
    assert root.attrib["tests"] == "0" and root.findall("testsuite") == []


def test_user_text_is_escaped_not_injected(sample: RunResult) -> None:
    verdicts = (
        ThresholdVerdict("p95<200ms", None, "p95", "<", 200.0, "ms", 312.5, False),
        ThresholdVerdict(
            'p99<1s & "quoted" </testcase>', None, "p99", "<", 1000.0, "ms", 2.0, True
        ),
        ThresholdVerdict("p95<1s", "GET /a?b=1&c=<2>", "p95", "<", 1000.0, "ms", 3.0, True),
    )
    items = sample.endpoints[0]
    checks = {"body <ok> & fine\x00\x1b": CheckCount(1, 1)}
    result = dataclasses.replace(
        sample,
        meta=dataclasses.replace(sample.meta, name="api.v1 <staging>"),
        thresholds=verdicts,
        endpoints=(dataclasses.replace(items, checks=checks), *sample.endpoints[1:]),
    )
    text = _xml([result])
    assert 'name="p95&lt;200ms"' in text
    assert '</testcase>"' not in text and "\x00" not in text
    root = _valid_tree(text)
    cases = _cases(root)
    failure = cases["p95<200ms"].find("failure")
    assert failure is not None
    assert failure.attrib["message"] == "observed 312.5 ms, limit < 200 ms"
    assert 'p99<1s & "quoted" </testcase>' in cases
    assert "GET /a?b=1&c=<2>: p95<1s" in cases  # the endpoint joins an expression without one
    assert "GET /api/items: check body <ok> & fine\ufffd\ufffd" in cases
    assert root.find("testsuite").attrib["name"] == "api.v1 <staging>"  # type: ignore[union-attr]
    assert cases["p95<200ms"].attrib["classname"] == "surge.thresholds.api_v1 <staging>"


def test_nothing_measured_message(sample: RunResult) -> None:
    verdict = ThresholdVerdict("GET /x: p95<1s", "GET /x", "p95", "<", 1000.0, "ms", None, False)
    root = _valid_tree(_xml([dataclasses.replace(sample, thresholds=(verdict,))]))
    failure = _cases(root)["GET /x: p95<1s"].find("failure")  # selector already in the name
    assert failure is not None
    assert failure.attrib["message"] == "nothing measured, limit < 1,000 ms"


def test_secrets_are_redacted(sample: RunResult) -> None:
    verdict = ThresholdVerdict(
        "p95<1s", "GET /a?token=s3cr3t", "p95", "<", 1000.0, "ms", 5000.0, False
    )
    meta = dataclasses.replace(
        sample.meta, target="https://u:hunter2@h/", aborted=True, abort_reason="x ?api_key=k3y"
    )
    text = _xml([dataclasses.replace(sample, meta=meta, thresholds=(verdict,))])
    assert "s3cr3t" not in text and "hunter2" not in text and "k3y" not in text
    assert 'value="https://***@h/"' in text


class _BrokenWriter(io.StringIO):
    def write(self, s: str) -> int:
        raise OSError(28, "No space left on device")


def test_write_errors_propagate(sample: RunResult) -> None:
    with pytest.raises(OSError, match="No space left"):
        write_junit([sample], _BrokenWriter())
