"""Helpers for the pytest plugin's tests: real pytest sessions through `pytester`.

The plugin's modules (and what they import on first use: the statistics, the report writers,
scipy.sparse and scipy.stats for compare) are imported here, before any inner session: pytester
drops the modules an in-process session imported when it ends, and numpy's and scipy's cannot be
loaded twice in a process.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import scipy.sparse
import scipy.stats  # noqa: F401 (see the docstring)

import surge.compare_api
import surge.pytest_plugin.compare
import surge.pytest_plugin.fixture
import surge.pytest_plugin.load
import surge.pytest_plugin.ptb_json
import surge.pytest_plugin.session
import surge.report
import surge.report.html
import surge.report.text_report
import surge.runner
import surge.runner.compare_step
import surge.store
import surge.testing  # noqa: F401 (see the docstring)

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)

FAST = ("--surge-max-time=0.05", "-p", "no:cacheprovider", "-W", "error")


@pytest.fixture
def fast() -> tuple[str, ...]:
    """Options for a quick inner session: short benches, warnings as errors."""
    return FAST
