"""What a bench calls: the callable, its arguments, setup and teardown, and how to time N calls.

A `Sampler` times `n` back-to-back calls and returns the nanoseconds they took, raising what the
callable raised. The loop is as thin as Python allows: `itertools.repeat` (no integer objects)
and a call specialised to the arguments actually given (no `*args, **kwargs` unpacking of empty
containers), so that the per-call overhead on an empty function is as small as the language
lets it be. Async callables are awaited inside one coroutine per sample on a uvloop loop; the
loop's own cost is measured separately (`timing.loop_trip_ns`) and reported, not hidden.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import threading
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from typing import Any

from surge.metrics.bench import Flavor

Clock = Callable[[], int]
Sampler = Callable[[int], int]


def _no_kwargs() -> Mapping[str, Any]:
    return {}


def error_name(exc: BaseException) -> str:
    """How an exception is counted: `ValueError`, `redis.exceptions.ConnectionError`."""
    cls = type(exc)
    module = cls.__module__
    return cls.__qualname__ if module == "builtins" else f"{module}.{cls.__qualname__}"


def flavor_of(fn: Callable[..., Any]) -> Flavor:
    """ASYNC for `async def` functions (and callables whose `__call__` is one)."""
    target = getattr(fn, "__func__", fn)
    if inspect.iscoroutinefunction(target):
        return Flavor.ASYNC
    call = type(fn).__dict__.get("__call__")
    if call is not None and inspect.iscoroutinefunction(call):
        return Flavor.ASYNC
    return Flavor.SYNC


@dataclass(frozen=True, slots=True)
class Call:
    """A callable with the arguments to call it with, and per-round setup/teardown.

    `setup()` runs before every round, untimed; when it returns `(args, kwargs)` those are the
    round's arguments (pytest-benchmark's `pedantic` rule). `teardown(*args, **kwargs)` runs
    after every round, untimed.
    """

    fn: Callable[..., Any]
    args: Sequence[Any] = ()
    kwargs: Mapping[str, Any] = field(default_factory=_no_kwargs)
    setup: Callable[[], Any] | None = None
    teardown: Callable[..., Any] | None = None

    @property
    def flavor(self) -> Flavor:
        return flavor_of(self.fn)

    def prepared(self) -> Call:
        """The call with this round's arguments (running `setup` when there is one)."""
        if self.setup is None:
            return self
        made = self.setup()
        if made is None:
            return self
        if (
            not isinstance(made, tuple)
            or len(made) != 2
            or not isinstance(made[1], Mapping)
            or not isinstance(made[0], Sequence)
        ):
            raise TypeError(
                "setup must return None or (args, kwargs), e.g. return ((user_id,), {}); "
                f"got {made!r}"
            )
        return Call(self.fn, tuple(made[0]), dict(made[1]), self.setup, self.teardown)

    def finish(self) -> None:
        if self.teardown is not None:
            self.teardown(*self.args, **self.kwargs)

    def once(self, loop: asyncio.AbstractEventLoop | None) -> Any:
        """One call, untimed; awaited on `loop` for an async callable. Returns its value."""
        value = self.fn(*self.args, **self.kwargs)
        if loop is not None and inspect.isawaitable(value):
            return loop.run_until_complete(_awaited(value))
        return value


async def _awaited(value: Awaitable[Any]) -> Any:
    return await value


def awaiting(fn: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    """An `async def` around a plain function that returns awaitables (`redis.asyncio`'s
    commands are such functions), so the bench awaits what it returns."""

    async def awaited(*args: Any, **kwargs: Any) -> Any:
        return await fn(*args, **kwargs)

    awaited.__name__ = getattr(fn, "__name__", "awaited")
    awaited.__qualname__ = getattr(fn, "__qualname__", awaited.__name__)
    return awaited


def resolve_awaitable(call: Call, raise_errors: bool = False) -> Call:
    """A sync callable whose first call returns an awaitable is an async one: the probe's
    awaitable is awaited on the bench loop and the callable wrapped with `awaiting`."""
    if call.flavor is Flavor.ASYNC:
        return call
    probe = call.prepared()
    try:
        value = probe.fn(*probe.args, **probe.kwargs)
    except Exception:
        if raise_errors:
            raise
        return call  # the bench counts what it raises
    finally:
        probe.finish()
    if not inspect.isawaitable(value):
        return call
    with contextlib.suppress(Exception):
        bench_loop().run_until_complete(_awaited(value))
    return Call(awaiting(call.fn), call.args, call.kwargs, call.setup, call.teardown)


def sync_sampler(call: Call, clock: Clock) -> Sampler:
    """Time `n` calls of a sync callable."""
    fn, args, kwargs = call.fn, tuple(call.args), dict(call.kwargs)
    if kwargs:

        def sample(n: int) -> int:
            it = repeat(None, n)
            start = clock()
            for _ in it:
                fn(*args, **kwargs)
            return clock() - start

    elif args:

        def sample(n: int) -> int:
            it = repeat(None, n)
            start = clock()
            for _ in it:
                fn(*args)
            return clock() - start

    else:

        def sample(n: int) -> int:
            it = repeat(None, n)
            start = clock()
            for _ in it:
                fn()
            return clock() - start

    return sample


def async_sampler(call: Call, clock: Clock, loop: asyncio.AbstractEventLoop) -> Sampler:
    """Time `n` awaited calls of an async callable, inside one coroutine on `loop`."""
    fn, args, kwargs = call.fn, tuple(call.args), dict(call.kwargs)

    async def timed(n: int) -> int:
        it = repeat(None, n)
        start = clock()
        for _ in it:
            await fn(*args, **kwargs)
        return clock() - start

    def sample(n: int) -> int:
        return loop.run_until_complete(timed(n))

    return sample


def timed_once(call: Call, clock: Clock, loop: asyncio.AbstractEventLoop | None) -> tuple[int, Any]:
    """One call timed on its own, keeping its value (awaited on `loop` for an async callable):
    the round of pytest-benchmark's `pedantic`, which returns the last call's value."""
    fn, args, kwargs = call.fn, call.args, call.kwargs
    if call.flavor is Flavor.ASYNC:
        if loop is None:
            raise ValueError("an async callable needs an event loop to be timed on")

        async def timed() -> tuple[int, Any]:
            start = clock()
            value = await fn(*args, **kwargs)
            return clock() - start, value

        return loop.run_until_complete(timed())
    start = clock()
    value = fn(*args, **kwargs)
    return clock() - start, value


def sampler_for(call: Call, clock: Clock, loop: asyncio.AbstractEventLoop | None) -> Sampler:
    if call.flavor is Flavor.ASYNC:
        if loop is None:
            raise ValueError("an async callable needs an event loop to be timed on")
        return async_sampler(call, clock, loop)
    return sync_sampler(call, clock)


_LOOPS = threading.local()


def bench_loop() -> asyncio.AbstractEventLoop:
    """The uvloop event loop async benches of this thread run on, made on first use and kept
    open (never installed as the global policy). Async clients (a `redis.asyncio` client, an
    SQLAlchemy `AsyncEngine`) bind to the loop they first connect on, so every bench of a thread
    shares this one; run async setup on it too: `bench_loop().run_until_complete(prepare())`."""
    loop: asyncio.AbstractEventLoop | None = getattr(_LOOPS, "loop", None)
    if loop is None or loop.is_closed():
        import uvloop

        loop = uvloop.new_event_loop()
        _LOOPS.loop = loop
    return loop


def close_bench_loop() -> None:
    """Close this thread's bench loop if it made one (for a thread that is about to end)."""
    loop: asyncio.AbstractEventLoop | None = getattr(_LOOPS, "loop", None)
    if loop is not None and not loop.is_closed():
        loop.close()
    _LOOPS.loop = None


def run_untimed(call: Call, n: int, loop: asyncio.AbstractEventLoop | None) -> int:
    """Call `n` times without timing (memory and query passes); returns how many raised."""
    raised = 0
    if call.flavor is Flavor.ASYNC and loop is not None:

        async def many() -> int:
            failed = 0
            for _ in repeat(None, n):
                try:
                    await call.fn(*call.args, **call.kwargs)
                except Exception:
                    failed += 1
            return failed

        return loop.run_until_complete(many())
    for _ in repeat(None, n):
        try:
            call.fn(*call.args, **call.kwargs)
        except Exception:
            raised += 1
    return raised
