"""`python -m surge.testing.child MODULE:APP FD INTERFACE`: serve an app with uvicorn on an
inherited listening socket (surge.testing.serve's child process). WSGI apps go through a2wsgi;
`auto` decides by the app, as `serve` does."""

from __future__ import annotations

import importlib
import socket
import sys

from surge.testing.server import Interface, Lifespan, interface_of


def main(argv: list[str]) -> None:
    target, fd, interface = argv
    module_name, _, attribute = target.partition(":")
    app = getattr(importlib.import_module(module_name), attribute or "app")
    chosen = interface_of(app, interface)
    lifespan: Lifespan = "auto"
    if chosen is Interface.WSGI:
        from a2wsgi import WSGIMiddleware

        app, chosen, lifespan = WSGIMiddleware(app), Interface.ASGI, "off"
    import uvicorn

    sock = socket.socket(fileno=int(fd))
    config = uvicorn.Config(
        app, interface=chosen.value, log_level="warning", access_log=False, lifespan=lifespan
    )
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    main(sys.argv[1:])
