"""JUnit XML: each run's verdicts as test cases that CI systems show next to unit tests.

GitHub Actions test-report actions, GitLab (`artifacts:reports:junit`) and Jenkins (the junit
plugin) all read the same common subset of the format: `<testsuites>` holding one `<testsuite>`
per scenario, each with `<testcase>` elements carrying a `<failure>` or `<error>`. A threshold
or a check is a test: its failure message says what was observed against what limit, so a red
build explains itself without opening the run. See docs/junit.md.

The document is built with ElementTree, which escapes `<`, `&` and quotes (a `p95<200ms` is a
valid attribute value once written); characters XML 1.0 cannot carry at all are replaced.
"""

from __future__ import annotations

import enum
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TextIO

from surge.metrics import GeneratorVerdict, RunResult, ThresholdVerdict
from surge.report.humanize import (
    fmt_count,
    fmt_ms,
    fmt_pass_rate,
    fmt_percent,
    fmt_rate,
    fmt_threshold_value,
)
from surge.report.json_report import redact_text

SUITES_NAME = "surge"
_XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'
# Characters XML 1.0 forbids even when escaped (most C0 controls, lone surrogates, U+FFFE/F).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class Outcome(enum.Enum):
    """How a test case ended, in JUnit's terms."""

    PASSED = "passed"
    FAILED = "failure"  # an assertion (threshold, check, saturation) did not hold
    ERROR = "error"  # the run could not finish (aborted): its other verdicts are partial


@dataclass(frozen=True, slots=True)
class JUnitCase:
    """One `<testcase>`: a verdict with its failure message and detail (empty when passed) and
    what it measured (`output`, the case's `<system-out>`, shown for passed cases too)."""

    name: str
    classname: str
    outcome: Outcome
    kind: str = ""
    message: str = ""
    detail: str = ""
    output: str = ""


def _clean(text: str) -> str:
    """User text made safe for XML and free of secrets."""
    return _NOT_XML.sub("\ufffd", redact_text(text))


def _classname(group: str, run_name: str) -> str:
    """`surge.<group>.<run name>`; dots in the run name would split it into Java-style
    packages in Jenkins' tree, so they become underscores."""
    return f"surge.{group}.{_clean(run_name).replace('.', '_') or 'run'}"


def threshold_case(verdict: ThresholdVerdict, run_name: str) -> JUnitCase:
    """A threshold as a test case named by its expression (with its endpoint when the
    expression does not carry a selector itself)."""
    expression = verdict.expression.strip()
    name = expression
    if verdict.endpoint and ":" not in expression:
        name = f"{verdict.endpoint}: {expression}"
    limit = f"{verdict.op} {fmt_threshold_value(verdict.limit, verdict.unit)}"
    observed = (
        "nothing measured"
        if verdict.observed is None
        else f"observed {fmt_threshold_value(verdict.observed, verdict.unit)}"
    )
    summary = _clean(f"{observed}, limit {limit}")
    classname = _classname("thresholds", run_name)
    if verdict.passed:
        return JUnitCase(_clean(name), classname, Outcome.PASSED, output=summary)
    detail = (
        f"threshold: {verdict.expression}\n"
        f"endpoint: {verdict.endpoint or 'all endpoints'}\n"
        f"metric: {verdict.metric}\n"
        f"observed: {observed.removeprefix('observed ')}\n"
        f"limit: {limit}"
    )
    if verdict.abort_on_fail:
        detail += "\nabort on fail: yes"
    return JUnitCase(
        _clean(name),
        classname,
        Outcome.FAILED,
        kind="threshold",
        message=summary,
        detail=_clean(detail),
        output=summary,
    )


def check_cases(result: RunResult) -> list[JUnitCase]:
    """One case per check per endpoint; it fails when any evaluation of the check failed."""
    cases: list[JUnitCase] = []
    classname = _classname("checks", result.meta.name)
    for stats in result.endpoints:
        endpoint = f"{stats.method} {stats.name}".strip()
        for check, count in stats.checks.items():
            name = _clean(f"{endpoint}: check {check}")
            output = (
                f"{fmt_count(count.passes)} passed, {fmt_count(count.fails)} failed "
                f"({fmt_pass_rate(count.pass_rate)} passed)"
            )
            if not count.fails:
                cases.append(JUnitCase(name, classname, Outcome.PASSED, output=output))
                continue
            message = (
                f"{fmt_count(count.fails)} of {fmt_count(count.total)} evaluations failed "
                f"({fmt_pass_rate(count.pass_rate)} passed)"
            )
            detail = _clean(f"check: {check}\nendpoint: {endpoint}\n{output}")
            cases.append(
                JUnitCase(name, classname, Outcome.FAILED, "check", message, detail, output)
            )
    return cases


def generator_case(verdict: GeneratorVerdict, run_name: str) -> JUnitCase:
    """Generator health as a test: it fails when the generator was saturated, since then the
    run measured surge rather than the target."""
    name = "load generator not saturated"
    classname = _classname("generator", run_name)
    if not verdict.saturated:
        return JUnitCase(name, classname, Outcome.PASSED)
    reasons = "; ".join(verdict.reasons) or "saturated"
    detail = "\n".join(
        (
            "The load generator was the bottleneck: latency and throughput are not trustworthy.",
            *(f"- {reason}" for reason in verdict.reasons),
            f"CPU peak {verdict.cpu_pct_max:.1f}% (mean {verdict.cpu_pct_mean:.1f}%)",
            f"event-loop lag p99 {fmt_ms(verdict.loop_lag_p99_ms)} "
            f"(max {fmt_ms(verdict.loop_lag_max_ms)})",
            f"schedule lag p99 {fmt_ms(verdict.schedule_lag_p99_ms)}",
            f"dropped arrivals {fmt_count(verdict.dropped)}",
        )
    )
    return JUnitCase(
        name,
        classname,
        Outcome.FAILED,
        kind="saturation",
        message=_clean(f"generator saturated: {reasons}"),
        detail=_clean(detail),
    )


def run_case(result: RunResult) -> JUnitCase:
    """The run itself: an error when it was aborted (every figure is partial), a failure when
    no request succeeded, else passed. Every suite has at least this case."""
    name = "run completed"
    classname = _classname("run", result.meta.name)
    meta = result.meta
    if meta.aborted:
        reason = meta.abort_reason or "interrupted"
        message = _clean(f"aborted: {reason} (partial results)")
        return JUnitCase(name, classname, Outcome.ERROR, "aborted", message, message)
    total = result.total
    if total.requests == 0 or total.successes == 0:
        message = (
            "no request completed"
            if total.requests == 0
            else f"no request succeeded ({fmt_count(total.failures)} failed)"
        )
        return JUnitCase(name, classname, Outcome.FAILED, "no_success", message, message)
    return JUnitCase(name, classname, Outcome.PASSED)


def suite_cases(result: RunResult) -> list[JUnitCase]:
    """All cases of one run: thresholds, checks, generator health, the run."""
    cases = [threshold_case(verdict, result.meta.name) for verdict in result.thresholds]
    cases.extend(check_cases(result))
    if result.generator is not None:
        cases.append(generator_case(result.generator, result.meta.name))
    cases.append(run_case(result))
    return cases


def _timestamp(started_at: str) -> str | None:
    """JUnit's timestamp: ISO 8601 in UTC without a zone (the Ant schema's form)."""
    try:
        when = datetime.fromisoformat(started_at)
    except ValueError:
        return None
    if when.tzinfo is not None:
        when = when.astimezone(UTC).replace(tzinfo=None)
    return when.isoformat(timespec="seconds")


def _system_out(result: RunResult) -> str:
    total = result.total
    summary = total.latency.summary_ms()
    line = (
        f"{fmt_count(total.requests)} requests, {fmt_count(total.failures)} failed"
        f" ({fmt_percent(total.error_rate)}), {fmt_rate(result.rps)} req/s"
    )
    if total.latency.total:
        line += (
            f", latency p50 {fmt_ms(summary['p50'])}, p95 {fmt_ms(summary['p95'])}, "
            f"p99 {fmt_ms(summary['p99'])}"
        )
    return f"{line}\n"


def _add_case(suite: ET.Element, case: JUnitCase) -> None:
    element = ET.SubElement(
        suite, "testcase", {"name": case.name, "classname": case.classname, "time": "0.000"}
    )
    if case.outcome is not Outcome.PASSED:
        outcome = ET.SubElement(
            element, case.outcome.value, {"message": case.message, "type": case.kind}
        )
        outcome.text = case.detail
    if case.output:
        ET.SubElement(element, "system-out").text = case.output


def _counts(cases: Sequence[JUnitCase]) -> dict[str, str]:
    return {
        "tests": str(len(cases)),
        "failures": str(sum(1 for case in cases if case.outcome is Outcome.FAILED)),
        "errors": str(sum(1 for case in cases if case.outcome is Outcome.ERROR)),
        "skipped": "0",
    }


def _suite(parent: ET.Element, result: RunResult, cases: Sequence[JUnitCase]) -> None:
    meta = result.meta
    attributes = {"name": _clean(meta.name) or "run", **_counts(cases)}
    attributes["time"] = f"{max(result.duration_s, 0.0):.3f}"
    timestamp = _timestamp(meta.started_at)
    if timestamp is not None:
        attributes["timestamp"] = timestamp
    suite = ET.SubElement(parent, "testsuite", attributes)
    properties = ET.SubElement(suite, "properties")
    for name, value in (
        ("surge.version", meta.surge_version),
        ("surge.target", meta.target),
        ("surge.mode", meta.mode),
        ("surge.started_at", meta.started_at),
        ("surge.finished_at", meta.finished_at),
    ):
        ET.SubElement(properties, "property", {"name": name, "value": _clean(value)})
    for case in cases:
        _add_case(suite, case)
    ET.SubElement(suite, "system-out").text = _system_out(result)


def junit_element(results: Sequence[RunResult]) -> ET.Element:
    """The `<testsuites>` element of `results` (one `<testsuite>` per run, in order)."""
    per_run = [(result, suite_cases(result)) for result in results]
    every_case = [case for _, cases in per_run for case in cases]
    duration_s = sum(max(result.duration_s, 0.0) for result in results)
    root = ET.Element(
        "testsuites", {"name": SUITES_NAME, **_counts(every_case), "time": f"{duration_s:.3f}"}
    )
    for result, cases in per_run:
        _suite(root, result, cases)
    return root


def write_junit(results: Sequence[RunResult], fp: TextIO) -> None:
    """Write the JUnit XML of `results` to `fp` (open it with encoding="utf-8"; write errors
    propagate)."""
    root = junit_element(results)
    ET.indent(root)
    fp.write(_XML_DECLARATION)
    fp.write(ET.tostring(root, encoding="unicode"))
    fp.write("\n")
