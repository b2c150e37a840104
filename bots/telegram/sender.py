"""Bot API calls that do not get lost: one chat at a time, paced, flood waits obeyed, blips retried.

Each chat has its own lane: calls to one chat go out in order. Every message or edit first takes
from the ``Pacer``'s budgets (per chat, per group, overall, by priority), so the bot stays under
Telegram's limits on its own; a 429 ``RetryAfter`` that comes anyway makes only that chat wait (then
the same call is retried, so nothing is lost); other chats go on. PTB's ``AIORateLimiter`` is not
used: it has no per-chat budget and no priorities, and on a 429 it pauses every chat.

Network errors and timeouts are retried a few times with backoff. A send that reached Telegram but
whose answer was lost can therefore show up twice; we prefer that to a lost message.

At most ``in_flight`` calls are on the wire at once (the size of the connection pool): the rest
wait here, in a FIFO semaphore with no deadline (a pool timeout would turn a busy minute into lost
messages), and chat actions are skipped while it is full (``saturated``).
"""

from __future__ import annotations

import asyncio
import logging
import random
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TypeVar

from telegram.error import BadRequest, ChatMigrated, NetworkError, RetryAfter
from telegram.warnings import PTBDeprecationWarning

from .pacing import Pacer, Priority

log = logging.getLogger(__name__)
T = TypeVar("T")

TEXT_LIMIT = 4096  # characters a message (Telegram counts UTF-16 code units)
NETWORK_TRIES = 4
BACKOFF = 0.5  # seconds before the 2nd try, doubled each time
FLOOD_WAIT_BUDGET = 900.0  # seconds a call may spend waiting out RetryAfter before it gives up
IN_FLIGHT = 16  # Bot API calls on the wire at once (= PTB's connection pool, see app.py)


def retry_after_seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
    return max(seconds, 0.0)


def not_modified(exc: BadRequest) -> bool:
    return "message is not modified" in exc.message.lower()


@dataclass
class SendStats:
    """Counters for benchmarks and logs."""

    calls: int = 0
    flood_waits: int = 0
    unplanned_429s: int = 0  # 429s on paced calls: the budgets were not enough
    flood_seconds: float = 0.0
    network_retries: int = 0
    failures: int = 0


@dataclass
class _Lane:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0


class Sender:
    """Runs Bot API calls per chat, in order, with the retries described above."""

    def __init__(self, *, in_flight: int = IN_FLIGHT, network_tries: int = NETWORK_TRIES, backoff: float = BACKOFF,
                 flood_budget: float = FLOOD_WAIT_BUDGET, pacer: Pacer | None = None) -> None:
        self.pacer = pacer or Pacer()
        self.network_tries = network_tries
        self.backoff = backoff
        self.flood_budget = flood_budget
        self.stats = SendStats()
        self._slots = asyncio.Semaphore(in_flight)
        self._lanes: dict[int, _Lane] = {}
        self._migrated: dict[int, int] = {}  # group id -> supergroup id

    def chat(self, chat_id: int) -> int:
        """The id to use for a chat (a group that became a supergroup has a new one)."""
        return self._migrated.get(chat_id, chat_id)

    def busy(self, chat_id: int) -> bool:
        """The chat's lane is in use (or waiting out a flood wait)."""
        lane = self._lanes.get(self.chat(chat_id))
        return lane is not None and lane.lock.locked()

    @property
    def saturated(self) -> bool:
        """Every connection slot is taken: calls are queueing."""
        return self._slots.locked()

    @asynccontextmanager
    async def _lane(self, chat_id: int) -> AsyncIterator[None]:
        lane = self._lanes.setdefault(chat_id, _Lane())
        lane.users += 1
        try:
            async with lane.lock:
                yield
        finally:
            lane.users -= 1
            if lane.users == 0 and self._lanes.get(chat_id) is lane:
                del self._lanes[chat_id]

    async def call(self, chat_id: int, fn: Callable[[int], Awaitable[T]], *, tries: int | None = None,
                   priority: Priority = Priority.URGENT) -> T:
        """A message or edit: ``fn(chat_id)`` in the chat's lane, paced, retried as described in the
        module docstring. A ``PROGRESS`` call may raise ``core.ports.Behind`` instead."""
        async with self._lane(self.chat(chat_id)):
            return await self.retrying(fn, chat_id, tries=tries, paced=priority)

    async def retrying(self, fn: Callable[[int], Awaitable[T]], chat_id: int = 0, *,
                       tries: int | None = None, flood_budget: float | None = None,
                       paced: Priority | None = None) -> T:
        """``fn(chat_id)`` with the retries; outside any lane and unpaced unless ``paced`` (downloads,
        callback answers, commands: calls that post nothing in a chat)."""
        tries = tries or self.network_tries
        budget = self.flood_budget if flood_budget is None else flood_budget
        attempt = 0
        waited = 0.0
        while True:
            if paced is not None:
                await self.pacer.ready(self.chat(chat_id), paced)
            self.stats.calls += 1
            try:
                return await self.once(fn, chat_id, paced=paced)
            except RetryAfter as exc:
                delay = retry_after_seconds(exc)
                if waited + delay > budget:
                    self.stats.failures += 1
                    raise
                waited += delay
                self.stats.flood_waits += 1
                if paced is not None:
                    self.stats.unplanned_429s += 1
                self.stats.flood_seconds += delay
                log.info("flood control on chat %s: waiting %.1f s", chat_id, delay)
                await asyncio.sleep(delay)
            except ChatMigrated as exc:
                new_id = int(exc.new_chat_id)
                if chat_id == 0 or self._migrated.get(chat_id) == new_id:
                    raise
                log.info("chat %s moved to %s", chat_id, new_id)
                self._migrated[chat_id] = new_id
            except BadRequest:
                raise  # a subclass of NetworkError, but retrying it cannot help
            except NetworkError as exc:  # also TimedOut
                attempt += 1
                if attempt >= tries:
                    self.stats.failures += 1
                    raise
                self.stats.network_retries += 1
                delay = self.backoff * 2 ** (attempt - 1) * random.uniform(0.8, 1.2)
                log.info("network error on chat %s (%s): retrying in %.1f s", chat_id, type(exc).__name__, delay)
                await asyncio.sleep(delay)


    async def once(self, fn: Callable[[int], Awaitable[T]], chat_id: int = 0, *, paced: Priority | None = None) -> T:
        """``fn(chat_id)`` once, when a connection slot is free (no retries, no lane); a ``paced`` call
        then takes the overall budget, so that its time is the time it goes on the wire."""
        async with self._slots:
            if paced is None:
                return await fn(self.chat(chat_id))
            async with self.pacer.sending(self.chat(chat_id), paced):
                return await fn(self.chat(chat_id))


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Pieces of at most ``limit`` UTF-16 units, cut at a line break or a space where possible."""
    pieces: list[str] = []
    rest = text
    while utf16_len(rest) > limit:
        # the longest prefix within the limit (characters outside the BMP count twice)
        cut = min(len(rest), limit)
        while utf16_len(rest[:cut]) > limit:
            cut -= 1
        window = rest[:cut]
        at = window.rfind("\n")
        if at < limit // 2:
            at = window.rfind(" ")
        if at < limit // 2:
            at = cut
        pieces.append(rest[:at].rstrip())
        rest = rest[at:].lstrip("\n ")
    if rest or not pieces:
        pieces.append(rest)
    return [p for p in pieces if p] or [text[:limit]]
