"""Start-up times of surge, median of N runs, against `python -c pass` measured in the same run.

    python benchmarks/startup.py            # 5 runs of each
    taskset -c 1 python benchmarks/startup.py --runs 9

Measures, from the launch of a fresh process:
- `python -c "import surge"` to its exit;
- `surge --help` (as `python -m surge --help`) to its exit;
- `surge run URL -n 1 -u 1` (storing the run in a temporary working directory, as a plain
  `surge run` does) and the same with `--no-store`, to the moment its first request reaches a
  loopback server started by this script (the server stamps the arrival; the clock is the same
  monotonic clock on one machine).
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

PYTHON = sys.executable


WORKDIR = tempfile.mkdtemp(prefix="surge-startup-")


def _timed(args: list[str]) -> float:
    started = time.monotonic()
    subprocess.run(
        args, check=True, cwd=WORKDIR, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    return time.monotonic() - started


class FirstRequest:
    """A loopback HTTP server that answers 200 and stamps when each connection's first bytes
    arrive."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.arrivals: list[float] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            conn, _ = self.sock.accept()
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            while data := conn.recv(65536):
                self.arrivals.append(time.monotonic())
                if b"\r\n\r\n" in data:
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")

    def time_first_request(self, args: list[str]) -> float:
        self.arrivals.clear()
        started = time.monotonic()
        subprocess.run(
            args, check=True, cwd=WORKDIR, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        return self.arrivals[0] - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    server = FirstRequest()
    url = f"http://127.0.0.1:{server.port}/"
    cases = {
        "python -c pass (reference)": lambda: _timed([PYTHON, "-c", "pass"]),
        'python -c "import surge"': lambda: _timed([PYTHON, "-c", "import surge"]),
        "surge --help": lambda: _timed([PYTHON, "-m", "surge", "--help"]),
        "surge run URL -n 1 -u 1: first request": lambda: server.time_first_request(
            [PYTHON, "-m", "surge", "run", url, "-n", "1", "-u", "1", "-q"]
        ),
        "  the same with --no-store": lambda: server.time_first_request(
            [PYTHON, "-m", "surge", "run", url, "-n", "1", "-u", "1", "--no-store", "-q"]
        ),
    }
    for case in cases.values():  # warm the file cache
        case()
    medians: dict[str, float] = {}
    for name, case in cases.items():
        medians[name] = statistics.median(case() for _ in range(runs))
    reference = medians["python -c pass (reference)"]
    print(f"median of {runs} runs, seconds (x the bare interpreter start-up)")
    for name, seconds in medians.items():
        print(f"  {name:42} {seconds:6.3f} s  {seconds / reference:5.1f}x")


if __name__ == "__main__":
    main()
