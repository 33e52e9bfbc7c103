"""A token a scripted user obtains at run time and puts into an exception message leaves no trace:
not in the script error printed while the run goes, the summary, the JSON, CSV, JUnit, text and
HTML reports or the store's bytes — in one process and over worker processes.

The tokens (`tok-N`, from the test server's /login) are short: the pattern rules for bearer
credentials do not catch them; only the redactor learning what the users send does."""

from __future__ import annotations

import re
from pathlib import Path

from cli_helpers import endpoint, read_json, run_surge

from servers import HttpTestServer

TOKEN = re.compile(rb"tok-\d+")


def _page_example() -> str:
    """The script of docs/redaction.md, as the page shows it."""
    page = (Path(__file__).resolve().parents[2] / "docs" / "redaction.md").read_text()
    (example,) = re.findall(r"```python\n(.*?)```", page, flags=re.S)
    return str(example)


def _failing(example: str) -> str:
    """The page's script made to fail its check (every /me answers 200)."""
    forced = example.replace("if me.status != 200:", "if me.status == 200:")
    assert forced != example
    return forced


FAILS_AT_START = """
from surge import User, task


class Member(User):
    async def on_start(self) -> None:
        token = (await self.http.post("/login", json={"user": self.user_id})).json()["token"]
        self.http.headers["Authorization"] = f"Bearer {token}"
        raise PermissionError(f"no profile for {token}")  # before the header was ever sent

    @task
    async def check(self) -> None:
        await self.http.get("/me")
"""


def _leaks(workdir: Path, *texts: str) -> list[str]:
    found = [f"output #{i}" for i, text in enumerate(texts) if TOKEN.search(text.encode())]
    for path in sorted(workdir.rglob("*")):
        if path.is_file() and TOKEN.search(path.read_bytes()):
            found.append(str(path.relative_to(workdir)))
    return found


def test_a_token_in_a_script_error_leaves_no_trace(
    test_server: HttpTestServer, workdir: Path
) -> None:
    (workdir / "members.py").write_text(_failing(_page_example()))
    proc = run_surge(
        "run", "members.py", "--host", test_server.url, "-u", "2", "-n", "3",
        "--out", "r.json", "--csv", "r", "--junit", "j.xml", "--report-text", "r.txt",
        "--html", "r.html", "--store", f"sqlite:///{workdir / 'runs.db'}", "--allow-saturated",
        cwd=workdir,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    doc = read_json(workdir / "r.json")
    assert endpoint(doc, "GET", "/me")["requests"] == 6  # the tokens were sent, and accepted
    assert endpoint(doc, "GET", "/me")["failures"] == 0
    assert endpoint(doc, "SCRIPT", "Member.profile")["failures"] == 6
    assert "surge: error in Member.profile" in proc.stderr  # the traceback was printed …
    assert "token check failed for {'Authorization': '***'}" in proc.stderr  # … masked
    assert {"r.json", "r_stats.csv", "j.xml", "r.txt", "r.html", "runs.db"} <= {
        p.name for p in workdir.iterdir()
    }
    assert _leaks(workdir, proc.stdout, proc.stderr) == []


def test_a_token_in_an_on_start_error_leaves_no_trace_over_workers(
    test_server: HttpTestServer, workdir: Path
) -> None:
    (workdir / "members.py").write_text(FAILS_AT_START)
    proc = run_surge(
        "run", "members.py", "--host", test_server.url, "-u", "2", "-n", "3", "--workers", "2",
        "--out", "r.json", "--html", "r.html", "--store", f"sqlite:///{workdir / 'runs.db'}",
        "--allow-saturated", cwd=workdir,
    )  # fmt: skip
    assert proc.returncode == 3, proc.stdout + proc.stderr  # every user failed on_start
    assert test_server.requests_by_path == {"/login": 2}
    assert "surge: error in Member.on_start" in proc.stderr
    assert proc.stderr.count("surge: error in Member.on_start") == 1  # once, not per worker
    assert "PermissionError: no profile for ***" in proc.stderr
    messages = endpoint(read_json(workdir / "r.json"), "SCRIPT", "Member.on_start")
    assert messages["failures"] == 2
    assert _leaks(workdir, proc.stdout, proc.stderr) == []


def test_the_redaction_page_script_example_runs(test_server: HttpTestServer, workdir: Path) -> None:
    """The page's script as it is (its failing variant, with every output, is the first test)."""
    (workdir / "member.py").write_text(_page_example())
    proc = run_surge(
        "run", "member.py", "--host", test_server.url, "-u", "2", "-n", "2", "--out", "r.json",
        "--no-store", "--allow-saturated", cwd=workdir,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    doc = read_json(workdir / "r.json")
    assert endpoint(doc, "GET", "/me")["requests"] == 4
    assert endpoint(doc, "GET", "/me")["failures"] == 0
    assert "surge: error" not in proc.stderr
    assert _leaks(workdir, proc.stdout, proc.stderr) == []


LOCUSTFILE = """
from locust import HttpUser, task


class Member(HttpUser):
    def on_start(self):
        token = self.client.post("/login", json={"user": 1}).json()["token"]
        self.client.headers["Authorization"] = f"Bearer {token}"

    @task
    def check(self):
        if self.client.get("/me").ok:
            raise RuntimeError(f"token check failed for {dict(self.client.headers)}")
"""


def test_a_token_in_a_locustfile_error_leaves_no_trace(
    test_server: HttpTestServer, workdir: Path
) -> None:
    (workdir / "lf.py").write_text(LOCUSTFILE)
    proc = run_surge(
        "run", "lf.py", "--host", test_server.url, "-u", "2", "-n", "2", "--out", "r.json",
        "--html", "r.html", "--no-store", "--allow-saturated", cwd=workdir,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert endpoint(read_json(workdir / "r.json"), "GET", "/me")["failures"] == 0
    assert "token check failed for {'Authorization': '***'}" in proc.stderr
    assert _leaks(workdir, proc.stdout, proc.stderr) == []
