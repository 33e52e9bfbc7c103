"""The processes a process started (and theirs), cheaply enough to ask every second.

psutil's `Process.children(recursive=True)` reads the stat file of every process on the machine
to build a parent map: on a machine with a few hundred processes that is tens of milliseconds of
Python, every second, on the resource sampler's thread, holding the interpreter lock the run's
event loop needs. Linux lists a thread's children in `/proc/PID/task/TID/children`: reading
those few files finds the same processes. Elsewhere (or on a kernel without those files) psutil
does it as before.
"""

from __future__ import annotations

import functools
import os

import psutil  # type: ignore[import-untyped]


@functools.cache
def _children_files() -> bool:
    """Whether this kernel lists children per thread (CONFIG_PROC_CHILDREN)."""
    pid = os.getpid()
    return os.path.exists(f"/proc/{pid}/task/{pid}/children")


def _children_of(pid: int) -> list[int]:
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return []  # gone (or unreadable): it has no children we can sample
    found: list[int] = []
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/children", "rb") as listing:
                found.extend(int(child) for child in listing.read().split())
        except OSError:
            continue  # the thread ended meanwhile
    return found


def descendant_pids(root: psutil.Process) -> list[int]:
    """The pids of every process `root` started, and of theirs, recursively."""
    if not _children_files():
        return [child.pid for child in root.children(recursive=True)]
    out: list[int] = []
    todo = _children_of(root.pid)
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(_children_of(pid))
    return out
