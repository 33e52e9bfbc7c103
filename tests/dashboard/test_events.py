"""The event log: what a tab is sent, what a reconnecting tab resumes from, what a new run
drops, and the SSE stream itself (frames, heartbeats, closing)."""

from __future__ import annotations

import asyncio

from surge.dashboard.events import EventKind, EventLog


def _run(log: EventLog, ticks: int) -> None:
    log.append(EventKind.START, {"run": 1})
    for second in range(1, ticks + 1):
        log.append(EventKind.TICK, {"t": second})
        log.append(EventKind.TABLES, {"t": second})


def test_ticks_are_all_kept_and_tables_only_the_latest() -> None:
    log = EventLog()
    log.append(EventKind.SESSION, {"phase": "idle"})
    _run(log, 3)
    log.append(EventKind.SESSION, {"phase": "running"})
    assert log.kinds() == [
        EventKind.START,
        EventKind.TICK,
        EventKind.TICK,
        EventKind.TICK,
        EventKind.TABLES,
        EventKind.SESSION,
    ]
    tables = [e for e in log.after(0) if e.kind is EventKind.TABLES]
    assert [e.data for e in tables] == ['{"t":3}']


def test_a_new_run_drops_the_previous_one_but_keeps_the_session() -> None:
    log = EventLog()
    log.append(EventKind.SESSION, {"phase": "finished"})
    _run(log, 2)
    log.append(EventKind.END, {"run": 1})
    log.append(EventKind.START, {"run": 2})
    log.append(EventKind.TICK, {"t": 1})
    assert log.kinds() == [EventKind.SESSION, EventKind.START, EventKind.TICK]
    assert '"run":2' in log.after(0)[1].data


def test_last_event_id_resumes_after_what_the_tab_saw() -> None:
    log = EventLog()
    _run(log, 2)
    seen = log.after(0)
    last = seen[-2]  # the second tick: the tab saw it, not the tables after it
    resumed = log.seen(f"{log.boot}.{last.seq}")
    assert resumed == last.seq
    assert [e.kind for e in log.after(resumed)] == [EventKind.TABLES]
    log.append(EventKind.TICK, {"t": 3})
    assert [e.kind for e in log.after(resumed)] == [EventKind.TABLES, EventKind.TICK]


def test_an_id_from_another_process_or_an_earlier_run_replays_everything() -> None:
    log = EventLog()
    _run(log, 1)
    old = log.last_seq
    log.append(EventKind.START, {"run": 2})
    assert log.seen(f"{log.boot}.{old}") == 0  # the earlier run's id: start over
    assert log.seen(f"deadbeef.{log.last_seq}") == 0  # another process
    assert log.seen(f"{log.boot}.{log.last_seq + 5}") == 0  # from the future
    assert log.seen("garbage") == 0
    assert log.seen(None) == 0


def test_the_stream_sends_frames_live_and_ends_when_the_log_closes() -> None:
    log = EventLog()
    _run(log, 1)

    async def read() -> list[bytes]:
        frames: list[bytes] = []

        async def consume() -> None:
            async for frame in log.stream(0, heartbeat_s=0.05):
                frames.append(frame)

        task = asyncio.ensure_future(consume())
        await asyncio.sleep(0.01)
        await asyncio.to_thread(log.append, EventKind.TICK, {"t": 2})  # another thread writes
        await asyncio.sleep(0.12)  # long enough for a heartbeat
        log.close()
        await asyncio.wait_for(task, 2.0)
        return frames

    frames = asyncio.run(read())
    assert frames[0] == b"retry: 1000\n\n"
    text = b"".join(frames).decode()
    assert f"id: {log.boot}.1\nevent: start\ndata: " in text
    assert text.index('"t":1') < text.index('"t":2')
    assert b": still here\n\n" in frames
    assert text.endswith("\n\n")
