"""Serving an app for a test: uvicorn on a thread (an app object) or in a child process (an
import string), on a socket bound to a free loopback port before the server starts (no race for
the port), until the block ends.
"""

from __future__ import annotations

import contextlib
import enum
import inspect
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

STARTUP_TIMEOUT_S = 15.0
STOP_TIMEOUT_S = 5.0
_POLL_S = 0.02


class ServeError(RuntimeError):
    """The app could not be served (it failed to start in time, or its process exited)."""


class Interface(enum.Enum):
    """How the server calls the app."""

    AUTO = "auto"  # ASGI when the app (or its __call__) is a coroutine function, else WSGI
    ASGI = "asgi3"
    ASGI2 = "asgi2"
    WSGI = "wsgi"


Lifespan = Literal["auto", "off"]  # uvicorn runs an ASGI app's lifespan; WSGI apps have none


def interface_of(app: Any, interface: Interface | str = Interface.AUTO) -> Interface:
    chosen = Interface(interface) if isinstance(interface, str) else interface
    if chosen is not Interface.AUTO:
        return chosen
    call: Any
    if inspect.isfunction(app):
        call = app
    else:  # the class's own __call__ (or an inherited one), as a server would call it
        call = next((k.__dict__["__call__"] for k in type(app).__mro__ if "__call__" in k.__dict__),
                    None)  # fmt: skip
    return Interface.ASGI if inspect.iscoroutinefunction(call) else Interface.WSGI


def _bound_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    return sock


@dataclass(frozen=True, slots=True)
class AppServer:
    """A served app: `url` (`http://127.0.0.1:PORT`), `host`, `port`, and the `pid` of the
    process serving it (this one for an app object)."""

    host: str
    port: int
    pid: int

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"


def _wait(ready: Callable[[], bool], failed: Callable[[], str | None], what: str) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while not ready():
        problem = failed()
        if problem is not None:
            raise ServeError(f"{what} did not start: {problem}")
        if time.monotonic() > deadline:
            raise ServeError(f"{what} did not start within {STARTUP_TIMEOUT_S:g} s")
        time.sleep(_POLL_S)


@contextlib.contextmanager
def _in_thread(app: Any, sock: socket.socket, interface: Interface) -> Iterator[AppServer]:
    import uvicorn

    served: Any = app
    lifespan: Lifespan = "auto"
    if interface is Interface.WSGI:  # WSGI has no lifespan; a2wsgi serves it on a thread pool
        from a2wsgi import WSGIMiddleware

        served, interface, lifespan = WSGIMiddleware(app), Interface.ASGI, "off"
    config = uvicorn.Config(
        served, interface=interface.value, log_level="warning", access_log=False,
        lifespan=lifespan,
    )  # fmt: skip
    server = uvicorn.Server(config)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            server.run(sockets=[sock])
        except BaseException as exc:  # reported to the caller, not lost in a thread
            errors.append(exc)

    thread = threading.Thread(target=run, name="surge-serve", daemon=True)
    thread.start()
    try:
        _wait(
            lambda: server.started,
            lambda: repr(errors[0]) if errors else ("exited" if not thread.is_alive() else None),
            "the app server",
        )
        host, port = sock.getsockname()[:2]
        yield AppServer(host, port, os.getpid())
    finally:
        server.should_exit = True
        thread.join(STOP_TIMEOUT_S)


@contextlib.contextmanager
def _in_process(target: str, sock: socket.socket, interface: Interface) -> Iterator[AppServer]:
    argv = [sys.executable, "-m", "surge.testing.child", target, str(sock.fileno()),
            interface.value]  # fmt: skip
    host, port = sock.getsockname()[:2]
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            argv, pass_fds=(sock.fileno(),), stdout=log, stderr=subprocess.STDOUT
        )

        def tail() -> str | None:
            if process.poll() is None:
                return None
            log.seek(0)
            return f"exit {process.returncode}: {log.read()[-2000:].decode(errors='replace')}"

        try:
            _wait(lambda: _answers(host, port), tail, f"uvicorn {target}")
            yield AppServer(host, port, process.pid)
        finally:
            process.terminate()
            try:
                process.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _answers(host: str, port: int) -> bool:
    """Does the server answer an HTTP request yet (any status)?"""
    try:
        with socket.create_connection((host, port), timeout=1.0) as conn:
            conn.sendall(b"GET / HTTP/1.1\r\nHost: surge\r\nConnection: close\r\n\r\n")
            return conn.recv(12).startswith(b"HTTP/")
    except OSError:
        return False


@contextlib.contextmanager
def serve(
    app: Any,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    interface: Interface | str = Interface.AUTO,
) -> Iterator[AppServer]:
    """Serve `app` until the block ends: an ASGI or WSGI app object on a thread, or an import
    string (`"shop.main:app"`) in a child process. `port=0`: a free port. ServeError when the
    server does not come up."""
    sock = _bound_socket(host, port)
    try:
        if isinstance(app, str):
            chosen = Interface(interface) if isinstance(interface, str) else interface
            with _in_process(app, sock, chosen) as served:
                yield served
        else:
            with _in_thread(app, sock, interface_of(app, interface)) as served:
                yield served
    finally:
        sock.close()


class ServerPool:
    """Servers started by `serve` calls, all stopped at once (the `surge_serve` fixture)."""

    def __init__(self) -> None:
        self._stack = contextlib.ExitStack()

    def serve(self, app: Any, **options: Any) -> AppServer:
        served: AppServer = self._stack.enter_context(serve(app, **options))
        return served

    def __enter__(self) -> ServerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()
