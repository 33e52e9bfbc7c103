"""`surge/__init__.py` exports the public names, sorted, and importing has no side effects."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys

import surge


def test_all_is_sorted_and_complete() -> None:
    assert surge.__all__ == sorted(surge.__all__, key=lambda n: (not n.isupper(), n))
    public = {
        name
        for name, value in vars(surge).items()
        if not name.startswith("_") and not isinstance(value, type(sys))
    }
    assert public <= set(surge.__all__) | {"annotations"}
    for name in surge.__all__:
        assert hasattr(surge, name), name


def test_scripting_api_is_exported() -> None:
    for name in (
        "User",
        "task",
        "between",
        "constant",
        "constant_pacing",
        "Response",
        "WebSocket",
        "WsMessage",
        "SseEvent",
    ):
        assert name in surge.__all__


def test_import_has_no_side_effects() -> None:
    code = (
        "import asyncio, signal, sys\n"
        "before = (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM),"
        " type(asyncio.get_event_loop_policy()))\n"
        "import surge, surge.cli.main, surge.engine.run\n"
        "after = (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM),"
        " type(asyncio.get_event_loop_policy()))\n"
        "assert before == after, (before, after)\n"
        "assert 'gevent' not in sys.modules\n"
        "assert not {'picows', 'h2'} & set(sys.modules), 'protocol clients load on first use'\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    assert type(asyncio.get_event_loop_policy()).__module__.startswith("asyncio")
