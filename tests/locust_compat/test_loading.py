"""Loading a locustfile: scoped names, no global effects, classes, tags, fixed counts, waits."""

from __future__ import annotations

import random
import subprocess
import sys
import time
import types
from pathlib import Path

import pytest

from surge.locust.classes import class_chooser
from surge.locust.loader import Selection, load_locustfile
from surge.locust.wait import between, constant_pacing
from surge.scenario import ScenarioError, ScenarioKind
from surge.schedule import LoadProfile, compile_plan

LOCUSTFILE = """\
import time
from locust import HttpUser, TaskSet, tag, task, between

class Admin(TaskSet):
    @tag("admin")
    @task
    def panel(self):
        pass

class Web(HttpUser):
    weight = 3
    wait_time = between(1, 2)
    tasks = {Admin: 2}

    @tag("read")
    @task(5)
    def index(self):
        pass

class Api(HttpUser):
    host = "http://127.0.0.1:9"
    fixed_count = 2

    @task
    def call(self):
        time.sleep(0)

SLEEP = time.sleep
"""


@pytest.fixture
def locustfile(tmp_path: Path) -> Path:
    path = tmp_path / "lf.py"
    path.write_text(LOCUSTFILE)
    return path


def test_import_surge_loads_no_locust_names_and_no_greenlet() -> None:
    names = "('surge.locust', 'greenlet', 'locust', 'gevent')"
    code = f"import sys, surge; print(sorted(m for m in sys.modules if m.startswith({names})))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_names_are_served_only_while_the_file_loads(locustfile: Path) -> None:
    real = types.ModuleType("locust")
    sys.modules["locust"] = real
    finders = list(sys.meta_path)
    try:
        scenario = load_locustfile(locustfile)
        assert sys.modules["locust"] is real  # put back as it was
        assert "locust.user" not in sys.modules and "gevent" not in sys.modules
        assert sys.meta_path == finders
    finally:
        del sys.modules["locust"]
    assert scenario.kind is ScenarioKind.LOCUST
    module = sys.modules[scenario.locustfile.classes[0].__module__]  # type: ignore[union-attr]
    assert module.SLEEP is not time.sleep  # the locustfile's time.sleep yields...
    assert time.sleep.__module__ == "time"  # ...and the real one is untouched


def test_classes_weights_hosts_and_tags(locustfile: Path) -> None:
    scenario = load_locustfile(locustfile)
    lf = scenario.locustfile
    assert [c.__name__ for c in lf.classes] == ["Web", "Api"]  # type: ignore[union-attr]
    assert scenario.weights == (3, 1) and lf.fixed_counts == (0, 2)  # type: ignore[union-attr]
    assert scenario.host == "http://127.0.0.1:9"
    web = lf.classes[0]  # type: ignore[union-attr]
    assert [getattr(t, "__name__", None) for t in web.tasks].count("index") == 5
    picked = load_locustfile(locustfile, Selection(("Web",), tags=("read",))).locustfile
    assert [c.__name__ for c in picked.classes] == ["Web"]  # type: ignore[union-attr]
    assert {t.__name__ for t in picked.classes[0].tasks} == {"index"}  # type: ignore[union-attr]
    admin_only = load_locustfile(locustfile, Selection(exclude_tags=("read",))).locustfile
    names = [c.__name__ for c in admin_only.classes]  # type: ignore[union-attr]
    assert names == ["Web", "Api"]  # Api's untagged task stays; Web keeps the Admin set


def test_bad_selection_is_an_error_naming_the_classes(locustfile: Path) -> None:
    with pytest.raises(ScenarioError, match=r"no user class 'Nope'.*Web, Api"):
        load_locustfile(locustfile, Selection(("Nope",)))
    with pytest.raises(ScenarioError, match="leave no task"):
        load_locustfile(locustfile, Selection(tags=("missing",)))


def test_a_class_without_tasks_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "lf.py"
    path.write_text("from locust import HttpUser\n\n\nclass Empty(HttpUser):\n    pass\n")
    with pytest.raises(ScenarioError) as caught:
        load_locustfile(path)
    assert caught.value.line == 4 and "has no tasks" in caught.value.message


def test_fixed_count_users_come_first_then_the_weights() -> None:
    plan = compile_plan(LoadProfile(users=10), (3, 1, 1))
    class_of = class_chooser((0, 2, 0), (3, 1, 1), plan)
    picks = [class_of(i) for i in range(10)]
    assert picks[:2] == [1, 1]
    rest = picks[2:]
    assert rest.count(1) == 0 and rest.count(0) == 6 and rest.count(2) == 2


def test_wait_functions() -> None:
    class Holder:
        _surge_rng = random.Random(1)
        _surge_task_started: float | None = None

    holder = Holder()
    waits = [between(1, 2)(holder) for _ in range(100)]
    assert all(1 <= w <= 2 for w in waits) and len(set(waits)) > 50
    holder._surge_task_started = time.perf_counter() - 0.25
    assert 0.7 < constant_pacing(1)(holder) <= 0.75
