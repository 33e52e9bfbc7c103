"""The worker side, shared by every backend: wait for the common start time, run the load."""

from __future__ import annotations

import asyncio
import contextlib
import time

from surge.cluster.backend import SnapshotSink, WorkerLoad
from surge.cluster.messages import MessageKind, WorkerMessage


async def run_from(
    load: WorkerLoad, worker: int, start_at_s: float, emit: SnapshotSink, stop: asyncio.Event
) -> WorkerMessage:
    """Sleep until the wall-clock `start_at_s` (unless stopped first), run the load, and return
    the DONE message. Every worker measures its seconds from the same start, so snapshot `seq`
    k of every worker covers the same second of the run."""
    delay_s = start_at_s - time.time()
    if delay_s > 0:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), delay_s)
    outcome, stop_reason = await load.run(emit, stop)
    return WorkerMessage(MessageKind.DONE, worker, outcome=outcome, stop_reason=stop_reason)


def describe_error(exc: BaseException) -> str:
    """An exception as one line for a FAILED message."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__
