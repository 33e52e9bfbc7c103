"""surge.locust: locustfiles run unchanged on surge's engine.

A locustfile is loaded with surge's own `locust` (and `gevent`) names in place of the real
packages, for the load of that file only (`loader.load_locustfile`, an import hook active while
it imports; nothing is patched anywhere else, and `import surge` does not load this package).
Its sync task code runs in greenlets (`bridge.py`): `self.client.get()` hands the request to
surge's event loop and resumes when the response is there, the way SQLAlchemy's asyncio bridge
runs sync code. The engine's `greenlet_workload.py` drives the users; this package owns the
Locust-compatible names and semantics (users, task sets, wait times, the HTTP client, events,
load shapes) and never imports the engine.
"""
