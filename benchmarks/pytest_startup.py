#!/usr/bin/env python3
"""What surge's pytest plugin costs a session that does not use it, beside what pytest-benchmark
costs the same session: pytest start-up and a plain test run with neither plugin, with surge's
(installed, unused), with pytest-benchmark's (installed, unused), and each plugin module's own
import time.

    python benchmarks/pytest_startup.py                # 20 sessions of each kind, pinned to CPU 1
    python benchmarks/pytest_startup.py --runs 40 --cpu 0
    python benchmarks/pytest_startup.py --suite 3   # also: collecting surge's own suite, 3 each

Each session runs one plain test file (50 trivial tests, `pytest -q -p no:cacheprovider`) in a
scratch folder with no pyproject.toml and no SURGE_PYTEST_* variable. The kinds alternate, so
machine noise hits them alike. "neither" blocks surge's plugin (`-p no:surge`); "surge" is the
session as a user with surge installed gets it; "pytest-benchmark" blocks surge's and puts
pytest-benchmark (installed once into .bench/pytest-benchmark, never into surge's environment)
on the path. Prints each kind's median wall and CPU (user + system) time, its difference from
"neither" and the ratio of the two plugins' costs. `--suite N` also collects surge's own test
suite (`pytest --collect-only -q` in the repository) N times with the plugin and N times with it
blocked, alternating: what the plugin costs surge's own suite, which does not use it.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PTB_TARGET = ROOT / ".bench" / "pytest-benchmark"
TEST_FILE = (
    "import pytest\n\n\n"
    "@pytest.mark.parametrize('n', range(50))\n"
    "def test_plain(n):\n"
    "    assert n >= 0\n"
)
KINDS = ("neither", "surge", "pytest-benchmark")


def pytest_benchmark_path() -> Path:
    """pytest-benchmark in a folder of its own (installed once with pip, from PyPI)."""
    if not (PTB_TARGET / "pytest_benchmark").is_dir():
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target",
             str(PTB_TARGET), "pytest-benchmark>=4", "py-cpuinfo"],
            check=True,
        )  # fmt: skip
    return PTB_TARGET


def pinned(cpu: int) -> list[str]:
    return ["taskset", "-c", str(cpu)] if shutil.which("taskset") else []


def environment(kind: str, ptb: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SURGE_PYTEST_")}
    env.pop("PYTEST_ADDOPTS", None)
    if kind == "pytest-benchmark":
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ptb), env.get("PYTHONPATH")]))
    return env


def cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def session_s(cpu: int, folder: Path, kind: str, ptb: Path) -> tuple[float, float]:
    """One session's wall seconds and CPU seconds (user + system: what a busy machine moves
    far less than the wall time)."""
    blocked = ["-p", "no:surge"] if kind != "surge" else []
    argv = [*pinned(cpu), sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
            "-p", "no:xdist", *blocked]  # fmt: skip
    start, start_cpu = time.perf_counter(), cpu_s()
    done = subprocess.run(argv, cwd=folder, env=environment(kind, ptb), capture_output=True)
    elapsed, elapsed_cpu = time.perf_counter() - start, cpu_s() - start_cpu
    if done.returncode != 0 or b"50 passed" not in done.stdout:
        sys.exit(f"the {kind} session failed:\n{done.stdout.decode()}{done.stderr.decode()}")
    return elapsed, elapsed_cpu


def suite_collection(cpu: int, runs: int) -> None:
    argv = [*pinned(cpu), sys.executable, "-m", "pytest", "--collect-only", "-q"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("SURGE_PYTEST_")}
    times: dict[bool, list[float]] = {True: [], False: []}
    for _ in range(runs):
        for plugin in (True, False):
            blocked = [] if plugin else ["-p", "no:surge"]
            start = cpu_s()
            subprocess.run([*argv, *blocked], cwd=ROOT, env=env, check=True, capture_output=True)
            times[plugin].append(cpu_s() - start)
    a, b = statistics.median(times[True]), statistics.median(times[False])
    print(f"collecting surge's own suite, CPU (user + system), median of {runs} each:")
    print(f"  with the plugin:    {a:7.2f} s")
    print(f"  with it blocked:    {b:7.2f} s   (ratio {a / b:.3f})")


def import_ms(cpu: int, module: str, ptb: Path) -> float:
    """The cumulative import time of `module` (ms, -X importtime) after pytest's, in a fresh
    interpreter: the plugin module's own cost."""
    env = environment("pytest-benchmark", ptb)
    done = subprocess.run(
        [*pinned(cpu), sys.executable, "-X", "importtime", "-c", f"import pytest; import {module}"],
        check=True, capture_output=True, text=True, env=env,
    )  # fmt: skip
    pattern = rf"\|\s*(\d+)\s*\|\s*{re.escape(module)}$"
    found = [int(m.group(1)) for m in re.finditer(pattern, done.stderr, flags=re.M)]
    return found[-1] / 1000 if found else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--cpu", type=int, default=1)
    parser.add_argument("--suite", type=int, default=0, metavar="N")
    args = parser.parse_args()
    ptb = pytest_benchmark_path()
    folder = Path(tempfile.mkdtemp(prefix="surge-startup-"))
    (folder / "test_plain.py").write_text(TEST_FILE)
    times: dict[str, list[tuple[float, float]]] = {kind: [] for kind in KINDS}
    for kind in KINDS:  # warm the file system caches and byte code
        session_s(args.cpu, folder, kind, ptb)
    for _ in range(args.runs):
        for kind in KINDS:
            times[kind].append(session_s(args.cpu, folder, kind, ptb))
    print(f"pytest session of 50 plain tests, median of {args.runs} each, pinned to CPU {args.cpu}")
    for index, what in ((0, "wall"), (1, "CPU (user + system)")):
        median = {k: statistics.median(v[index] for v in times[k]) * 1000 for k in KINDS}
        print(f" {what}:")
        for kind in KINDS:
            extra = median[kind] - median["neither"]
            print(f"  {kind + ':':<19}{median[kind]:8.1f} ms   ({extra:+6.1f} ms, "
                  f"{median[kind] / median['neither']:.3f} x neither)")  # fmt: skip
        cost_surge = median["surge"] - median["neither"]
        cost_ptb = median["pytest-benchmark"] - median["neither"]
        if cost_ptb > 0:
            print(f"  surge's cost / pytest-benchmark's cost: {cost_surge / cost_ptb:.2f}")
    surge_ms = import_ms(args.cpu, "surge_pytest.plugin", ptb)
    ptb_ms = import_ms(args.cpu, "pytest_benchmark.plugin", ptb)
    print("import time after pytest (one fresh interpreter each):")
    print(f"  surge_pytest.plugin:      {surge_ms:8.1f} ms")
    print(f"  pytest_benchmark.plugin:  {ptb_ms:8.1f} ms")
    shutil.rmtree(folder, ignore_errors=True)
    if args.suite:
        suite_collection(args.cpu, args.suite)


if __name__ == "__main__":
    main()
