"""Nothing secret in any output: a run whose token is in a header, the URL's credentials and the
query string leaves no trace of it in the terminal, JSON, CSV, JUnit, text report, HTML report
or the store's database file (raw bytes)."""

from __future__ import annotations

import base64
import re
import shlex
from pathlib import Path
from urllib.parse import quote

from cli_helpers import read_json, run_surge

from routes import BASIC_PASSWORD, BASIC_USER
from servers import HttpTestServer
from surge.store import Store

TOKEN = "Sup3rS3cretT0ken"
TENANT = "TenantSecretXYZ"


def _leaks(workdir: Path, *texts: str) -> list[str]:
    found = [f"output #{i}" for i, text in enumerate(texts) if TOKEN in text or TENANT in text]
    for path in sorted(workdir.rglob("*")):
        if path.is_file() and path.name != "pyproject.toml":
            data = path.read_bytes()
            if TOKEN.encode() in data or TENANT.encode() in data:
                found.append(str(path.relative_to(workdir)))
    return found


def test_a_token_in_headers_url_and_query_leaves_no_trace(
    test_server: HttpTestServer, workdir: Path
) -> None:
    host = test_server.url.removeprefix("http://")
    url = f"http://alice:{TOKEN}@{host}/ok?api_key={TOKEN}&tenant={TENANT}&page=2"
    proc = run_surge(
        "run", url, "-u", "1", "-n", "5",
        "--auth-token", TOKEN,
        "-H", f"Cookie: sid={TOKEN}; theme=dark",
        "-H", f"X-Tenant-Key: {TENANT}",
        "--redact", "tenant", "--redact", "X-Tenant-Key",
        "--threshold", "/ok: p95<5s",
        "--out", "r.json", "--csv", "r", "--junit", "j.xml", "--report-text", "r.txt",
        "--html", "r.html", "--store", f"sqlite:///{workdir / 'runs.db'}",
        "--allow-saturated",
        cwd=workdir,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert test_server.requests_total == 5  # the secrets were really sent
    written = {p.name for p in workdir.iterdir()}
    assert {"r.json", "r_stats.csv", "r_resources.csv", "j.xml", "r.txt", "r.html"} <= written
    assert "runs.db" in written
    assert _leaks(workdir, proc.stdout, proc.stderr) == []
    meta = read_json(workdir / "r.json")["meta"]
    assert meta["target"].startswith("http://***@")
    assert "api_key=***" in meta["target"] and "tenant=***" in meta["target"]
    assert "page=2" in meta["target"]  # only secrets are masked
    assert meta["options"]["auth_token"] == "***"
    assert meta["options"]["header"] == ["Cookie: ***", "X-Tenant-Key: ***"]
    assert "***" in proc.stdout
    # the store compresses large documents: read it back too, not only its raw bytes
    with Store.open(f"sqlite:///{workdir / 'runs.db'}", create=False) as store:
        (stored,) = store.runs()
    assert TOKEN not in repr(stored) and TENANT not in repr(stored)
    assert stored.result.meta.target == meta["target"]


def test_dry_run_shows_no_secret(test_server: HttpTestServer, workdir: Path) -> None:
    host = test_server.url.removeprefix("http://")
    proc = run_surge(
        "run", f"http://bob:{TOKEN}@{host}/ok?token={TOKEN}", "--dry-run",
        "--threshold", "/ok: p95<1s",
        cwd=workdir,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert TOKEN not in proc.stdout + proc.stderr
    assert test_server.requests_total == 0


def test_the_redaction_page_example_masks_what_it_says(
    test_server: HttpTestServer, workdir: Path
) -> None:
    page = (Path(__file__).resolve().parents[2] / "docs" / "redaction.md").read_text()
    (block,) = [
        b for b in re.findall(r"```bash\n(surge run .*?)```", page, flags=re.S) if "--redact" in b
    ]
    args = shlex.split(block.replace("\\\n", " "))[1:]
    args = [a.replace("http://127.0.0.1:8000", test_server.url) for a in args]
    # the page's load, shortened: a few requests instead of 10 users for 30 s
    args[args.index("-u") + 1], args[args.index("-d") + 1] = "1", "1s"
    # the test server has no /api/items: its 404 counts as the expected answer
    extra = ("--expect-status", "404", "--no-store", "--allow-saturated")
    proc = run_surge(*args, *extra, cwd=workdir)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    meta = read_json(workdir / "result.json")["meta"]
    assert meta["target"] == f"{test_server.url}/api/items?tenant=***&page=2"
    assert meta["options"]["header"] == ["X-Tenant-Key: ***"]
    assert "acme-prod-7f3a" not in proc.stdout and "9b1c2d3e4f" not in proc.stdout


BASIC_SCRIPT = """\
import surge


class Member(surge.User):
    @surge.task
    async def basic(self) -> None:
        await self.http.get("/basic")
"""


def test_url_credentials_are_sent_as_basic_auth_and_appear_nowhere(
    test_server: HttpTestServer, workdir: Path
) -> None:
    """`http://user:password@host/` authenticates (URL mode, TOML and --host of a script)
    and neither the password nor the Basic credential is in any output."""
    host = test_server.url.removeprefix("http://")
    password = quote(BASIC_PASSWORD, safe="")
    url = f"http://{BASIC_USER}:{password}@{host}/basic"
    credential = base64.b64encode(f"{BASIC_USER}:{BASIC_PASSWORD}".encode()).decode()
    (workdir / "basic.py").write_text(BASIC_SCRIPT)
    (workdir / "basic.toml").write_text(f'[scenarios.basic]\nurl = "{url}"\n')
    runs = [
        ("url", [url]),
        ("toml", ["basic.toml"]),
        ("script", ["basic.py", "--host", url.removesuffix("/basic")]),
    ]
    outputs: list[str] = []
    for name, target in runs:
        proc = run_surge(
            "run", *target, "-u", "1", "-n", "3", "--out", f"{name}.json",
            "--html", f"{name}.html", "--junit", f"{name}.xml",
            "--store", f"sqlite:///{workdir / 'runs.db'}", "--allow-saturated",
            cwd=workdir,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stdout + proc.stderr
        summary = read_json(workdir / f"{name}.json")["summary"]
        assert summary["requests"] == 3 and summary["failures"] == 0, (name, summary)
        outputs += [proc.stdout, proc.stderr]
    assert test_server.requests_by_path == {"/basic": 9}
    for secret in (BASIC_PASSWORD, password, credential, f"{BASIC_USER}:{BASIC_PASSWORD}"):
        assert not any(secret in text for text in outputs), secret
        for path in sorted(workdir.rglob("*")):
            if path.is_file() and path.suffix != ".toml" and path.suffix != ".py":
                assert secret.encode() not in path.read_bytes(), (secret, path.name)


def test_explicit_authorization_beats_url_credentials(
    test_server: HttpTestServer, workdir: Path
) -> None:
    host = test_server.url.removeprefix("http://")
    url = f"http://{BASIC_USER}:{quote(BASIC_PASSWORD, safe='')}@{host}/basic"
    proc = run_surge(
        "run", url, "-u", "1", "-n", "2", "-H", "Authorization: Basic bm9ib2R5Og==",
        "--out", "r.json", "--no-store", cwd=workdir,
    )  # fmt: skip
    assert read_json(workdir / "r.json")["summary"]["failures"] == 2, proc.stdout


def test_the_redaction_page_basic_auth_example_authenticates(
    test_server: HttpTestServer, workdir: Path
) -> None:
    page = (Path(__file__).resolve().parents[2] / "docs" / "redaction.md").read_text()
    (block,) = [b for b in re.findall(r"```bash\n(surge run .*?)```", page, flags=re.S) if "@" in b]
    host = test_server.url.removeprefix("http://")
    args = shlex.split(block.replace("127.0.0.1:8000/admin/stats", f"{host}/basic"))[1:]
    args[args.index("-d") + 1] = "1s"
    proc = run_surge(*args, "--no-store", "--allow-saturated", cwd=workdir)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    doc = read_json(workdir / "result.json")
    assert doc["summary"]["requests"] > 0 and doc["summary"]["failures"] == 0
    assert doc["meta"]["target"] == f"http://***@{host}/basic"
    assert "s3cret-pw" not in proc.stdout and "YWxpY2U6czNjcmV0LXB3" not in proc.stdout
