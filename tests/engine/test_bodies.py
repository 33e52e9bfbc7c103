"""Response bodies of scripted requests: kept up to --max-body, streamed on demand, and a body
nobody reads counted and discarded as it arrives."""

from __future__ import annotations

import asyncio
import collections

import pytest

from engine.conftest import TestServer
from engine.loads import run
from surge.engine.http import ClientConfig, Session
from surge.engine.http.response import BodyTooLargeError
from surge.engine.http.stream import BodyUnavailableError
from surge.metrics.recorder import Recorder

MIB = 1024 * 1024


def _session(srv: TestServer, max_body: int = 64 * MIB) -> tuple[Session, Recorder]:
    recorder = Recorder()
    return Session(srv.url(""), recorder, ClientConfig(max_body_bytes=max_body)), recorder


class Tally:
    """Running totals of a recorder (each look takes a snapshot and adds it up)."""

    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder
        self.counts: collections.Counter[str] = collections.Counter()

    def __call__(self) -> dict[str, int]:
        for ep in self.recorder.snapshot(0.0, 1.0, 0).endpoints:
            self.counts["ok"] += ep.requests - ep.failures
            self.counts["fail"] += ep.failures
            self.counts["incomplete"] += ep.incomplete
            self.counts["bytes"] += ep.bytes_received
        return {k: self.counts[k] for k in ("ok", "fail", "incomplete")}

    @property
    def bytes(self) -> int:
        self()
        return self.counts["bytes"]


@pytest.mark.parametrize("chunked", ["0", "1"])
def test_a_body_over_max_body_is_counted_not_kept_and_reading_it_says_why(
    fresh: TestServer, chunked: str
) -> None:
    async def main() -> None:
        http, recorder = _session(fresh, max_body=100_000)
        totals = Tally(recorder)
        big = await http.get(f"/big?n=300000&chunked={chunked}")
        assert big.ok and big.status == 200 and big.body_over == 300_000
        with pytest.raises(BodyTooLargeError, match=r"is 293\.0 KiB, over --max-body"):
            big.content  # noqa: B018
        with pytest.raises(BodyTooLargeError, match="stream=True"):
            big.json()
        small = await http.get("/big?n=1000")
        assert small.content == b"x" * 1000  # under the cap: kept as ever
        assert totals() == {"ok": 2, "fail": 0, "incomplete": 0}
        assert totals.bytes > 301_000  # the discarded body is counted
        await http.close()

    run(main())
    assert fresh.connections == 1  # the connection went on after the discarded body


def test_stream_yields_the_body_as_it_arrives_and_records_on_the_last_byte(
    fresh: TestServer,
) -> None:
    async def main() -> None:
        http, recorder = _session(fresh, max_body=100_000)
        totals = Tally(recorder)
        r = await http.get("/big?n=5000000", stream=True)
        assert r.status == 200
        assert totals()["ok"] == 0  # not recorded before its last byte
        sizes = [len(chunk) async for chunk in r.stream()]
        assert sum(sizes) == 5_000_000 and len(sizes) > 1
        assert totals() == {"ok": 1, "fail": 0, "incomplete": 0}
        with pytest.raises(BodyUnavailableError, match="stream=True"):
            r.content  # noqa: B018
        again = await http.get("/fixed")  # the connection is back in the pool
        assert again.ok
        await http.close()

    run(main())
    assert fresh.connections == 1


def test_a_stream_left_early_closed_or_dropped_discards_the_rest(fresh: TestServer) -> None:
    """Each way of being done with a streamed response unread: the rest of its body is counted
    and discarded (the connection goes on reading), and the request is recorded."""

    async def main() -> None:
        http, recorder = _session(fresh)
        totals = Tally(recorder)
        r = await http.get("/big?n=8000000", stream=True)
        async for _ in r.stream():
            break  # left early
        closed = await http.get("/big?n=8000000&chunked=1", stream=True)
        closed.close()
        await http.get("/big?n=8000000", stream=True)  # dropped at once, never read
        late = await http.get("/fixed")  # meanwhile on another connection
        assert late.ok
        for _ in range(500):
            if totals()["ok"] == 4:
                break
            await asyncio.sleep(0.01)
        assert totals() == {"ok": 4, "fail": 0, "incomplete": 0}
        assert totals.bytes > 24_000_000
        with pytest.raises(BodyUnavailableError, match="discarded before it was read"):
            async for _ in closed.stream():
                pass
        await http.close()

    run(main())


def test_a_stream_read_later_waits_for_the_task_with_back_pressure(fresh: TestServer) -> None:
    """A body nobody reads yet is not dropped: the connection stops reading after 1 MiB and
    goes on when the task reads it."""

    async def main() -> None:
        http, recorder = _session(fresh)
        totals = Tally(recorder)
        r = await http.get("/big?n=20000000", stream=True)
        await asyncio.sleep(0.3)  # the task does something else first
        assert totals()["ok"] == 0  # paused, not dropped, not finished
        assert sum([len(c) async for c in r.stream()]) == 20_000_000
        assert totals() == {"ok": 1, "fail": 0, "incomplete": 0}
        await http.close()

    run(main())


def test_a_non_streamed_response_streams_its_content_once(fresh: TestServer) -> None:
    async def main() -> None:
        http, _ = _session(fresh)
        r = await http.get("/big?n=1234")
        assert [len(c) async for c in r.stream()] == [1234]
        await http.close()

    run(main())


def test_a_stream_still_arriving_when_the_session_closes_is_incomplete(
    fresh: TestServer,
) -> None:
    async def main() -> None:
        http, recorder = _session(fresh)
        totals = Tally(recorder)
        r = await http.get("/big?n=500000000", stream=True)
        async for _ in r.stream():
            break
        await http.close()
        await asyncio.sleep(0.05)  # the aborted connection's callbacks record nothing more
        assert totals() == {"ok": 0, "fail": 0, "incomplete": 1}

    run(main())
