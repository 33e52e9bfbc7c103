"""Waking the open-model schedule at an arrival's time, as precisely as the platform allows.

A loop timer cannot do it: libuv (uvloop) keeps its idea of "now" in whole milliseconds and
takes timeouts in milliseconds, so `asyncio.sleep`/`call_at` fire up to a millisecond off the
deadline, early as often as late (measured on uvloop: 31 % of wake-ups early, by up to 1.4 ms
with `call_at`). The schedule must never start an arrival before its time (that would understate
latency), so an early wake-up costs a second sleep, and a millisecond of schedule lag.

On Linux a timerfd (CLOCK_MONOTONIC, an absolute deadline in nanoseconds, registered with the
loop as a reader) wakes the loop through epoll at the deadline itself, never before it: the
schedule lag is then the wake-up's own latency, tens of microseconds on an idle machine. One
timerfd per schedule, re-armed for every wait, closed with it; the timer value and the read
buffer are allocated once. Elsewhere (or if the timerfd cannot be created) the loop's timer is
the fallback, chosen once when the schedule starts (`new_waker`).

Deadlines are in `time.perf_counter_ns()` units, which on Linux is CLOCK_MONOTONIC (checked
before the timerfd is chosen).
"""

from __future__ import annotations

import asyncio
import enum
import os
import sys
import time
from typing import Any, Protocol


class WakeTimer(enum.Enum):
    """Which timer wakes the schedule."""

    TIMERFD = "timerfd"  # Linux: a timerfd on the loop, nanosecond deadlines
    LOOP = "loop"  # elsewhere: the loop's own timer (asyncio.sleep), millisecond resolution


class Waker(Protocol):
    """Sleeps until a deadline (perf_counter_ns), never waking before it on the timerfd."""

    timer: WakeTimer

    async def sleep_until(self, deadline_ns: int) -> None: ...

    def close(self) -> None: ...


class LoopWaker:
    """The fallback: the loop's timer (which may wake up to a millisecond early or late)."""

    timer = WakeTimer.LOOP

    async def sleep_until(self, deadline_ns: int) -> None:
        await asyncio.sleep(max(0, deadline_ns - time.perf_counter_ns()) / 1e9)

    def close(self) -> None:
        pass


_CLOCK_MONOTONIC = 1
_TFD_TIMER_ABSTIME = 1
_NS_PER_S = 1_000_000_000


class TimerfdWaker:
    """A Linux timerfd registered with the loop as a reader; re-armed (absolute) per wait."""

    timer = WakeTimer.TIMERFD

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        import ctypes  # first use only: the schedule of an open-model run

        libc = ctypes.CDLL(None, use_errno=True)
        self._settime = libc.timerfd_settime

        class Timespec(ctypes.Structure):
            _fields_ = [("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long)]

        class Itimerspec(ctypes.Structure):
            _fields_ = [("it_interval", Timespec), ("it_value", Timespec)]

        fd = libc.timerfd_create(_CLOCK_MONOTONIC, os.O_NONBLOCK | os.O_CLOEXEC)
        if fd < 0:
            raise OSError(ctypes.get_errno(), "timerfd_create failed")
        self._fd = fd
        self._spec = Itimerspec()  # it_interval stays zero: one shot per arming
        self._spec_ref = ctypes.byref(self._spec)
        self._buffer = [bytearray(8)]  # the expiration count, read to disarm readiness
        self._get_errno = ctypes.get_errno
        self._loop = loop
        self._waiter: asyncio.Future[None] | None = None
        loop.add_reader(fd, self._fired)

    async def sleep_until(self, deadline_ns: int) -> None:
        value = self._spec.it_value
        value.tv_sec, value.tv_nsec = divmod(max(deadline_ns, 1), _NS_PER_S)
        if self._settime(self._fd, _TFD_TIMER_ABSTIME, self._spec_ref, None) != 0:
            raise OSError(self._get_errno(), "timerfd_settime failed")
        waiter = self._waiter = self._loop.create_future()
        try:
            await waiter
        finally:
            self._waiter = None

    def _fired(self) -> None:
        try:
            os.readv(self._fd, self._buffer)
        except BlockingIOError:  # re-armed since it fired: the old expiry is void
            return
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def close(self) -> None:
        if self._fd < 0:
            return
        self._loop.remove_reader(self._fd)
        os.close(self._fd)
        self._fd = -1


def new_waker(loop: asyncio.AbstractEventLoop) -> Waker:
    """A timerfd on Linux when perf_counter is CLOCK_MONOTONIC and the loop takes readers;
    otherwise the loop's timer."""
    if sys.platform == "linux" and _perf_counter_is_monotonic():
        try:
            return TimerfdWaker(loop)
        except (OSError, AttributeError, NotImplementedError):
            pass  # no timerfd here (or a loop without add_reader): the loop's timer
    return LoopWaker()


def _perf_counter_is_monotonic() -> bool:
    info: Any = time.get_clock_info("perf_counter")
    return "CLOCK_MONOTONIC" in info.implementation and "RAW" not in info.implementation
