"""Which line of the user's own code an exception came from.

A check that surge's API makes (`between(2, 1)`, a bad header) raises inside surge, so the
innermost frame of its traceback is surge's, not the line the user has to edit. The user's
frame is the innermost one that is neither surge's own code, nor the standard library, nor an
installed package, nor generated code (`<string>`).
"""

from __future__ import annotations

import os
import sysconfig
import traceback
from functools import cache
from pathlib import Path

_SURGE_DIR = str(Path(__file__).resolve().parent.parent)


@cache
def _library_dirs() -> tuple[str, ...]:
    paths = sysconfig.get_paths()
    found = {_SURGE_DIR}
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        if key in paths:
            found.add(str(Path(paths[key]).resolve()))
    return tuple(sorted(found))


def is_user_file(filename: str) -> bool:
    """False for surge's own modules, the standard library, installed packages and code
    generated at run time."""
    if not filename or filename.startswith("<"):
        return False
    resolved = str(Path(filename).resolve())
    return not any(resolved == lib or resolved.startswith(lib + os.sep) for lib in _library_dirs())


def user_frame(exc: BaseException) -> traceback.FrameSummary | None:
    """The innermost frame of `exc`'s traceback in the user's code, if any."""
    frames = traceback.extract_tb(exc.__traceback__)
    for frame in reversed(frames):
        if is_user_file(frame.filename):
            return frame
    return None


def shown_path(filename: str) -> str:
    """A path as a message shows it: relative to the working directory when inside it."""
    try:
        relative = os.path.relpath(filename)
    except ValueError:  # another drive (Windows)
        return filename
    return filename if relative.startswith(os.pardir) else relative


def raised_at(exc: BaseException) -> str | None:
    """`file:line` of the user's line that raised `exc` (None when no frame is the user's)."""
    frame = user_frame(exc)
    if frame is None:
        return None
    return f"{shown_path(frame.filename)}:{frame.lineno}"


def describe_error(exc: BaseException) -> str:
    """`ValueError: message (at scenario.py:16)`: what was raised, and at which user line."""
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    where = raised_at(exc)
    return f"{text} (at {where})" if where is not None else text
