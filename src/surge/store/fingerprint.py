"""The fingerprint of a run: tool version, git state of the working directory, machine, options."""

from __future__ import annotations

import os
import platform
import socket
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from surge.store.codec import to_json_value
from surge.store.model import Fingerprint
from surge.version import __version__

GIT_TIMEOUT_S = 5.0


def _git(cwd: Path, *args: str) -> str | None:
    try:
        proc = subprocess.run(
            ["git", *args],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return proc.stdout.strip() if proc.returncode == 0 else None


def git_state(cwd: Path) -> tuple[str | None, bool | None]:
    """(commit, dirty) of the git work tree holding `cwd`; (None, None) outside one or without
    git. Dirty means tracked files differ from the commit (untracked files do not count)."""
    commit = _git(cwd, "rev-parse", "HEAD")
    if not commit:
        return None, None
    status = _git(cwd, "status", "--porcelain", "--untracked-files=no")
    return commit, None if status is None else bool(status)


def fingerprint(options: Mapping[str, Any], cwd: Path | None = None) -> Fingerprint:
    """The fingerprint of a run made now, here, with `options` (already redacted)."""
    commit, dirty = git_state(cwd or Path.cwd())
    return Fingerprint(
        surge_version=__version__,
        git_commit=commit,
        git_dirty=dirty,
        host=socket.gethostname(),
        cpu_count=os.cpu_count() or 1,
        python=platform.python_version(),
        platform=f"{sys.platform}-{platform.machine()}",
        options=to_json_value(dict(options)),
    )
