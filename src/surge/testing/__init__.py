"""surge.testing: serve the app under test on a free loopback port, for the length of a test.

    from surge.testing import serve

    with serve(app) as server:                      # an ASGI app (FastAPI, Starlette, Django's
        result = surge.run(server.url + "/health")  # ASGI handler) or a WSGI app (Flask, Django)

In pytest, the `surge_serve` fixture does the same for the test's duration. `serve(app)` runs
uvicorn on a thread of this process (WSGI apps through a2wsgi); `serve("pkg.module:app")` runs
it in a child process, so the load generator and the app do not share this process's GIL.
"""

from surge.testing.server import AppServer, Interface, ServeError, ServerPool, serve

__all__ = ["AppServer", "Interface", "ServeError", "ServerPool", "serve"]
