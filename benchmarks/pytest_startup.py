#!/usr/bin/env python3
"""What surge's pytest plugin costs a session that does not use it: pytest's start-up with the
plugin installed against the same session with it blocked (`-p no:surge`), side by side, and
the plugin module's own import time.

    python benchmarks/pytest_startup.py                # 20 sessions each way, pinned to CPU 1
    python benchmarks/pytest_startup.py --runs 40 --cpu 0

Each session collects one plain test file (`pytest --collect-only -q`) in a scratch folder with
no pyproject.toml, no SURGE_PYTEST_* variable; the two kinds alternate so that machine noise
hits both alike. Prints the medians and their ratio.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TEST_FILE = "def test_plain():\n    assert True\n"


def session_s(cpu: int, folder: Path, blocked: bool) -> float:
    prefix = ["taskset", "-c", str(cpu)] if shutil.which("taskset") else []
    argv = [*prefix, sys.executable, "-m", "pytest", "--collect-only", "-q", "-p",
            "no:cacheprovider", *(["-p", "no:surge"] if blocked else [])]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith("SURGE_PYTEST_")}
    start = time.perf_counter()
    subprocess.run(argv, cwd=folder, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def import_us(cpu: int, module: str) -> int:
    """The cumulative import time of `module` (µs, -X importtime), in a fresh interpreter."""
    prefix = ["taskset", "-c", str(cpu)] if shutil.which("taskset") else []
    done = subprocess.run(
        [*prefix, sys.executable, "-X", "importtime", "-c", f"import {module}"],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    pattern = rf"\|\s*(\d+)\s*\|\s*{re.escape(module)}$"
    found = [int(m.group(1)) for m in re.finditer(pattern, done.stderr, flags=re.M)]
    return found[-1] if found else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--cpu", type=int, default=1)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="surge-startup-"))
    (folder / "test_plain.py").write_text(TEST_FILE)
    with_plugin: list[float] = []
    without: list[float] = []
    session_s(args.cpu, folder, False)  # warm the file system caches
    for _ in range(args.runs):
        with_plugin.append(session_s(args.cpu, folder, False))
        without.append(session_s(args.cpu, folder, True))
    a, b = statistics.median(with_plugin), statistics.median(without)
    print(f"pytest --collect-only, median of {args.runs} sessions each, pinned to CPU {args.cpu}")
    print(f"  with surge's plugin:      {a * 1000:8.1f} ms")
    print(f"  with it blocked:          {b * 1000:8.1f} ms")
    print(f"  ratio:                    {a / b:8.3f} x  (difference {1000 * (a - b):+.1f} ms)")
    plugin_us = import_us(args.cpu, "surge_pytest.plugin")
    pytest_us = import_us(args.cpu, "pytest")
    surge_us = import_us(args.cpu, "surge")
    print(f"import surge_pytest.plugin: {plugin_us / 1000:8.1f} ms (pytest itself included)")
    print(f"import pytest:              {pytest_us / 1000:8.1f} ms")
    print(f"import surge (not done):    {surge_us / 1000:8.1f} ms")
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
