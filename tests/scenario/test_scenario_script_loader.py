"""Loading Python scenario scripts."""

from __future__ import annotations

import re
import sys
import textwrap
from pathlib import Path

import pytest

from surge.scenario.errors import ScenarioError
from surge.scenario.loader import load_scenario
from surge.scenario.model import ScenarioKind, ThresholdEntry
from surge.scenario.script_loader import load_script
from surge.scenario.shape import LoadShape
from surge.scenario.user import tasks_of
from surge.scenario.wait import BetweenWait
from surge.thresholds import Threshold, specs_from_entries

HEADER = """\
from surge.scenario.user import User, task
from surge.scenario.wait import between, constant
"""


def write(folder: Path, name: str, body: str) -> Path:
    path = folder / name
    path.write_text(HEADER + textwrap.dedent(body), encoding="utf-8")
    return path


def line_of(path: Path, needle: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(n for n, text in enumerate(lines, start=1) if needle in text)


def load_error(path: Path) -> ScenarioError:
    with pytest.raises(ScenarioError) as caught:
        load_script(path)
    return caught.value


SHOP = """
class Shopper(User):
    weight = 3
    wait_time = between(0.5, 2.0)
    host = "http://127.0.0.1:8000"

    async def on_start(self) -> None:
        self.http.headers["Authorization"] = "Bearer x"

    @task(3)
    async def browse(self) -> None:
        await self.http.get("/items", params={"page": 1}, name="/items")

    @task
    async def view(self) -> None: ...


class Admin(User):
    wait_time = constant(1)

    @task
    async def report(self) -> None: ...
"""


def test_loads_user_classes_with_weights_in_module_order(tmp_path: Path) -> None:
    path = write(tmp_path, "shop.py", SHOP)
    scenario = load_script(path)
    assert scenario.kind is ScenarioKind.SCRIPT
    assert scenario.name == "shop"
    assert scenario.source == path
    assert [c.__name__ for c in scenario.user_classes] == ["Shopper", "Admin"]
    assert scenario.weights == (3, 1)
    assert scenario.host == "http://127.0.0.1:8000"
    assert scenario.endpoint is None
    assert dict(scenario.overrides) == {}
    shopper = scenario.user_classes[0]
    assert isinstance(shopper.wait_time, BetweenWait)
    assert [(t.name, t.weight) for t in tasks_of(shopper)] == [("browse", 3), ("view", 1)]


def test_load_scenario_dispatches_py_to_one_scenario(tmp_path: Path) -> None:
    path = write(tmp_path, "shop.py", SHOP)
    (scenario,) = load_scenario(path)
    assert scenario.name == "shop"


def test_each_load_gets_fresh_classes_and_sys_path_is_restored(tmp_path: Path) -> None:
    path = write(tmp_path, "shop.py", SHOP)
    before = list(sys.path)
    first, second = load_script(path), load_script(path)
    assert sys.path == before
    assert first.user_classes[0] is not second.user_classes[0]


def test_sibling_imports_and_abstract_bases(tmp_path: Path) -> None:
    write(
        tmp_path,
        "surge_sibling_common.py",
        """
        class Base(User):
            abstract = True
            host = "http://localhost:9000"

            @task
            async def ping(self) -> None: ...
        """,
    )
    path = write(
        tmp_path,
        "main.py",
        """
        from surge_sibling_common import Base

        class Reader(Base):
            @task(2)
            async def read(self) -> None: ...
        """,
    )
    scenario = load_script(path)
    assert [c.__name__ for c in scenario.user_classes] == ["Reader"]
    assert scenario.host == "http://localhost:9000"
    assert [t.name for t in tasks_of(scenario.user_classes[0])] == ["ping", "read"]
    assert str(tmp_path) not in sys.path


def test_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "broken.py", "x = 1\n\ndef f(:\n    pass\n")
    error = load_error(path)
    assert error.path == path
    assert error.line == line_of(path, "def f(:")
    assert "syntax error" in error.message
    assert str(error).startswith(f"{path}:{error.line}: syntax error")


def test_exception_at_import_names_the_innermost_line_in_the_script(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "raises.py",
        """
        def explode():
            return {}["token"]

        explode()
        """,
    )
    error = load_error(path)
    assert error.path == path
    assert error.line == line_of(path, 'return {}["token"]')
    assert "KeyError: 'token'" in error.message
    assert isinstance(error.__cause__, KeyError)


def test_a_check_of_surges_api_is_reported_at_the_users_line_not_surges(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "swapped.py",
        """
        import surge


        class Browse(surge.User):
            wait_time = surge.between(2, 1)

            @surge.task
            async def home(self) -> None:
                await self.http.get("/")
        """,
    )
    error = load_error(path)
    assert (error.path, error.line) == (path, line_of(path, "surge.between(2, 1)"))
    assert "min_s (2) must not exceed max_s (1)" in error.message
    assert "wait.py" not in error.message and "surge/" not in error.message


def test_missing_module_suggests_installing_it(tmp_path: Path) -> None:
    path = write(tmp_path, "deps.py", "import surge_no_such_module_xyz\n")
    error = load_error(path)
    assert error.line == line_of(path, "import surge_no_such_module_xyz")
    assert "ModuleNotFoundError" in error.message
    assert "install 'surge_no_such_module_xyz'" in error.message


def test_exception_in_sibling_module_points_at_the_import_line(tmp_path: Path) -> None:
    (tmp_path / "surge_sibling_bad.py").write_text("raise RuntimeError('boom')\n")
    path = write(tmp_path, "uses_bad.py", "import surge_sibling_bad\n")
    error = load_error(path)
    assert error.path == path
    assert error.line == line_of(path, "import surge_sibling_bad")
    assert "RuntimeError: boom" in error.message
    assert "surge_sibling_bad.py:1" in error.message


def test_system_exit_at_import_is_reported(tmp_path: Path) -> None:
    path = write(tmp_path, "exits.py", "import sys\nsys.exit(3)\n")
    error = load_error(path)
    assert "SystemExit: 3" in error.message
    assert error.line == 4


def test_sync_task_in_script_names_script_and_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "sync_task.py",
        """
        class Shopper(User):
            @task
            def browse(self) -> None: ...
        """,
    )
    error = load_error(path)
    assert error.path == path
    assert error.line in (line_of(path, "@task"), line_of(path, "def browse"))
    assert "async def browse(self)" in error.message


def test_no_user_classes(tmp_path: Path) -> None:
    path = write(tmp_path, "empty.py", "x = 1\n")
    error = load_error(path)
    assert error.path == path
    assert "no User classes found" in error.message


def test_only_abstract_classes_means_no_user_classes(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "abstract_only.py",
        """
        class Base(User):
            abstract = True
        """,
    )
    assert "no User classes found" in load_error(path).message


def test_class_without_tasks_names_class_and_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "no_tasks.py",
        """
        class Idle(User):
            async def helper(self) -> None: ...
        """,
    )
    error = load_error(path)
    assert error.line == line_of(path, "class Idle")
    assert "'Idle' has no tasks" in error.message
    assert "abstract = True" in error.message


@pytest.mark.parametrize(
    ("attribute", "value", "match"),
    [
        ("weight", "0", r"Bad.weight is 0"),
        ("weight", "2.5", r"Bad.weight is 2.5"),
        ("weight", "True", r"Bad.weight is True"),
        ("wait_time", "1.5", r"Bad.wait_time is 1.5; use surge.between"),
        ("wait_time", "lambda self: 1", r"Bad.wait_time is .*; use surge.between"),
        ("host", "8000", r"Bad.host must be a URL string"),
        ("host", "'localhost:8000'", r"Bad.host: invalid URL"),
    ],
)
def test_bad_class_attributes_name_their_line(
    tmp_path: Path, attribute: str, value: str, match: str
) -> None:
    path = write(
        tmp_path,
        "bad_attr.py",
        f"""
        class Bad(User):
            '''docstring'''

            {attribute} = {value}

            @task
            async def go(self) -> None: ...
        """,
    )
    error = load_error(path)
    assert error.line == line_of(path, f"{attribute} = {value}")
    assert error.path == path
    assert re.search(match, error.message), error.message


def test_sync_on_start_is_rejected(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "sync_hook.py",
        """
        class Shopper(User):
            def on_start(self) -> None: ...

            @task
            async def go(self) -> None: ...
        """,
    )
    error = load_error(path)
    assert error.line == line_of(path, "def on_start")
    assert "Shopper.on_start must be a coroutine" in error.message


def test_missing_script(tmp_path: Path) -> None:
    error = load_error(tmp_path / "absent.py")
    assert "not found" in error.message


@pytest.mark.parametrize("name", ["scenario.yaml", "scenario"])
def test_load_scenario_rejects_other_suffixes(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text("x")
    with pytest.raises(ScenarioError, match=r"unsupported scenario file type .*\.py, \.toml"):
        load_scenario(path)


def test_load_scenario_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="not found") as caught:
        load_scenario(tmp_path / "absent.toml")
    assert caught.value.path == tmp_path / "absent.toml"


# --- thresholds and load shapes --------------------------------------------------------------

ONE_USER = """
class Shopper(User):
    @task
    async def browse(self) -> None: ...
"""


def test_thresholds_list_is_kept_unparsed_with_each_items_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "sla.py",
        ONE_USER
        + """
from surge.thresholds import Threshold

thresholds = [
    "p95<200ms",
    Threshold(max_p99_ms=800, endpoint="GET /items"),
    "error_rate<1%",
]
""",
    )
    scenario = load_script(path)
    first, second, third = scenario.thresholds
    assert first == ThresholdEntry("p95<200ms", f"{path}:{line_of(path, 'p95<200ms')}")
    assert second.where == f"{path}:{line_of(path, 'Threshold(max_p99_ms')}"
    assert second.value == Threshold(max_p99_ms=800, endpoint="GET /items")
    assert third == ThresholdEntry("error_rate<1%", f"{path}:{line_of(path, 'error_rate<1%')}")
    assert (first.abort_on_fail, first.grace_s) == (False, None)
    specs = specs_from_entries(scenario.thresholds)
    assert [s.expression for s in specs] == ["p95<200ms", "GET /items: p99<=800ms", "error_rate<1%"]


def test_a_computed_thresholds_list_points_at_its_assignment(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "computed.py",
        ONE_USER + '\nLIMIT = 300\nthresholds = [f"p{n}<{LIMIT}ms" for n in (95, 99)]\n',
    )
    entries = load_script(path).thresholds
    line = line_of(path, "thresholds = [f")
    assert entries == (
        ThresholdEntry("p95<300ms", f"{path}:{line}"),
        ThresholdEntry("p99<300ms", f"{path}:{line}"),
    )


def test_no_thresholds_and_no_shape(tmp_path: Path) -> None:
    scenario = load_script(write(tmp_path, "plain.py", ONE_USER))
    assert scenario.thresholds == ()
    assert scenario.shape is None


def test_the_thresholds_package_imported_by_name_is_not_a_thresholds_list(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, "imports.py", ONE_USER + "from surge import thresholds\n")
    assert load_script(path).thresholds == ()


@pytest.mark.parametrize(
    ("assignment", "match", "needle"),
    [
        (
            'thresholds = "p95<200ms"',
            r"thresholds must be a list, got str 'p95<200ms'",
            "thresholds =",
        ),
        ('thresholds = ("p95<1s",)', r"thresholds must be a list, got tuple", "thresholds ="),
        ("thresholds = {'p95': 200}", r'write thresholds = \["p95<200ms"', "thresholds ="),
        ('thresholds = [\n    "p95<1s",\n    200,\n]', r"thresholds item 2 is int 200", "    200,"),
        ("thresholds = [None]", r"thresholds item 1 is NoneType None; use an expression", "None]"),
    ],
)
def test_bad_thresholds_name_the_line(
    tmp_path: Path, assignment: str, match: str, needle: str
) -> None:
    path = write(tmp_path, "bad_thresholds.py", ONE_USER + "\n" + assignment + "\n")
    error = load_error(path)
    assert error.path == path
    assert re.search(match, error.message), error.message
    assert error.line == line_of(path, needle)


SHAPE_HEADER = "from surge.scenario.shape import LoadShape\n"


def test_a_load_shape_is_found(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "shaped.py",
        SHAPE_HEADER
        + ONE_USER
        + """
class Base(LoadShape):
    '''An unfinished base: no tick, so not a shape of its own.'''

    kind = "rate"


class Waves(Base):
    def tick(self, elapsed_s: float) -> float | None:
        return None if elapsed_s > 60 else 50.0
""",
    )
    scenario = load_script(path)
    assert scenario.shape is not None
    assert scenario.shape.__name__ == "Waves"
    assert issubclass(scenario.shape, LoadShape)
    shape = scenario.shape()
    assert shape.kind == "rate"
    assert shape.tick(1.0) == 50.0


def test_two_load_shapes_are_an_error_naming_both(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "two_shapes.py",
        SHAPE_HEADER
        + ONE_USER
        + """
class Ramp(LoadShape):
    def tick(self, elapsed_s: float) -> float | None:
        return elapsed_s


class Spike(LoadShape):
    def tick(self, elapsed_s: float) -> float | None:
        return 100.0
""",
    )
    error = load_error(path)
    assert "two load shapes, Ramp and Spike" in error.message
    assert error.line == line_of(path, "class Spike")


def test_a_shape_without_tick_is_reported(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "no_tick.py",
        SHAPE_HEADER
        + ONE_USER
        + """
class Steps(LoadShape):
    def tik(self, elapsed_s: float) -> float | None:
        return 1.0
""",
    )
    error = load_error(path)
    assert "load shape Steps has no `tick` method" in error.message
    assert error.line == line_of(path, "class Steps")


@pytest.mark.parametrize(
    ("body", "match", "needle"),
    [
        (
            '    kind = "rps"\n\n    def tick(self, elapsed_s: float) -> float | None:\n'
            "        return 1.0\n",
            r'Bad.kind is \'rps\'; use "users"',
            'kind = "rps"',
        ),
        (
            "    async def tick(self, elapsed_s: float) -> float | None:\n        return 1.0\n",
            r"Bad.tick must be a plain function",
            "async def tick",
        ),
        (
            "    def __init__(self, peak: int) -> None:\n        self.peak = peak\n\n"
            "    def tick(self, elapsed_s: float) -> float | None:\n        return 1.0\n",
            r"Bad must be creatable without arguments",
            "class Bad",
        ),
    ],
)
def test_bad_load_shapes_name_their_line(
    tmp_path: Path, body: str, match: str, needle: str
) -> None:
    path = write(
        tmp_path, "bad_shape.py", SHAPE_HEADER + ONE_USER + "\nclass Bad(LoadShape):\n" + body
    )
    error = load_error(path)
    assert error.path == path
    assert re.search(match, error.message), error.message
    assert error.line == line_of(path, needle)


def test_a_shape_imported_from_a_sibling_module_is_used(tmp_path: Path) -> None:
    (tmp_path / "surge_sibling_shapes.py").write_text(
        SHAPE_HEADER
        + "class Flat(LoadShape):\n    def tick(self, elapsed_s: float) -> float | None:\n"
        "        return 5.0\n"
    )
    path = write(tmp_path, "uses_shape.py", "from surge_sibling_shapes import Flat\n" + ONE_USER)
    shape = load_script(path).shape
    assert shape is not None and shape.__name__ == "Flat"
