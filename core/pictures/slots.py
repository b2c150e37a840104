"""How many pictures are made at once: ffmpeg and Pillow work takes a core each, so at most one per core
runs and the others wait their turn, however long the line (under load a picture comes late, and the
event loop that acknowledges and answers everyone else is never starved). A waiting picture is skipped
only when the user has moved on (``moved_on`` returned first: a newer message of theirs waits), since it
would answer what is no longer asked."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable
from typing import Literal, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")


def cores() -> int:
    """The cores this process may run on."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # not on Linux
        return max(os.cpu_count() or 1, 1)


class PictureSlots:
    """At most ``slots`` pictures in the making; the rest wait their turn, or give it up when the user
    has moved on."""

    def __init__(self, slots: int | None = None) -> None:
        self.slots = slots or cores()
        self._free = asyncio.Semaphore(self.slots)
        self.waiting = 0
        self.made = 0
        self.skipped = 0

    async def make(self, what: str, make: Callable[[], Awaitable[T | None]],
                   moved_on: Callable[[], Awaitable[object]] | None = None) -> T | None:
        """``make()``'s picture once a slot is free; ``None`` when ``moved_on()`` returns first (also when
        the user had moved on already)."""
        self.waiting += 1
        try:
            turn = await self._turn(moved_on)
        finally:
            self.waiting -= 1
        if not turn:
            self.skipped += 1
            log.info("no %s: the user moved on while it waited (%d waiting for %d slots)", what, self.waiting,
                     self.slots)
            return None
        try:
            self.made += 1
            return await make()
        finally:
            self._free.release()

    async def _turn(self, moved_on: Callable[[], Awaitable[object]] | None) -> bool:
        """Wait for a slot (True: it is taken) unless ``moved_on()`` returns first (False: none taken)."""
        if moved_on is None:
            await self._free.acquire()
            return True
        slot = asyncio.ensure_future(self._free.acquire())
        gone = asyncio.ensure_future(moved_on())
        try:
            await asyncio.wait((slot, gone), return_when=asyncio.FIRST_COMPLETED)
        except BaseException:  # cancelled while waiting: neither a slot nor a waiter left behind
            gone.cancel()
            self._give_back(slot)
            raise
        moved = gone.done()
        gone.cancel()
        if moved:  # (also when its turn came at the same moment)
            self._give_back(slot)
            return False
        return True

    def _give_back(self, slot: asyncio.Future[Literal[True]]) -> None:
        """A slot taken for nothing goes back; a wait for one stops (its wake-up passes on)."""
        if not slot.done():
            slot.cancel()
        elif not slot.cancelled():
            self._free.release()
