"""One ``asyncio.Lock`` per key, kept only while someone holds it or waits for it.

A server that locks per conversation, session or file meets a new key with every user; a plain dict of
locks keeps them all for its life. Here the table holds its locks weakly: a lock nobody references (no
holder, no waiter) leaves it, and the next caller for that key gets a new one.
"""

from __future__ import annotations

import asyncio
import weakref


class KeyedLocks:
    def __init__(self) -> None:
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()

    def __call__(self, key: str) -> asyncio.Lock:
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        return lock

    def get(self, key: str) -> asyncio.Lock | None:
        """The lock of ``key`` if someone holds or waits for it."""
        return self._locks.get(key)

    def __len__(self) -> int:
        return len(self._locks)
