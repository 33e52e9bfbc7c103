"""An 80-column, non-TTY terminal (a CI log) shows every column of every table surge prints.

The real `surge` command runs with COLUMNS=80 (and, for comparison, 200): no line is wider than
the terminal, every column header and every value is there, endpoint and run names wrap at their
separators instead of being split mid-word, and latencies keep their unit.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from cli_helpers import read_json, run_surge

from servers import HttpTestServer

LONG_ENDPOINT = "/api/v1/organizations/{org_id}/projects/{project_id}/deployments"
ENDPOINT_PIECES = ("/api/", "v1/", "organizations/", "{org_id}/", "projects/", "{project_id}/")
RUN_NAME = "nightly-checkout-regression-suite-against-the-staging-cluster-eu-west"

SCENARIO = f"""\
import surge
from surge.checks import status


class Shopper(surge.User):
    weight = 3

    @surge.task
    async def browse(self) -> None:
        await self.http.get("/ok", name="{LONG_ENDPOINT}", checks=[status(200)])


class Visitor(surge.User):
    weight = 1

    @surge.task
    async def home(self) -> None:
        await self.http.get("/ok")
        await self.http.get("/echo")
"""

SUMMARY_HEADERS = (
    # endpoints
    "Method", "Name", "Requests", "Fails", "RPS",
    "p50", "p90", "p95", "p99", "p99.9", "Max", "Mean",
    # user classes
    "User class", "Users", "Iterations", "req/s",
    # workers
    "#", "host", "pid", "requests", "CPU peak", "CPU mean", "loop lag p99", "state",
    # resources
    "Source", "Mem peak", "Mem mean", "Read peak", "Write peak",
    # checks and thresholds
    "Check", "Endpoint", "Passes", "Pass rate", "Result", "Threshold", "Observed", "Limit",
)  # fmt: skip
HISTORY_HEADERS = (
    "ID", "Name", "When (UTC)", "Requests", "p50 ms", "p95 ms", "p99 ms", "req/s", "errors",
    "Verdict",
)  # fmt: skip
COMPARE_HEADERS = (
    "endpoint", "metric", "baseline", "candidate", "change [95% CI]", "p", "verdict", "reason",
)  # fmt: skip


def _fits(text: str, width: int) -> None:
    wide = [line for line in text.splitlines() if len(line) > width]
    assert not wide, f"lines wider than {width}: {wide}"


def _has_headers(text: str, headers: tuple[str, ...]) -> None:
    words = set(re.split(r"\s{2,}", " ".join(line.strip() + "  " for line in text.splitlines())))
    missing = [header for header in headers if header not in words]
    assert not missing, f"column headers missing: {missing}\n{text}"


def _run(server: HttpTestServer, workdir: Path, columns: int, *extra: str) -> str:
    proc = run_surge(
        "run", "mix.py", "--host", server.url, "-u", "8", "-n", "5", "--workers", "2",
        "--threshold", f"GET {LONG_ENDPOINT}: p95<5s", "--threshold", "checks>99%",
        "--name", RUN_NAME, *extra,
        cwd=workdir, env={"COLUMNS": str(columns)},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr + proc.stdout
    return proc.stdout


@pytest.fixture
def mix(workdir: Path) -> Path:
    (workdir / "mix.py").write_text(SCENARIO)
    return workdir


def test_run_summary_at_80_columns_shows_every_column_whole(
    test_server: HttpTestServer, mix: Path
) -> None:
    text = _run(test_server, mix, 80, "--out", "r.json")
    _fits(text, 80)
    _has_headers(text, SUMMARY_HEADERS)
    for piece in ENDPOINT_PIECES:  # the long name wraps after a `/`, each piece whole
        assert piece in text
    assert LONG_ENDPOINT not in text  # (it did have to wrap)
    assert "organizatio\n" not in text and "…" not in text
    totals = [line for line in text.splitlines() if line.strip().startswith("Total")]
    latencies = re.findall(r"\d ms\b", "\n".join(totals))
    assert len(latencies) == 7  # p50 … p99.9, Max, Mean: every one with its unit
    doc = read_json(mix / "r.json")
    for counts in doc["user_classes"]:  # the per-class counts, as the terminal shows them
        row = next(line for line in text.splitlines() if line.startswith(f" {counts['name']} "))
        assert row.split()[1:4] == [str(counts[k]) for k in ("users", "iterations", "requests")]
    assert "Thresholds: PASS — 2 of 2 passed" in text
    live = [line for line in text.splitlines() if line.startswith(f"[{RUN_NAME}]")]
    assert live, "the live line (non-TTY) was printed"


def test_run_summary_on_a_wide_terminal_keeps_one_table(
    test_server: HttpTestServer, mix: Path
) -> None:
    text = _run(test_server, mix, 200)
    _fits(text, 200)
    header = next(line for line in text.splitlines() if " Method " in line)
    assert re.search(
        r"Requests\s+Fails\s+RPS\s+p50\s+p90\s+p95\s+p99\s+p99\.9\s+Max\s+Mean", header
    )
    assert LONG_ENDPOINT in text  # room enough: the name on one line


def test_store_commands_at_80_columns_keep_ids_names_and_verdicts_whole(
    test_server: HttpTestServer, mix: Path
) -> None:
    for _ in range(3):
        _run(test_server, mix, 80, "-q")
    env = {"COLUMNS": "80"}
    made = run_surge("baseline", "set", RUN_NAME, "--last", "2", "--version", "1.0.0", cwd=mix)
    assert made.returncode == 0, made.stderr
    commands = {
        "history": ("history",),
        "history NAME": ("history", RUN_NAME),
        "show": ("show", "1"),
        "baseline list": ("baseline", "list"),
        "baseline show": ("baseline", "show", RUN_NAME),
        "compare": ("compare", RUN_NAME),
    }
    outputs = {}
    for key, args in commands.items():
        proc = run_surge(*args, cwd=mix, env=env)
        assert proc.returncode in (0, 1), proc.stderr + proc.stdout
        _fits(proc.stdout, 80)
        outputs[key] = proc.stdout
    _has_headers(outputs["history"], HISTORY_HEADERS)
    _has_headers(outputs["history NAME"], tuple(h for h in HISTORY_HEADERS if h != "Name"))
    ids = [line.split()[0] for line in outputs["history"].splitlines() if re.match(r"\s*\d", line)]
    assert {"1", "2", "3"} <= set(ids)  # every id whole at the start of its rows
    for piece in ("nightly-", "checkout-", "regression-", "staging-", "cluster-", "west"):
        assert piece in outputs["history"]  # the run name wraps at its dashes
    assert re.search(r"\bok\b", outputs["history"])  # verdicts whole
    _has_headers(outputs["show"], SUMMARY_HEADERS[:16])
    assert "(set " in outputs["baseline list"] and "run(s) 2, 3" in outputs["baseline list"]
    _has_headers(outputs["baseline show"], HISTORY_HEADERS)
    _has_headers(outputs["compare"], COMPARE_HEADERS)
    verdicts = re.findall(r"\b(unchanged|regressed|improved|inconclusive)\b", outputs["compare"])
    assert len(verdicts) >= 6  # one per finding, each whole
    assert re.search(r"^verdict: [A-Z]+", outputs["compare"], re.M)


def test_calibrate_at_80_columns(test_server: HttpTestServer, workdir: Path) -> None:
    proc = run_surge(
        "calibrate", f"{test_server.url}/ok", "--runs", "2", "-u", "1", "-n", "5", "-q",
        cwd=workdir, env={"COLUMNS": "80"},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr + proc.stdout
    _fits(proc.stdout, 80)
    headers = ("endpoint", "metric", "median", "run-to-run noise", "tolerance")
    _has_headers(proc.stdout, (*headers, "detectable with 2 vs 2 runs"))
