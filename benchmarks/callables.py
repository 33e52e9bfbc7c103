#!/usr/bin/env python3
"""Benchmarks of callables: surge's accuracy, agreement with pyperf, harness overhead against
pytest-benchmark, and the stability of its comparisons — side by side in one run.

    python benchmarks/callables.py                # all parts, pinned to CPU 1
    python benchmarks/callables.py --cpu 0 --quick

Parts (each tool runs in its own process, pinned with `taskset` to the same CPU):
  accuracy   surge's median of callables that spin exactly 50 µs and 1 ms, against the truth
  pyperf     surge and pyperf's medians of sum(1,000 ints), json.dumps of a 1 KB dict and an
             empty function
  overhead   the per-call time each harness reports for an empty function: surge against
             pytest-benchmark
  stability  a 50 µs bench compared with a second run of itself (A/A) and with a run slowed by
             10 % (55 µs), with surge's default tolerances

pyperf and pytest-benchmark live in their own virtualenv (.bench/peers-venv, created on first
use), never in surge's: the test suite must run without pytest-benchmark installed.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PEERS_VENV = ROOT / ".bench" / "peers-venv"
PEERS = ("pyperf>=2.6", "pytest>=8", "pytest-benchmark>=4")
TRUTH_NS = {"spin_50us": 50_000, "spin_1ms": 1_000_000}


def peers_python() -> Path:
    python = PEERS_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(PEERS_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", *PEERS], check=True)
    return python


def pinned(cpu: int, argv: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    prefix = ["taskset", "-c", str(cpu)] if shutil.which("taskset") else []
    return subprocess.run(prefix + argv, check=True, text=True, capture_output=True, **kwargs)


# -- the surge side (run as `callables.py --part NAME` in a pinned process)


def surge_medians(names: list[str], duration: str) -> dict[str, float]:
    import surge

    sys.path.insert(0, str(HERE))
    import reference_callables as ref

    out = {}
    for name in names:
        result = surge.benchmark(getattr(ref, name), name=name, duration=duration)
        out[name] = result.stats.median_ms * 1e6
        out[name + ":overhead"] = result.calibration.overhead_ns
        out[name + ":iterations"] = result.stats.iterations
    return out


def surge_stability(duration: str) -> dict[str, str]:
    import surge
    from surge.benches import bench_run
    from surge.compare import RunSample, compare_runs

    sys.path.insert(0, str(HERE))
    import reference_callables as ref

    def run(fn: Any) -> Any:
        result = surge.benchmark(fn, name="spin", duration=duration)
        return RunSample(bench_run([result], name="stability"))

    a, b, slower = run(ref.spin_50us), run(ref.spin_50us), run(ref.spin_55us)
    out = {}
    for label, cand in (("A/A", b), ("+10%", slower)):
        comparison = compare_runs([a], [cand])
        out[label] = comparison.verdict.value
        for f in comparison.findings:
            change = "—" if f.change_pct is None else f"{f.change_pct:+.1f}%"
            out[f"{label}:{f.metric}"] = f"{change} {f.verdict.value}"
    return out


# -- the peers


PYPERF_SCRIPT = """
import sys
sys.path.insert(0, {here!r})
import pyperf
import reference_callables as ref
runner = pyperf.Runner()
for name in {names!r}:
    runner.bench_func(name, getattr(ref, name))
"""

PYTEST_BENCHMARK_FILE = """
import sys
sys.path.insert(0, {here!r})
import reference_callables as ref


def test_empty(benchmark):
    benchmark(ref.empty)


def test_sum_1000(benchmark):
    benchmark(ref.sum_1000)
"""


def pyperf_medians(cpu: int, names: list[str], quick: bool) -> dict[str, float]:
    python = peers_python()
    work = Path(tempfile.mkdtemp(prefix="surge-pyperf-"))
    script = work / "bench.py"
    script.write_text(PYPERF_SCRIPT.format(here=str(HERE), names=names))
    out = work / "out.json"
    argv = [str(python), str(script), "-o", str(out), "--quiet"]
    argv += ["--fast"] if quick else []
    argv += ["--affinity", str(cpu)]
    subprocess.run(argv, check=True, capture_output=True, text=True)
    code = (
        "import pyperf, json, sys\n"
        "suite = pyperf.BenchmarkSuite.load(sys.argv[1])\n"
        "print(json.dumps({b.get_name(): b.median() * 1e9 for b in suite.get_benchmarks()}))\n"
    )
    done = subprocess.run([str(python), "-c", code, str(out)], check=True, text=True,
                          capture_output=True)  # fmt: skip
    return {k: float(v) for k, v in json.loads(done.stdout).items()}


def pytest_benchmark_medians(cpu: int) -> dict[str, float]:
    python = peers_python()
    work = Path(tempfile.mkdtemp(prefix="surge-ptb-"))
    (work / "test_ref.py").write_text(PYTEST_BENCHMARK_FILE.format(here=str(HERE)))
    out = work / "out.json"
    pinned(
        cpu,
        [
            str(python),
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            str(work / "test_ref.py"),
            f"--benchmark-json={out}",
        ],
        cwd=work,
    )
    data = json.loads(out.read_text())
    return {b["name"].removeprefix("test_"): b["stats"]["median"] * 1e9 for b in data["benchmarks"]}


def lowest(best: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    return {k: min(v, best.get(k, v)) for k, v in new.items()}


def surge_part(cpu: int, part: str, *args: str) -> dict[str, Any]:
    done = pinned(cpu, [sys.executable, __file__, "--part", part, *args])
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--cpu", type=int, default=1)
    ap.add_argument("--quick", action="store_true", help="shorter runs (less exact)")
    ap.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="runs of each tool, interleaved; the lowest median of each is kept (other load "
        "on the machine only ever adds time)",
    )
    ap.add_argument("--only", nargs="*", default=["accuracy", "pyperf", "overhead", "stability"])
    ap.add_argument("--part", help=argparse.SUPPRESS)
    ap.add_argument("rest", nargs="*", help=argparse.SUPPRESS)
    args = ap.parse_args()
    duration = "1s" if args.quick else "3s"
    if args.part == "medians":
        print(json.dumps(surge_medians(args.rest, duration)))
        return
    if args.part == "stability":
        print(json.dumps(surge_stability(duration)))
        return
    cpu = args.cpu
    print(f"pinned to CPU {cpu}; surge duration per bench {duration}; {args.repeat} runs a tool")
    if "accuracy" in args.only:
        got = surge_part(cpu, "medians", *TRUTH_NS)
        print("\n| callable | truth | surge median | error |\n|---|---:|---:|---:|")
        for name, truth in TRUTH_NS.items():
            error = (got[name] / truth - 1) * 100
            print(
                f"| {name} | {truth / 1000:,.1f} µs | {got[name] / 1000:,.3f} µs | {error:+.2f} % |"
            )
    names = ["sum_1000", "json_1kb", "empty"]
    surge_ref: dict[str, Any] = {}
    peer: dict[str, float] = {}
    ptb: dict[str, float] = {}
    for _ in range(args.repeat):
        if "pyperf" in args.only or "overhead" in args.only:
            surge_ref = lowest(surge_ref, surge_part(cpu, "medians", *names))
        if "pyperf" in args.only:
            peer = lowest(peer, pyperf_medians(cpu, names, args.quick))
        if "overhead" in args.only:
            ptb = lowest(ptb, pytest_benchmark_medians(cpu))
    if "pyperf" in args.only:
        print(
            "\n| callable | surge median | pyperf median | surge / pyperf |\n|---|---:|---:|---:|"
        )
        for name in names:
            ratio = surge_ref[name] / peer[name]
            print(f"| {name} | {surge_ref[name]:,.1f} ns | {peer[name]:,.1f} ns | {ratio:.3f} |")
    if "overhead" in args.only:
        print(
            "\n| empty function, per call | surge | pytest-benchmark | surge / pytest-benchmark |"
        )
        print("|---|---:|---:|---:|")
        for name in ("empty", "sum_1000"):
            ratio = surge_ref[name] / ptb[name]
            print(
                f"| {name} median | {surge_ref[name]:,.1f} ns | {ptb[name]:,.1f} ns | {ratio:.3f} |"
            )
        print(f"(surge's own harness estimate: {surge_ref['empty:overhead']:,.1f} ns per call)")
    if "stability" in args.only:
        verdicts = surge_part(cpu, "stability")
        print("\n| comparison | verdict | p50 | mean | p95 | p99 | ops/s |")
        print("|---|---|---|---|---|---|---|")
        for label in ("A/A", "+10%"):
            cells = [verdicts[f"{label}:{m}"] for m in ("p50", "mean", "p95", "p99", "rps")]
            print(f"| {label} | **{verdicts[label]}** | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
