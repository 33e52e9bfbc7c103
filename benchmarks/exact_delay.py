#!/usr/bin/env python3
"""An HTTP/1.1 server that answers every request after exactly D ms, for benchmarks/overhead.py.

A server that sleeps on the event loop's timer answers up to a millisecond early or late (libuv
counts time in whole milliseconds, see docs/benchmarks.md "timer wake-ups"), and its jitter lands
in both clients' figures. This one keeps the requests in deadline order, sleeps on a Linux timerfd
until shortly before the first deadline (`--spin-us`, 300 by default: this VM's timerfd wake-up
p99) and waits out the rest on the clock, so each reply leaves at its deadline unless the wake-up
itself was later than that. It measures how late each reply left and prints the percentiles when
told.

    python benchmarks/exact_delay.py [--delay-ms 50] [--spin-us 300]

Prints its port on the first line. Requests are `GET /anything[?ms=D]` (D overrides the default
delay), keep-alive, no body. A line `stats` on stdin prints one JSON line (replies, and how late
they left in µs: p50, p99, p99.9, max) and starts counting afresh; end of stdin stops it.
"""

from __future__ import annotations

import argparse
import asyncio
import heapq
import itertools
import json
import sys
import threading
import time
from urllib.parse import parse_qs

import uvloop

from surge.engine.wake import TimerfdWaker

REPLY = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"


class Replies:
    """The replies due, in deadline order, sent by one task at their deadlines."""

    def __init__(self, loop: asyncio.AbstractEventLoop, spin_ns: int) -> None:
        self.loop = loop
        self.spin_ns = spin_ns
        self.due: list[tuple[int, int, asyncio.Transport]] = []
        self.order = itertools.count()
        self.waiting = asyncio.Event()
        self.late_us: list[float] = []

    def add(self, deadline_ns: int, transport: asyncio.Transport) -> None:
        heapq.heappush(self.due, (deadline_ns, next(self.order), transport))
        self.waiting.set()

    async def run(self) -> None:
        waker = TimerfdWaker(self.loop)
        clock = time.perf_counter_ns
        while True:
            if not self.due:
                self.waiting.clear()
                await self.waiting.wait()
                continue
            deadline_ns = self.due[0][0]
            if deadline_ns - clock() > self.spin_ns:
                await waker.sleep_until(deadline_ns - self.spin_ns)
                continue  # an earlier deadline may have come meanwhile
            while clock() < deadline_ns:
                pass  # the last few hundred microseconds, on the clock
            _, _, transport = heapq.heappop(self.due)
            if not transport.is_closing():
                transport.write(REPLY)
            self.late_us.append((clock() - deadline_ns) / 1000)

    def stats(self) -> dict[str, float]:
        late, self.late_us = sorted(self.late_us), []
        if not late:
            return {"replies": 0}

        def pct(q: float) -> float:
            return round(late[min(len(late) - 1, int(q / 100 * len(late)))], 1)

        return {
            "replies": len(late),
            "p50": pct(50),
            "p99": pct(99),
            "p99.9": pct(99.9),
            "max": round(late[-1], 1),
        }


class Connection(asyncio.Protocol):
    def __init__(self, replies: Replies, delay_ns: int) -> None:
        self.replies = replies
        self.delay_ns = delay_ns
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        now_ns = time.perf_counter_ns()
        self.buffer += data
        while True:
            head, sep, rest = self.buffer.partition(b"\r\n\r\n")
            if not sep:
                return
            self.buffer = rest
            target = head.split(b" ", 2)[1].decode("latin-1")
            delay_ns = self.delay_ns
            query = parse_qs(target.partition("?")[2])
            if "ms" in query:
                delay_ns = int(float(query["ms"][0]) * 1e6)
            assert self.transport is not None
            self.replies.add(now_ns + delay_ns, self.transport)


async def serve(delay_ms: float, spin_us: float) -> None:
    loop = asyncio.get_running_loop()
    replies = Replies(loop, int(spin_us * 1000))
    delay_ns = int(delay_ms * 1e6)
    server = await loop.create_server(lambda: Connection(replies, delay_ns), "127.0.0.1", 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    done = loop.create_future()

    def read_commands() -> None:
        for line in sys.stdin:
            if line.strip() == "stats":
                loop.call_soon_threadsafe(lambda: print(json.dumps(replies.stats()), flush=True))
        loop.call_soon_threadsafe(done.set_result, None)

    threading.Thread(target=read_commands, daemon=True).start()
    sender = asyncio.ensure_future(replies.run())
    await done
    sender.cancel()
    server.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--delay-ms", type=float, default=50.0)
    ap.add_argument("--spin-us", type=float, default=300.0)
    args = ap.parse_args()
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(serve(args.delay_ms, args.spin_us))


if __name__ == "__main__":
    main()
