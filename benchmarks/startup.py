"""Start-up times of surge, median of N runs, against `python -c pass` measured in the same run.

    python benchmarks/startup.py            # 5 runs of each
    taskset -c 1 python benchmarks/startup.py --runs 9
    taskset -c 1 python benchmarks/startup.py --src /path/to/other/checkout/src   # before/after

Measures, from the launch of a fresh process:
- `python -c "import surge"` to its exit;
- `surge --help` (as `python -m surge --help`) to its exit;
- `surge run URL -n 1 -u 1` (storing the run in a temporary working directory, as a plain
  `surge run` does) and the same with `--no-store`, to the moment its first request reaches a
  loopback server started by this script (the server stamps the arrival; the clock is the same
  monotonic clock on one machine).

surge's modules are byte-compiled first (as `pip install` does for an installed package): with
PYTHONDONTWRITEBYTECODE set and no `__pycache__`, an editable checkout compiles every module on
every launch, which cost ~0.2 CPU-s of the first request on the 2-core VM.

Each case is given in wall seconds and in CPU seconds (user + system) of the process — to its
exit, or, for the first request, read from /proc/PID/stat when the request arrives (Linux; 10 ms
ticks). A busy machine inflates the wall figures several times; the CPU figures far less.
"""

from __future__ import annotations

import argparse
import compileall
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

PYTHON = sys.executable


WORKDIR = tempfile.mkdtemp(prefix="surge-startup-")


TICK_S = 1 / os.sysconf("SC_CLK_TCK")


ENV = dict(os.environ)


def _launch(args: list[str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        args, cwd=WORKDIR, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def _reap(proc: subprocess.Popen[bytes]) -> float:
    """Wait for `proc`; its CPU seconds (user + system). Raises if it failed."""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise subprocess.CalledProcessError(proc.returncode, proc.args)
    return usage.ru_utime + usage.ru_stime


def _cpu_so_far_s(pid: int) -> float:
    """CPU seconds a running process has used (all its threads), from /proc/PID/stat."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * TICK_S  # utime, stime


def _timed(args: list[str]) -> tuple[float, float]:
    started = time.monotonic()
    cpu_s = _reap(_launch(args))
    return time.monotonic() - started, cpu_s


class FirstRequest:
    """A loopback HTTP server that answers 200 and stamps when each connection's first bytes
    arrive."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.arrivals: list[float] = []
        self.cpu_at_arrival_s: list[float] = []
        self.pid = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            conn, _ = self.sock.accept()
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            while data := conn.recv(65536):
                self.arrivals.append(time.monotonic())
                self.cpu_at_arrival_s.append(_cpu_so_far_s(self.pid))
                if b"\r\n\r\n" in data:
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")

    def time_first_request(self, args: list[str]) -> tuple[float, float]:
        """Wall and CPU seconds from the launch of `args` to its first request's arrival."""
        self.arrivals.clear()
        self.cpu_at_arrival_s.clear()
        started = time.monotonic()
        proc = _launch(args)
        self.pid = proc.pid
        _reap(proc)
        return self.arrivals[0] - started, self.cpu_at_arrival_s[0]


def _byte_compile_surge() -> None:
    """Write the .pyc files of the surge that the measured commands import."""
    where = subprocess.run(
        [PYTHON, "-c", "import surge, os; print(os.path.dirname(surge.__file__))"],
        env=ENV,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    compileall.compile_dir(where, quiet=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--src", help="import surge from this src/ folder (another checkout)")
    options = parser.parse_args()
    runs = options.runs
    if options.src:
        ENV["PYTHONPATH"] = options.src
    _byte_compile_surge()
    server = FirstRequest()
    url = f"http://127.0.0.1:{server.port}/"
    cases = {
        "python -c pass (reference)": lambda: _timed([PYTHON, "-c", "pass"]),
        'python -c "import surge"': lambda: _timed([PYTHON, "-c", "import surge"]),
        "surge --help": lambda: _timed([PYTHON, "-m", "surge", "--help"]),
        "surge run URL -n 1 -u 1: first request": lambda: server.time_first_request(
            [PYTHON, "-m", "surge", "run", url, "-n", "1", "-u", "1"]
        ),
        "  the same with --no-store": lambda: server.time_first_request(
            [PYTHON, "-m", "surge", "run", url, "-n", "1", "-u", "1", "--no-store"]
        ),
    }
    for case in cases.values():  # warm the file cache
        case()
    medians: dict[str, tuple[float, float]] = {}
    for name, case in cases.items():
        wall, cpu = zip(*(case() for _ in range(runs)), strict=True)
        medians[name] = statistics.median(wall), statistics.median(cpu)
    wall_ref, cpu_ref = medians["python -c pass (reference)"]
    print(f"median of {runs} runs (x the bare interpreter start-up)")
    print(f"  {'':42} {'wall':>8} {'':6}  {'CPU':>8}")
    for name, (wall_s, cpu_s) in medians.items():
        print(
            f"  {name:42} {wall_s:6.3f} s {wall_s / wall_ref:5.1f}x"
            f"  {cpu_s:6.3f} s {cpu_s / max(cpu_ref, TICK_S):5.1f}x"
        )


if __name__ == "__main__":
    main()
