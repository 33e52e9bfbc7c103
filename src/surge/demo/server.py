"""Run the demo shop (surge.demo.app) in a child process for the length of a ``with`` block.

    with start_demo_server() as server:
        print(server.url)   # http://127.0.0.1:54321

The app runs in its own process so the load generator and the target never share a CPU core's
worth of GIL: what you measure is the server, not the contention between the two.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import IO, Self

STARTUP_TIMEOUT_S = 15.0
STOP_GRACE_S = 5.0
_POLL_INTERVAL_S = 0.05
_STDERR_TAIL_CHARS = 2000
_PORT_ATTEMPTS = 3


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


class DemoServer:
    """The demo shop in a subprocess: ``start()``/``stop()``, or use it as a context manager.

    ``port=0`` picks a free port. ``url`` and ``port`` are valid once started; ``pid`` is the
    child's process id (e.g. for monitoring the target's CPU and memory).
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        startup_timeout_s: float = STARTUP_TIMEOUT_S,
    ) -> None:
        self.host = host
        self._requested_port = port
        self._startup_timeout_s = startup_timeout_s
        self._port: int | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    # -- public API --------------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the demo server is not running; call start() first")
        return self._port

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def pid(self) -> int:
        if self._process is None:
            raise RuntimeError("the demo server is not running; call start() first")
        return self._process.pid

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> Self:
        """Launch the child, wait until ``/api/health`` answers (RuntimeError if it never does)."""
        if self._process is not None:
            raise RuntimeError("the demo server is already running")
        attempts = 1 if self._requested_port else _PORT_ATTEMPTS
        for attempt in range(attempts):
            port = self._requested_port or _free_port(self.host)
            try:
                self._launch(port)
                return self
            except _PortTaken:
                # Another process grabbed the free port between our probe and the child's bind.
                if attempt == attempts - 1:
                    raise RuntimeError(
                        f"the demo server could not bind {self.host}:{port}: address in use"
                    ) from None
        raise AssertionError("unreachable")

    def stop(self) -> None:
        """Terminate the child (SIGTERM, then SIGKILL after 5 s). Safe to call twice."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._port = None
        self._close_log()

    def __enter__(self) -> Self:
        if self._process is None:
            self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- internals ---------------------------------------------------------------------------

    def _launch(self, port: int) -> None:
        # The child's output goes to a temporary file, not a pipe: nobody reads a pipe during a
        # long run, and a full pipe would block the server mid-test.
        self._log = tempfile.TemporaryFile(prefix="surge-demo-", suffix=".log")  # noqa: SIM115
        cmd = [sys.executable, "-m", "surge.demo.app", "--host", self.host, "--port", str(port)]
        self._process = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=_child_env(),
        )
        self._port = port
        try:
            self._wait_healthy()
        except BaseException:
            tail = self._log_tail()
            self.stop()
            if "address already in use" in tail.lower() and not self._requested_port:
                raise _PortTaken from None
            raise

    def _wait_healthy(self) -> None:
        assert self._process is not None
        health = f"{self.url}/api/health"
        deadline = time.monotonic() + self._startup_timeout_s
        while True:
            code = self._process.poll()
            if code is not None:
                raise RuntimeError(
                    f"the demo server exited with code {code} before answering {health}.\n"
                    f"Its output ended with:\n{self._log_tail()}"
                )
            try:
                with urllib.request.urlopen(health, timeout=1.0) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() >= deadline:
                raise RuntimeError(
                    f"the demo server did not answer {health} within "
                    f"{self._startup_timeout_s:g} s.\nIts output ended with:\n{self._log_tail()}"
                )
            time.sleep(_POLL_INTERVAL_S)

    def _log_tail(self) -> str:
        if self._log is None:
            return ""
        self._log.flush()
        self._log.seek(0, os.SEEK_END)
        size = self._log.tell()
        self._log.seek(max(0, size - _STDERR_TAIL_CHARS))
        return self._log.read().decode(errors="replace").strip() or "(no output)"

    def _close_log(self) -> None:
        log, self._log = self._log, None
        if log is not None:
            with contextlib.suppress(OSError):
                log.close()


class _PortTaken(Exception):
    pass


def _child_env() -> dict[str, str]:
    """The parent's environment, with this copy of surge first on the child's import path."""
    env = dict(os.environ)
    src_root = str(Path(__file__).resolve().parents[2])
    paths = [src_root, *[p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]]
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def start_demo_server(host: str = "127.0.0.1", port: int = 0) -> DemoServer:
    """Start the demo shop in a subprocess and return it once it answers; stop it with ``stop()``
    or by using the result in a ``with`` block."""
    return DemoServer(host, port).start()
