"""`python manage.py surge …` in a real Django project, against its own server on loopback.

The test writes a small project (settings, URLs, two views) with `surge.contrib.django` in
INSTALLED_APPS, serves it with `manage.py runserver --noreload` on 127.0.0.1, and checks what
the server counted against what surge reported.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("django")

SETTINGS = """\
import os

SECRET_KEY = "surge-test-only"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = ["surge.contrib.django"]
ROOT_URLCONF = "shop.urls"
MIDDLEWARE = ["django.middleware.common.CommonMiddleware"]  # sets Content-Length
DATABASES = {}
USE_TZ = True
# the test says which base URL the settings give surge (none: SHOP_SURGE_HOST unset)
SURGE = {"host": os.environ["SHOP_SURGE_HOST"]} if "SHOP_SURGE_HOST" in os.environ else {}
"""

URLS = """\
import threading

from django.http import JsonResponse
from django.urls import path

_lock = threading.Lock()
_hits = {"health": 0}


def health(request):
    with _lock:
        _hits["health"] += 1
    return JsonResponse({"status": "ok"})


def hits(request):
    with _lock:
        return JsonResponse(dict(_hits))


urlpatterns = [path("api/health/", health), path("api/hits/", hits)]
"""

MANAGE = """\
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)
"""

DOCS = Path(__file__).resolve().parents[2] / "docs" / "django.md"


def _blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", DOCS.read_text(encoding="utf-8"), flags=re.S)


SETTINGS_BLOCK, SCENARIO, CALL_COMMAND = _blocks("python")


@dataclass(frozen=True)
class Site:
    root: Path
    url: str

    def hits(self) -> int:
        with urllib.request.urlopen(f"{self.url}/api/hits/", timeout=10) as response:
            count: int = json.load(response)["health"]
        return count

    def manage(
        self, *args: str, host: str | None = None, timeout_s: float = 120.0
    ) -> subprocess.CompletedProcess[str]:
        """`python manage.py ARGS` in the project; `host` becomes settings.SURGE['host']."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SURGE_", "SHOP_"))}
        env["COLUMNS"] = "120"
        if host is not None:
            env["SHOP_SURGE_HOST"] = host
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=self.root,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_until_up(site: Site, server: subprocess.Popen[str], timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"runserver exited {server.returncode}")
        try:
            site.hits()
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"runserver did not answer within {timeout_s} s")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("djangoproject")
    (root / "shop").mkdir()
    (root / "shop" / "__init__.py").write_text("")
    (root / "shop" / "settings.py").write_text(SETTINGS)
    (root / "shop" / "urls.py").write_text(URLS)
    (root / "manage.py").write_text(MANAGE)
    (root / "pyproject.toml").write_text("[project]\nname = 'shop'\n")
    (root / "users.py").write_text(SCENARIO)  # the docs' scenario
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SURGE_", "SHOP_"))}
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    site = Site(root, f"http://127.0.0.1:{port}")
    try:
        _wait_until_up(site, server)
        yield site
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


def _doc(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def test_run_a_path_against_the_settings_host(site: Site) -> None:
    before = site.hits()
    proc = site.manage(
        "surge", "run", "/api/health/", "-u", "4", "-n", "25", "--out", "health.json",
        "--threshold", "error_rate<1%", "--name", "health", host=site.url,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr + proc.stdout
    doc = _doc(site.root / "health.json")
    assert doc["meta"]["target"] == f"{site.url}/api/health/"
    assert doc["summary"]["requests"] == 100 and doc["summary"]["failures"] == 0
    assert site.hits() - before == 100  # what the Django server counted
    assert "Thresholds: PASS" in proc.stdout


def test_host_flag_without_settings_and_a_scenario_file(site: Site) -> None:
    before = site.hits()
    proc = site.manage("surge", "run", "/api/health/", "--host", site.url, "-u", "2", "-n", "5")
    assert proc.returncode == 0, proc.stderr + proc.stdout
    assert site.hits() - before == 10
    scripted = site.manage(
        "surge", "run", "users.py", "-u", "2", "-n", "3", "--out", "v.json", host=site.url
    )  # the settings' host is the scenario's --host
    assert scripted.returncode == 0, scripted.stderr + scripted.stdout
    assert site.hits() - before == 16
    doc = _doc(site.root / "v.json")
    [visitor] = doc["user_classes"]
    assert (visitor["name"], visitor["users"], visitor["iterations"], visitor["requests"]) == (
        "Visitor", 2, 6, 6
    )  # fmt: skip


def test_a_path_without_a_base_url_exits_2_before_any_traffic(site: Site) -> None:
    before = site.hits()
    proc = site.manage("surge", "run", "/api/health/", "-n", "1")
    assert proc.returncode == 2
    assert "surge: error: /api/health/ is a path" in proc.stderr
    assert 'SURGE = {"host"' in proc.stderr and "--host" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert site.hits() == before


def test_every_surge_command_is_reachable(site: Site) -> None:
    for _ in range(2):
        ran = site.manage(
            "surge", "run", "/api/health/", "-n", "3", "--name", "hc", "-q", host=site.url
        )
        assert ran.returncode == 0, ran.stderr
    helped = site.manage("surge", "--help")
    assert helped.returncode == 0
    assert "Usage: manage.py surge" in helped.stdout
    for command in ("run", "history", "compare", "baseline", "show", "report"):
        assert command in helped.stdout
    history = site.manage("surge", "history", "hc")
    assert history.returncode == 0, history.stderr
    assert "trend over the last 2 runs" in history.stdout
    baseline = site.manage("surge", "baseline", "set", "hc", "--run", "hc~1", "--version", "1.0.0")
    assert baseline.returncode == 0 and "baseline hc version 1.0.0" in baseline.stdout
    compared = site.manage("surge", "compare", "hc")  # the latest run against the baseline
    assert compared.returncode in (0, 1), compared.stderr  # 1: a regression (noise on 3 requests)
    assert "verdict:" in compared.stdout
    bad = site.manage("surge", "run", "/api/health/", "--users", "zero", host=site.url)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr  # surge's own usage error


def test_call_command_from_python(site: Site) -> None:
    code = (
        "import django; django.setup()\n"
        "from django.core.management import call_command\n"
        "from django.core.management.base import CommandError\n"
        "call_command('surge', 'run', '/api/health/', '-u', '1', '-n', '2', '-q', '--no-store')\n"
        "try:\n"
        "    call_command('surge', 'run', '/api/health/', '--users', 'zero')\n"
        "except CommandError as exc:\n"
        "    print('returncode', exc.returncode)\n"
    )
    before = site.hits()
    proc = _python(site, code)
    assert proc.returncode == 0, proc.stderr
    assert "returncode 2" in proc.stdout
    assert site.hits() - before == 2
    docs = _python(site, "import django; django.setup()\n" + CALL_COMMAND)
    assert docs.returncode == 0, docs.stdout + docs.stderr
    assert "load test failed" not in docs.stdout
    assert site.hits() - before == 2 + 10


def _python(site: Site, code: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SURGE_", "SHOP_"))}
    env.update(SHOP_SURGE_HOST=site.url, DJANGO_SETTINGS_MODULE="shop.settings")
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=site.root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_docs_settings_and_commands_run(site: Site) -> None:
    settings: dict[str, Any] = {}
    exec(compile(SETTINGS_BLOCK, str(DOCS), "exec"), settings)
    assert "surge.contrib.django" in settings["INSTALLED_APPS"]
    assert settings["SURGE"]["host"].startswith("http://127.0.0.1:")  # the form the project uses
    (bash,) = _blocks("bash")
    commands = [shlex.split(line)[2:] for line in bash.splitlines() if "manage.py surge" in line]
    assert len(commands) >= 5
    for args in commands:
        before = site.hits()
        # -q: no live view; --allow-saturated: a busy test machine is not what this checks
        quiet = ["-q", "--allow-saturated"] if args[1] == "run" else []
        proc = site.manage(*args, *quiet, host=site.url)
        allowed = (0, 1) if "--compare-to" in args else (0,)  # 1: a regression verdict
        assert proc.returncode in allowed, f"{args}: {proc.stdout[-2000:]}{proc.stderr}"
        if args[1] == "run" and "-n" in args:
            total = int(args[args.index("-n") + 1]) * int(args[args.index("-u") + 1])
            assert site.hits() - before == total, args  # every request reached Django
