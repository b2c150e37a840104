"""Ordered lanes: jobs with the same key run one after another, different keys side by side.

PTB hands us updates one at a time; our handlers only sort them into lanes (one per conversation)
and return, so a slow answer in one chat (a 429 wait, a NEMO call for ``/credits``) never holds up
another chat, while one chat's messages still reach the core in the order they were sent.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)

Job = Callable[[], Awaitable[None]]


class Lanes:
    def __init__(self) -> None:
        self._queues: dict[str, deque[Job]] = {}
        self._workers: dict[str, asyncio.Task[None]] = {}

    def submit(self, key: str, job: Job) -> None:
        self._queues.setdefault(key, deque()).append(job)
        if key not in self._workers:
            self._workers[key] = asyncio.create_task(self._work(key), name=f"telegram-lane:{key}")

    @property
    def busy(self) -> bool:
        return bool(self._workers)

    async def _work(self, key: str) -> None:
        queue = self._queues[key]
        try:
            while queue:
                job = queue.popleft()
                try:
                    await job()
                except asyncio.CancelledError:
                    raise
                except Exception:  # jobs report their own failures; this keeps the lane going
                    log.exception("handling an update in %s failed", key)
        finally:
            del self._queues[key]
            del self._workers[key]

    async def drain(self, timeout: float = 10.0) -> None:
        """Wait until every lane is empty (or the timeout passes)."""
        try:
            async with asyncio.timeout(timeout):
                while self._workers:
                    await asyncio.gather(*list(self._workers.values()), return_exceptions=True)
        except TimeoutError:
            log.warning("%d update lane(s) still busy after %.0f s", len(self._workers), timeout)

    async def aclose(self) -> None:
        workers = list(self._workers.values())
        for worker in workers:
            worker.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
