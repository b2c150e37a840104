"""Locks and limits per key that leave memory when nobody uses them (an open server meets a new key per user)."""

from __future__ import annotations

import asyncio
import gc
import time

from core.locks import KeyedLocks
from core.recent import Recent
from core.throttle import RateLimiter


async def test_a_key_s_lock_serialises_while_held_and_is_forgotten_after() -> None:
    locks = KeyedLocks()
    order: list[str] = []

    async def work(name: str, key: str) -> None:
        async with locks(key):
            order.append(f"{name} in")
            await asyncio.sleep(0.01)
            order.append(f"{name} out")

    await asyncio.gather(work("a", "s1"), work("b", "s1"), work("c", "s2"))
    assert order.index("a out") < order.index("b in")  # one at a time for the same key
    assert order.index("c in") < order.index("a out")  # another key does not wait
    gc.collect()
    assert len(locks) == 0  # nothing holds them: an open server's table does not grow with every key


async def test_many_keys_used_once_leave_no_locks_behind() -> None:
    locks = KeyedLocks()
    for n in range(10_000):
        async with locks(f"session-{n}"):
            pass
    gc.collect()
    assert len(locks) == 0


def test_the_rate_limiter_forgets_users_with_nothing_in_the_window() -> None:
    limiter = RateLimiter(limit=2, window=0.05)
    for n in range(1000):
        assert limiter.allow(f"user-{n}")
    assert len(limiter) == 1000
    time.sleep(0.06)
    assert limiter.allow("user-0")  # a window later: the others are forgotten, this one counts afresh
    assert len(limiter) == 1
    assert limiter.allow("user-0") and not limiter.allow("user-0")  # and is still limited


def test_recent_keeps_the_newest_keys_only() -> None:
    marks: Recent[str, int] = Recent(3)
    for n in range(10):
        marks[f"session-{n}"] = n
    marks["session-7"] = 70  # set again: the newest
    marks["session-10"] = 10
    assert list(marks) == ["session-9", "session-7", "session-10"]
