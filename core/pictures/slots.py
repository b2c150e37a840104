"""How many pictures are made at once: ffmpeg and Pillow work takes a core each, so at most one per core
runs, and only a short line waits. A picture whose turn would come after that line is skipped (the answer
goes without it), so under load a picture never holds a text answer back by more than a few pictures' time
and never starves the event loop that acknowledges and answers everyone else."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable
from typing import TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")
WAITING_PER_SLOT = 2  # the line's length, in pictures per slot


def cores() -> int:
    """The cores this process may run on."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # not on Linux
        return max(os.cpu_count() or 1, 1)


class PictureSlots:
    """At most ``slots`` pictures in the making; past ``backlog`` waiting, a new one is skipped."""

    def __init__(self, slots: int | None = None, backlog: int | None = None) -> None:
        self.slots = slots or cores()
        self.backlog = self.slots * WAITING_PER_SLOT if backlog is None else backlog
        self._free = asyncio.Semaphore(self.slots)
        self.waiting = 0
        self.made = 0
        self.skipped = 0

    async def make(self, what: str, make: Callable[[], Awaitable[T | None]]) -> T | None:
        """``make()``'s picture once a slot is free; ``None`` at once when the line is full."""
        if self.waiting >= self.backlog:
            self.skipped += 1
            log.info("no %s: %d pictures already waiting for %d slots", what, self.waiting, self.slots)
            return None
        self.waiting += 1
        try:
            await self._free.acquire()
        finally:
            self.waiting -= 1
        try:
            self.made += 1
            return await make()
        finally:
            self._free.release()
