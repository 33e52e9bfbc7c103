"""The session's surge plugin (`surge.pytest_plugin.session.SurgeSession`), imported and
registered on first use: by an option, variable or table at configure time, or by the first
fixture that needs it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from surge.pytest_plugin.session import SurgeSession

SESSION_KEY = pytest.StashKey["SurgeSession"]()


def activate(config: pytest.Config) -> SurgeSession:
    """The session's surge plugin, imported and registered on first use."""
    found = config.stash.get(SESSION_KEY, None)
    if found is not None:
        return found
    from surge.pytest_plugin.session import SurgeSession

    session = SurgeSession(config)
    config.stash[SESSION_KEY] = session
    config.pluginmanager.register(session, "surge-session")
    return session
