"""What the plugin's parts share (no surge import): which xdist process this is, the key a
worker's benches travel under, and whether an item uses a fixture.

Kept apart from `surge_pytest.plugin` so the session (`surge.pytest_plugin.session`) can use it
without importing the plugin that imports the session.
"""

from __future__ import annotations

import pytest

WORKER_OUTPUT = "surge_benches"  # the key of a worker's benches in xdist's workeroutput
XDIST_SKIP_MARK = "surge: benchmarks are not timed under xdist"


def xdist_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def xdist_controller(config: pytest.Config) -> bool:
    if xdist_worker(config):
        return False
    processes = config.getoption("numprocesses", None)
    return bool(processes) and config.getoption("dist", "no") != "no"


def uses(item: pytest.Item, names: tuple[str, ...]) -> bool:
    fixturenames = getattr(item, "fixturenames", ())
    return any(name in fixturenames for name in names)
