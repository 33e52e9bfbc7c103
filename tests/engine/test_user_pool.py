"""The open model's pool of idle scripted users: the most recently idle is reused first, and
users idle for longer than the release time are stopped, so the pool shrinks after a burst."""

from __future__ import annotations

import asyncio
import random

import pytest

from engine import loads
from servers import HttpTestServer
from surge.engine.http import ClientConfig
from surge.engine.pool import IdlePool
from surge.engine.scripted import ScriptWorkload
from surge.metrics.recorder import Recorder
from surge.scenario import User, task

MS = 1_000_000


def test_the_pool_hands_out_the_most_recently_idle_and_releases_the_oldest() -> None:
    pool: IdlePool[str] = IdlePool(release_s=0.010)
    for at_ms, user in enumerate("abcd"):
        pool.put(user, at_ms * MS)
    assert pool.take() == "d"  # last in, first out
    assert not pool.stale(10 * MS)  # "a" has been idle exactly 10 ms: not longer
    assert pool.stale(10 * MS + 1)
    assert pool.expired(11 * MS + 1) == ["a", "b"]  # idle since 0 and 1 ms: over 10 ms
    assert len(pool) == 1 and pool.take() == "c" and pool.take() is None
    pool.put("e", 0)
    assert pool.drain() == ["e"] and len(pool) == 0
    with pytest.raises(ValueError, match="release_s"):
        IdlePool(release_s=-1)


BURST = 40  # arrivals due at once, each holding its user 0.3 s: BURST users in the pool


class Pooled(User):
    slow = True
    on_starts = 0
    on_stops = 0
    ids: list[int] = []

    async def on_start(self) -> None:
        Pooled.on_starts += 1

    @task
    async def work(self) -> None:
        await self.http.get("/ok")
        if Pooled.slow:
            await asyncio.sleep(0.3)
        else:
            Pooled.ids.append(self.user_id)

    async def on_stop(self) -> None:
        Pooled.on_stops += 1
        await self.http.get("/cookie/get")


def test_a_burst_grows_the_pool_and_the_idle_users_are_released_after_it(
    test_server: HttpTestServer,
) -> None:
    Pooled.slow, Pooled.on_starts, Pooled.on_stops, Pooled.ids = True, 0, 0, []
    work = ScriptWorkload(
        [Pooled],
        base_url=test_server.url,
        config=ClientConfig(),
        class_of=lambda k: 0,
        seed=1,
        idle_release_s=0.3,
    )
    pool_sizes: list[tuple[float, int]] = []

    def pace(elapsed_s: float, k: int) -> float | None:
        """BURST slow arrivals at once, then a fast one every 40 ms from 0.5 s to 1.7 s."""
        pool_sizes.append((elapsed_s, len(work.sessions)))
        Pooled.slow = elapsed_s < 0.4
        if k < BURST:
            return -1.0
        due_s = 0.5 + (k - BURST) * 0.04
        return due_s - elapsed_s if due_s <= 1.7 else None

    recorder = Recorder()
    loads.run(loads.open_model(work, recorder, pace=pace, max_in_flight=100))
    assert max(size for _, size in pool_sizes) >= BURST  # the burst needed a user each
    late = [size for t_s, size in pool_sizes if t_s > 1.3]
    # released 0.3 s after they went idle (about 0.35 s), as arrivals came: one user is enough
    # for the trickle (two or three when a loaded machine bunches it up)
    assert late and max(late) <= 3, pool_sizes[-20:]
    assert work.released >= BURST - 3
    # every user stopped once, at its release or at the end of the run
    assert Pooled.on_starts == Pooled.on_stops >= BURST
    assert test_server.requests_by_path["/cookie/get"] == Pooled.on_stops  # on_stop's request
    # the trickle ran on the most recently idle user (oldest first would take a new one for
    # each of its arrivals until the burst's users were released)
    assert len(set(Pooled.ids)) <= 3, Pooled.ids
    arrivals = recorder.snapshot(0.0, 1.0, 0).arrivals
    assert arrivals.completed == arrivals.scheduled == BURST + 31


class Chooser(User):
    """Three weighted tasks that only note which ran and hold their user a while (no request),
    so that a burst of arrivals runs on as many pooled users."""

    seen: list[str] = []
    users: list[User] = []

    async def _note(self, name: str) -> None:
        Chooser.seen.append(name)
        Chooser.users.append(self)
        await asyncio.sleep(0.05)

    @task(3)
    async def browse(self) -> None:
        await self._note("browse")

    @task(2)
    async def search(self) -> None:
        await self._note("search")

    @task(1)
    async def buy(self) -> None:
        await self._note("buy")


def _choices(seed: int | None) -> tuple[list[str], ScriptWorkload]:
    """60 arrivals, 20 at once three times, on the open model's pooled users."""
    Chooser.seen, Chooser.users = [], []
    work = ScriptWorkload(
        [Chooser], base_url="http://127.0.0.1:9", config=ClientConfig(), class_of=lambda k: 0,
        seed=seed,
    )  # fmt: skip

    def pace(elapsed_s: float, k: int) -> float | None:
        return None if k >= 60 else (k // 20) * 0.1 - elapsed_s

    loads.run(loads.open_model(work, Recorder(), pace=pace))
    return list(Chooser.seen), work


def test_pooled_users_share_their_class_tasks_and_random_generator() -> None:
    """A burst makes a user per arrival: what is the same for every user of a class (its tasks,
    their chooser, in the open model the random generator) is made once, not per user (20
    `TaskSpec`s and 2.5 KiB of generator state each before), and the task choice follows the
    arrivals: the same with the same seed, whichever user each arrival ran on."""
    first, work = _choices(seed=7)
    assert len(first) == 60 and len(set(map(id, Chooser.users))) >= 20  # a burst: many users
    assert work.sessions == set()  # every user stopped at the end
    assert set(first) == {"browse", "search", "buy"}
    again, _ = _choices(seed=7)
    assert again == first  # arrival k chose the same task
    other, _ = _choices(seed=8)
    assert other != first
    # one generator for the class, drawn once per arrival in arrival order (users' own
    # generators, seeded per user, would give another sequence)
    choose, only = work.tasks[0]
    shared = random.Random("open:7:0")
    assert only is None and first == [choose(shared).name for _ in range(60)]
