"""Checks on responses, for scenario scripts: `from surge.checks import status, json_path`.

    r = await self.http.get("/api/deals", checks=[status(200), json_path("items.0.id")])
    r.check(body_contains("deal"), latency_under(200))

Each check records a pass or a fail under the request's endpoint, never raises, and shows up in
every output; `checks>99%` is a threshold. With `fail_on_check=True` on the request, a failed
check also makes the request itself a failure (error class `check`).
"""

from surge.scenario.checks import (
    Check,
    body_contains,
    header,
    json_path,
    latency_under,
    status,
)

__all__ = ["Check", "body_contains", "header", "json_path", "latency_under", "status"]
