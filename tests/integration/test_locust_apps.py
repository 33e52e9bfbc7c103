"""Locustfiles against real apps: a Django CSRF login flow and a JWT API (Locust not installed)."""

from __future__ import annotations

import shutil
from pathlib import Path

from cli_helpers import endpoint, read_json, run_surge
from locust_sites import serve

FILES = Path(__file__).parent / "locustfiles"


def test_django_csrf_form_login_flow(workdir: Path) -> None:
    shutil.copy(FILES / "django_login.py", workdir)
    with serve("django_app") as url:
        proc = run_surge(
            "run", "django_login.py", "--host", url, "-u", "3", "-d", "2s", "-q", "--no-store",
            "--allow-saturated", "--out", "out.json", cwd=workdir,
        )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    doc = read_json(workdir / "out.json")
    assert doc["summary"]["failures"] == 0, doc["summary"]["errors"]
    login = endpoint(doc, "POST", "login")
    assert login["requests"] == 3  # one per user; its 302 to /account/ followed within it
    assert endpoint(doc, "GET", "/account/")["requests"] > 10
    assert endpoint(doc, "POST", "order")["requests"] > 3


def test_jwt_api_flow(workdir: Path) -> None:
    shutil.copy(FILES / "jwt_api.py", workdir)
    with serve("jwt_app") as url:
        proc = run_surge(
            "run", "jwt_api.py", "--host", url, "-u", "4", "-d", "2s", "-q", "--no-store",
            "--allow-saturated", "--out", "out.json", cwd=workdir,
        )  # fmt: skip
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr
    doc = read_json(workdir / "out.json")
    assert endpoint(doc, "POST", "/api/token")["requests"] == 3  # the Intruder does not log in
    assert endpoint(doc, "GET", "/api/items")["failures"] == 0
    assert endpoint(doc, "GET", "/api/items")["requests"] > 10
    created = endpoint(doc, "POST", "/api/items")
    assert created["requests"] > 5 and created["failures"] == 0
    denied = endpoint(doc, "GET", "no token")
    assert denied["requests"] > 3 and denied["failures"] == denied["requests"]
