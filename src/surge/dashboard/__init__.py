"""surge.dashboard: the live web dashboard — a shell over the runner.

It watches a run as an observer (feed.py), keeps every second in a server-side event log that a
tab reads as Server-Sent Events (events.py; a refresh replays the run), steers the run through
the runner's RunControl, offers the finished run's JSON, CSV and HTML report, and, under
`surge ui`, starts runs from a form made of the option table (form.py). Nothing here runs load.

Importing this package loads no web framework: Starlette and uvicorn load with `LiveDashboard`.
"""

from surge.dashboard.settings import (
    DEFAULT_HOST,
    DEFAULT_PORT,
    TOKEN_AUTO,
    UiError,
    UiSettings,
    is_loopback,
)
from surge.dashboard.state import Mode

__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "TOKEN_AUTO",
    "Mode",
    "UiError",
    "UiSettings",
    "is_loopback",
]
