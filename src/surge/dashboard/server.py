"""Serving the dashboard: a socket bound before anything runs (a taken port is an input error,
exit 2, and port 0 gives a free one to print), and uvicorn on a thread of its own.

The server never keeps the process alive: its thread is a daemon, and stopping it closes every
event stream first, so an open tab cannot hold up the exit.
"""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

from surge.dashboard.events import EventLog
from surge.dashboard.settings import UiError, UiSettings

START_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 5.0


def _family(host: str) -> tuple[socket.AddressFamily, str]:
    name = host.strip().strip("[]")
    try:
        infos = socket.getaddrinfo(name, None, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise UiError(f"--ui-host {host}: cannot resolve it ({exc.strerror})") from None
    family, _, _, _, address = infos[0]
    return family, str(address[0])


def bind_socket(settings: UiSettings) -> socket.socket:
    """A listening socket on the settings' address (UiError when it cannot be had)."""
    family, address = _family(settings.host)
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((address, settings.port))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise UiError(
            f"the dashboard cannot listen on {settings.host}:{settings.port}: {exc.strerror}"
            + (" (pick another --ui-port, or 0 for any free one)" if settings.port else "")
        ) from None
    sock.setblocking(False)
    return sock


class DashboardServer:
    """uvicorn serving `app` on a bound socket, on a daemon thread."""

    def __init__(self, app: Any, settings: UiSettings, log: EventLog, sock: socket.socket) -> None:
        self.settings = settings
        self.log = log
        self.sock = sock
        self.port: int = sock.getsockname()[1]
        import uvicorn

        config = uvicorn.Config(
            app,
            log_config=None,
            log_level="warning",
            access_log=False,
            lifespan="off",
            ws="none",
            loop="asyncio",
            server_header=False,
            timeout_graceful_shutdown=1,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._serve, name="surge-dashboard-server", daemon=True
        )
        self.error: BaseException | None = None

    @property
    def url(self) -> str:
        """The page's address (without the token)."""
        host = self.settings.host.strip()
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"
        return f"http://{host}:{self.port}/"

    def _serve(self) -> None:
        try:
            self._server.run(sockets=[self.sock])
        except BaseException as exc:  # reported by start(); the run goes on without a page
            self.error = exc

    def start(self) -> None:
        """Serve, and return once the server accepts connections (UiError if it never does)."""
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self._server.started:
            if self.error is not None or not self._thread.is_alive():
                raise UiError(f"the dashboard's server did not start: {self.error!r}")
            if time.monotonic() > deadline:
                raise UiError(f"the dashboard's server did not start in {START_TIMEOUT_S:g} s")
            time.sleep(0.01)

    def stop(self) -> None:
        """End every event stream, then the server (at most a few seconds)."""
        self.log.close()
        self._server.should_exit = True
        self._thread.join(STOP_TIMEOUT_S)
        if self._thread.is_alive():
            self._server.force_exit = True
            self._thread.join(STOP_TIMEOUT_S)
        self.sock.close()
