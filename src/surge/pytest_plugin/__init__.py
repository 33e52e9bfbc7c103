"""surge.pytest_plugin: the pytest plugin itself — a shell over the bench engine and the runner
(docs/pytest.md). pytest loads `surge_pytest.plugin` (outside this package, so that a session
that uses none of surge never imports it); that module imports this package on first use.

- `fixture.BenchmarkFixture`: `surge_benchmark` / `benchmark` (pytest-benchmark's calls)
- `load.LoadFixture`: `surge_load` (a load test through `surge.run`)
- `session.SurgeSession`: the session's benches, store, comparison, CI gate and summary
- `settings`: the plugin's options (flags, `SURGE_PYTEST_*`, `[tool.surge.pytest]`)
"""
