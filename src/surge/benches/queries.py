"""Database queries per call, counted with SQLAlchemy cursor events (an N+1 shows as a count).

`count_queries=engine` (an `Engine`, an `AsyncEngine`, or several) makes a bench listen to
`before_cursor_execute` on them during a pass of its own after the timed rounds, so the listener
costs nothing in the timing. Every cursor execution counts once (an `executemany` is one).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from surge.benches.calls import Call, run_untimed

QUERY_CALLS = 10


def engines_of(value: Any) -> tuple[Any, ...]:
    """The SQLAlchemy engines to listen on: one engine, an AsyncEngine (its sync_engine), or a
    sequence of them. Raises TypeError for anything else."""
    items: Sequence[Any] = value if isinstance(value, list | tuple) else (value,)
    engines = []
    for item in items:
        engine = getattr(item, "sync_engine", item)
        if not hasattr(engine, "dispatch") or not hasattr(engine, "dialect"):
            raise TypeError(
                "count_queries takes a SQLAlchemy Engine or AsyncEngine (or a list of them), "
                f"got {type(item).__name__}"
            )
        engines.append(engine)
    return tuple(engines)


def queries_per_call(
    engines: Sequence[Any],
    call: Call,
    loop: asyncio.AbstractEventLoop | None,
    calls: int = QUERY_CALLS,
) -> float:
    """Cursor executions on `engines` per call, over `calls` untimed calls."""
    from sqlalchemy import event

    count = 0

    def on_execute(*_: Any) -> None:
        nonlocal count
        count += 1

    for engine in engines:
        event.listen(engine, "before_cursor_execute", on_execute)
    try:
        run_untimed(call, calls, loop)
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", on_execute)
    return count / calls
