"""The user's line in a traceback: not surge's, not the standard library's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from surge.scenario.tracebacks import describe_error, is_user_file, raised_at, user_frame


def _run(tmp_path: Path, source: str) -> BaseException:
    path = tmp_path / "user_code.py"
    path.write_text(source)
    code = compile(source, str(path), "exec")
    with pytest.raises(Exception) as caught:
        exec(code, {})
    return caught.value


def test_a_check_inside_surge_is_blamed_on_the_line_that_called_it(tmp_path: Path) -> None:
    exc = _run(tmp_path, "import surge\n\nsurge.between(2, 1)\n")
    frame = user_frame(exc)
    assert frame is not None and Path(frame.filename).name == "user_code.py"
    assert frame.lineno == 3
    where = raised_at(exc)
    assert where is not None and where.endswith("user_code.py:3")
    text = describe_error(exc)
    assert text.startswith("ValueError: between(min_s, max_s): min_s (2)")
    assert text.endswith("user_code.py:3)")


def test_an_error_inside_the_standard_library_is_blamed_on_the_users_call(
    tmp_path: Path,
) -> None:
    exc = _run(tmp_path, "import json\n\n\njson.loads('{')\n")
    where = raised_at(exc)
    assert where is not None and where.endswith("user_code.py:4")


def test_library_files_are_not_the_users() -> None:
    assert not is_user_file(json.__file__)
    assert not is_user_file(pytest.__file__)
    assert not is_user_file("<string>")
    import surge.scenario.wait as wait

    assert not is_user_file(wait.__file__)
    assert is_user_file(__file__)


def test_no_user_frame_gives_the_error_alone() -> None:
    with pytest.raises(ValueError) as caught:
        json.loads("{")
    # raised in the standard library, called from this test (a user file): blamed here
    assert raised_at(caught.value) is not None
    assert describe_error(KeyError("x")) == "KeyError: 'x'"
