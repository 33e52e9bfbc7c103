"""Real locustfiles through the real `surge` command, with Locust not installed.

Each file lives in locustfiles/ and imports only from `locust` (and `gevent`, `time`): surge
serves those names while it loads the file. The assertions read surge's JSON result, the test
server's own counts, and files the locustfiles' event listeners write.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import endpoint, read_json, run_surge

from servers import HttpTestServer

FILES = Path(__file__).parent / "locustfiles"


def _copy(workdir: Path, name: str) -> Path:
    return Path(shutil.copy(FILES / name, workdir / name))


def _run(
    workdir: Path, name: str, *args: str, timeout_s: float = 90.0
) -> tuple[Any, dict[str, Any]]:
    _copy(workdir, name)
    common = ("-q", "--no-store", "--allow-saturated", "--out", "out.json")
    proc = run_surge("run", name, *common, *args, cwd=workdir, timeout_s=timeout_s)
    doc = read_json(workdir / "out.json") if (workdir / "out.json").exists() else {}
    return proc, doc


def _count(doc: dict[str, Any], method: str, name: str) -> int:
    return int(endpoint(doc, method, name)["requests"])


def test_locust_is_not_installed_here() -> None:
    assert importlib.util.find_spec("locust") is None
    assert importlib.util.find_spec("gevent") is None


def test_class_shares_catch_response_and_client_api(
    workdir: Path, test_server: HttpTestServer
) -> None:
    proc, doc = _run(workdir, "shares.py", "--host", test_server.url, "-u", "8", "-n", "20")
    assert proc.returncode in (0, 1), proc.stderr
    assert doc["meta"]["mode"] == "locust"
    # 3:1 over 8 users is 6 readers and 2 writers, 20 task iterations each
    assert _count(doc, "GET", "read") == 120
    assert _count(doc, "POST", "write") == 40
    judged = endpoint(doc, "GET", "judged")
    assert judged["requests"] == 40 and judged["failures"] == 40
    assert endpoint(doc, "POST", "write")["failures"] == 0
    assert not any(e["method"] == "SCRIPT" for e in doc["endpoints"]), doc["endpoints"]
    assert test_server.requests_by_path.get("/echo") == 40
    classes = {c["name"]: c for c in doc["user_classes"]}
    assert (classes["Reader"]["users"], classes["Writer"]["users"]) == (6, 2)
    assert (classes["Reader"]["iterations"], classes["Writer"]["iterations"]) == (120, 40)
    assert (classes["Reader"]["requests"], classes["Writer"]["requests"]) == (120, 80)
    events = read_json(workdir / "events.json")
    assert events == {"requests": 200, "failed": 40}


def test_open_model_runs_one_task_per_arrival(workdir: Path, test_server: HttpTestServer) -> None:
    proc, doc = _run(workdir, "shares.py", "--host", test_server.url, "--rate", "100", "-d", "2s")
    assert proc.returncode in (0, 1), proc.stderr
    load = doc["summary"]["load"]
    assert load["model"] == "open"
    assert load["completed"] == 200 and load["failed"] == 0
    assert _count(doc, "GET", "read") == 150 and _count(doc, "POST", "write") == 50


def test_locust_habits_f_class_names_run_time_spawn_rate_headless_host(
    workdir: Path, test_server: HttpTestServer
) -> None:
    _copy(workdir, "shares.py")
    proc = run_surge(
        "run", "-f", "shares.py", "Reader", "--headless", "-u", "4", "-r", "20", "-t", "1s",
        "-H", test_server.url, "--csv", "res", "--html", "report.html", "--no-store", "-q",
        "--allow-saturated",
        "--out", "out.json", cwd=workdir,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    doc = read_json(workdir / "out.json")
    assert [e["name"] for e in doc["endpoints"]] == ["read"]
    assert doc["meta"]["options"]["ramp_up"] == 0.0  # -r 20: 4 users over 0.2 s
    assert 0.9 <= doc["summary"]["duration_s"] < 5
    assert (workdir / "res_stats.csv").read_text().count("read") == 1
    assert "<svg" in (workdir / "report.html").read_text()


def test_tasksets_sequential_order_nesting_and_interrupt(
    workdir: Path, test_server: HttpTestServer
) -> None:
    proc, _ = _run(workdir, "tasksets.py", "--host", test_server.url, "-u", "1", "-n", "9")
    assert proc.returncode == 0, proc.stderr
    order = (workdir / "order.txt").read_text().split("\n")
    # Browse starts once; each Checkout round runs cart, pay, done in order, then interrupts
    # back to Browse, which enters a new Checkout at once.
    assert order == ["browse-start"] + ["cart", "pay", "done"] * 3


def test_sleeps_in_tasks_pause_only_their_user(workdir: Path, test_server: HttpTestServer) -> None:
    proc, doc = _run(workdir, "sleepers.py", "--host", test_server.url, "-u", "2", "-d", "2s")
    assert proc.returncode == 0, proc.stderr
    assert _count(doc, "GET", "busy") > 100  # a blocking sleep would allow about 4
    assert doc["summary"]["load"]["completed"] >= 100 + 3  # the sleeper's naps count too
    assert not any(e["method"] == "SCRIPT" for e in doc["endpoints"]), doc["endpoints"]


@pytest.mark.parametrize(
    ("flags", "names"),
    [
        (("--tags", "read"), {"read"}),
        (("-T", "admin,write"), {"admin", "write"}),
        (("--exclude-tags", "slow"), {"read", "plain", "admin"}),
    ],
)
def test_tags_pick_tasks(
    workdir: Path, test_server: HttpTestServer, flags: tuple[str, ...], names: set[str]
) -> None:
    proc, doc = _run(workdir, "tagged.py", "--host", test_server.url, "-u", "2", "-n", "30", *flags)
    assert proc.returncode == 0, proc.stderr
    assert {e["name"] for e in doc["endpoints"]} == names


def test_fixed_count_users_start_first(workdir: Path, test_server: HttpTestServer) -> None:
    proc, _doc = _run(workdir, "fixed.py", "--host", test_server.url, "-u", "5", "-d", "1s")
    assert proc.returncode == 0, proc.stderr
    assert (workdir / "users.txt").read_text() == "1 4"
    proc, _ = _run(workdir, "fixed.py", "--host", test_server.url, "--rate", "10", "-d", "1s")
    assert proc.returncode == 2
    assert "fixed_count" in proc.stderr and "Traceback" not in proc.stderr


def test_load_test_shape_sets_the_users(workdir: Path, test_server: HttpTestServer) -> None:
    proc, doc = _run(workdir, "shape.py", "--host", test_server.url, timeout_s=60)
    assert proc.returncode == 0, proc.stderr
    targets = [round(i["target"]) for i in doc["timeline"] if i["target"] is not None]
    assert targets[0] == 2 and 4 in targets and set(targets) == {2, 4}
    assert 3.5 <= doc["summary"]["duration_s"] < 8
    assert max(i["active_users"] for i in doc["timeline"]) == 4


def test_lifecycle_cookies_redirects_raise_for_status_and_stop_user(
    workdir: Path, test_server: HttpTestServer
) -> None:
    proc, doc = _run(workdir, "lifecycle.py", "--host", test_server.url, "-u", "3", "-d", "3s")
    assert proc.returncode in (0, 1), proc.stderr
    assert not any(e["method"] == "SCRIPT" for e in doc["endpoints"]), proc.stderr
    assert _count(doc, "GET", "moved") == 9  # three users, three visits each, then StopUser
    assert endpoint(doc, "GET", "broken")["failures"] == 9
    assert (workdir / "stops.txt").read_text() == "3"


def test_thresholds_workers_and_store_apply(workdir: Path, test_server: HttpTestServer) -> None:
    _copy(workdir, "fast_one.py")
    args = ("run", "fast_one.py", "--host", test_server.url, "-u", "4", "-d", "1s", "-q",
            "--allow-saturated")  # fmt: skip
    proc = run_surge(
        *args, "--workers", "2", "--threshold", "error_rate<1%", "--out", "a.json", cwd=workdir
    )
    assert proc.returncode == 0, proc.stderr
    doc = read_json(workdir / "a.json")
    assert len(doc["workers"]) == 2 and doc["thresholds"][0]["passed"] is True
    assert "stored as run 1" in proc.stdout
    proc = run_surge(*args, "--threshold", "p99<1us", cwd=workdir)
    assert proc.returncode == 1, proc.stdout
    assert "stored as run 2" in proc.stdout
    compared = run_surge("compare", "1", "2", cwd=workdir)
    assert compared.returncode in (0, 1, 5), compared.stderr


_TASK = "from locust import HttpUser, task\n\nclass U(HttpUser):\n    @task\n    def t(self):\n"
_UNSUPPORTED = [
    ("from locust import HttpUser\nfrom locust.runners import MasterRunner\nimport locust.stats\n",
     3, "locust.stats"),
    ("import gevent\n" + _TASK + "        gevent.spawn(print)\n", 7, "gevent.spawn"),
    (_TASK + "        self.client.post('/x', files={'f': b'x'})\n", 6, "files="),
    ("from locust import events\n\n@events.init_command_line_parser.add_listener\n"
     "def add(parser):\n    pass\n", 3, "init_command_line_parser"),
    (_TASK + "        print(self.environment.stats.total)\n", 6, "environment.stats"),
]  # fmt: skip


@pytest.mark.parametrize(("source", "line", "words"), _UNSUPPORTED)
def test_unsupported_constructs_fail_at_load_naming_the_line(
    workdir: Path, source: str, line: int, words: str
) -> None:
    (workdir / "lf.py").write_text(source)
    proc = run_surge("run", "lf.py", "--host", "http://127.0.0.1:9", "-d", "1s", cwd=workdir)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert f"lf.py:{line}:" in proc.stderr and words in proc.stderr, proc.stderr
    assert "not supported" in proc.stderr and "Traceback" not in proc.stderr


def test_a_task_that_raises_is_a_failed_iteration(
    workdir: Path, test_server: HttpTestServer
) -> None:
    proc, doc = _run(workdir, "failing.py", "--host", test_server.url, "--rate", "50", "-d", "2s")
    assert proc.returncode in (0, 1), proc.stderr
    load = doc["summary"]["load"]
    errors = endpoint(doc, "SCRIPT", "U.bad")
    assert errors["requests"] == errors["failures"] == load["failed"] > 10
    assert load["completed"] + load["failed"] == 100
    assert "ValueError: boom" in proc.stderr  # the first traceback is shown


def test_a_task_that_never_yields_ends_the_run_naming_it(workdir: Path) -> None:
    source = "from locust import User, task\n\nclass Spin(User):\n    @task\n    def t(self):\n"
    source += "        pass\n"
    (workdir / "spin.py").write_text(source)
    proc = run_surge("run", "spin.py", "--host", "http://127.0.0.1:9", "-u", "1", "-d", "20s", "-q",
                     "--no-store", cwd=workdir, timeout_s=60)  # fmt: skip
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Spin.t never yields" in proc.stdout + proc.stderr
