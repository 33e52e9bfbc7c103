"""surge's pytest plugin, as pytest loads it: the `pytest11` entry point (`surge_pytest.plugin`).

This package is deliberately outside `surge`: importing anything under `surge` runs
`surge/__init__.py` (numpy, psutil …), and pytest imports every installed plugin in every
session. Here only the options, the markers and thin fixtures are declared; the plugin itself
(`surge.pytest_plugin`) is imported when a session uses it — a surge fixture, a `--surge-*`
option, a `SURGE_PYTEST_*` variable or a `[tool.surge.pytest]` table (docs/pytest.md).
"""
