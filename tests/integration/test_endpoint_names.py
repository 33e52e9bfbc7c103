"""Many distinct URLs: ids become placeholders, names past the cap are counted under `(other)`
with one warning, and every request is still counted exactly once (against the server's count),
in one process and over several workers."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from cli_helpers import endpoint, read_json, run_surge

from servers import HttpTestServer

SCRIPT = '''
import itertools
import os

from surge import User, task

_n = itertools.count()


def word(i: int) -> str:
    """A path segment of letters only (never an id): aaaa, baaa, …"""
    return "".join(chr(97 + (i // 26**k) % 26) for k in range(4))


class Browse(User):
    @task
    async def visit(self) -> None:
        i = next(_n)
        if i % 2:  # an id: one endpoint /any/items/{{id}}, the query string dropped
            await self.http.get(f"/any/items/{{i}}?page={{i}}")
        else:  # a word: a name of its own, until the cap
            await self.http.get(f"/any/w/{{word({worker_words} + i // 2)}}")
'''


def _write_script(workdir: Path, *, per_worker: bool) -> Path:
    worker_words = "os.getpid() * 7919" if per_worker else "0"  # workers: their own words
    path = workdir / "browse.py"
    path.write_text(SCRIPT.format(worker_words=worker_words))
    return path


def _requests(doc: dict[str, Any]) -> dict[str, int]:
    return {item["name"]: item["requests"] for item in doc["endpoints"]}


def test_ten_thousand_distinct_paths_stay_a_bounded_set_of_endpoints(
    test_server: HttpTestServer, workdir: Path
) -> None:
    script = _write_script(workdir, per_worker=False)
    proc = run_surge(
        "run", str(script), "--host", test_server.url, "-u", "4", "-n", "2500",
        "--out", "r.json", "--no-store", "-q", "--allow-saturated", cwd=workdir, timeout_s=240,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert test_server.requests_total == 10_000  # 10,000 distinct paths
    doc = read_json(workdir / "r.json")
    names = _requests(doc)
    assert len(names) == 1000 + 1  # /any/items/{id} and the first 999 words; (other)
    assert names["/any/items/{id}"] == 5000
    assert names["(other)"] == 5000 - 999  # the words after the first 999
    assert endpoint(doc, "GET", "(other)")["failures"] == 0
    assert sum(names.values()) == doc["summary"]["requests"] == test_server.requests_total
    assert proc.stderr.count("surge: warning:") == 1
    warning = proc.stderr[proc.stderr.index("surge: warning:") :]
    assert "5,001 distinct endpoint names" in warning and "cap of 1,000" in warning
    assert "(other)" in warning and "name=" in warning and "--max-endpoints" in warning


def test_name_template_off_keeps_paths_and_a_small_cap(
    test_server: HttpTestServer, workdir: Path
) -> None:
    script = _write_script(workdir, per_worker=False)
    proc = run_surge(
        "run", str(script), "--host", test_server.url, "-u", "2", "-n", "200",
        "--out", "r.json", "--no-store", "-q", "--allow-saturated", cwd=workdir,
        env={"SURGE_NAME_TEMPLATE": "off", "SURGE_MAX_ENDPOINTS": "50"},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    names = _requests(read_json(workdir / "r.json"))
    assert len(names) == 51 and "/any/items/{id}" not in names
    assert "/any/items/1" in names  # among the first 50 names: the path as it is
    assert names["(other)"] == 400 - 50
    assert sum(names.values()) == test_server.requests_total == 400
    assert "400 distinct endpoint names" in proc.stderr  # 200 ids and 200 words


def test_workers_cap_locally_and_the_merge_stays_exact(
    test_server: HttpTestServer, workdir: Path
) -> None:
    script = _write_script(workdir, per_worker=True)
    proc = run_surge(
        "run", str(script), "--host", test_server.url, "-u", "4", "-n", "500",
        "--workers", "2", "--max-endpoints", "100",
        "--out", "r.json", "--no-store", "-q", "--allow-saturated", cwd=workdir, timeout_s=240,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    doc = read_json(workdir / "r.json")
    names = _requests(doc)
    assert len(names) == 100 + 1  # the merged count is capped too
    assert names["/any/items/{id}"] == 1000
    assert sum(names.values()) == doc["summary"]["requests"] == test_server.requests_total
    assert test_server.requests_total == 2000
    assert proc.stderr.count("surge: warning:") == 1
    assert "cap of 100" in proc.stderr


def test_the_load_test_page_naming_example_runs(test_server: HttpTestServer, workdir: Path) -> None:
    page = (Path(__file__).resolve().parents[2] / "docs" / "load-test.md").read_text()
    (example,) = [b for b in re.findall(r"```python\n(.*?)```", page, re.S) if "Catalog" in b]
    (workdir / "catalog.py").write_text(example.replace('"/products/{sku}"', '"/any/{sku}"', 1))
    proc = run_surge(
        "run", "catalog.py", "--host", test_server.url, "-u", "3", "-n", "4",
        "--max-endpoints", "2", "--out", "r.json", "--no-store", "-q", "--allow-saturated",
        cwd=workdir,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert _requests(read_json(workdir / "r.json")) == {"/products/{sku}": 12}
    assert test_server.requests_by_path == {f"/any/lamp-{u:04d}": 4 for u in range(3)}
    assert "surge: warning:" not in proc.stderr  # one name, far below the cap


LOCUSTFILE = """
import itertools

from locust import HttpUser, task

_n = itertools.count()


class Browse(HttpUser):
    @task
    def visit(self):
        i = next(_n)
        self.client.get(f"/any/items/{i}?page={i}")  # no name=: surge's default name
        self.client.get(f"/any/items/{i}", name="by-hand")
"""


def test_a_locustfile_request_without_name_is_named_by_the_same_rule(
    test_server: HttpTestServer, workdir: Path
) -> None:
    (workdir / "lf.py").write_text(LOCUSTFILE)
    proc = run_surge(
        "run", "lf.py", "--host", test_server.url, "-u", "2", "-n", "30",
        "--out", "r.json", "--no-store", "-q", "--allow-saturated", cwd=workdir,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    doc = read_json(workdir / "r.json")
    assert doc["meta"]["mode"] == "locust"
    assert _requests(doc) == {"/any/items/{id}": 60, "by-hand": 60}
    assert test_server.requests_total == 120
