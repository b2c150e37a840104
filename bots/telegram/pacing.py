"""Planned pacing: the bot keeps under Telegram's flood limits on its own instead of meeting 429s.

Telegram allows about one message a second in a chat (short bursts allowed), 20 a minute in a group
and about 30 a second overall; edits count like sends. Every counted call takes from three budgets,
each set a little under Telegram's so that network jitter does not turn into a 429:

- the chat: a bucket of ``chat_burst`` messages refilled at ``chat_per_second``;
- a group (negative chat id): at most ``group_per_minute`` in any 60 s;
- the bot: at most ``per_second`` in any second, handed out by priority: results and new answers
  (``URGENT``) before progress edits (``PROGRESS``).

A progress edit never queues: when the bot is behind (someone waits for the overall budget, or a
group's minute is nearly spent) it is refused with ``Behind`` and the status message shows its
latest state at its next tick instead of a backlog. ``pressure`` tells the core how loaded a chat
is, so that it stretches the status interval under load and shrinks it back after.

Budgets of one chat are only ever taken inside that chat's lane (see ``sender``): nothing else can
spend them while a call waits, so a wait is a plain sleep. The sender waits for the chat (``ready``)
before it queues for a connection and holds the overall budget (``sending``) once it has one.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import time
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from enum import IntEnum

from telegram.constants import FloodLimit

from core.ports import Behind

GROUP_RESERVE = 4  # messages of a group's minute that progress edits leave for results and answers


class Priority(IntEnum):
    URGENT = 0  # final results, new answers, anything a person waits for
    PROGRESS = 1  # status edits: merged or skipped when behind


@dataclass(frozen=True)
class Budgets:
    """The bot's own limits (below Telegram's: ``FloodLimit`` in python-telegram-bot)."""

    per_second: float = 25.0
    chat_burst: int = 2
    chat_per_second: float = float(FloodLimit.MESSAGES_PER_SECOND_PER_CHAT)
    group_per_minute: int = FloodLimit.MESSAGES_PER_MINUTE_PER_GROUP - 2


class _ChatBucket:
    def __init__(self, burst: int, now: float) -> None:
        self.tokens = float(burst)
        self.at = now

    def refill(self, burst: int, rate: float, now: float) -> None:
        self.tokens = min(float(burst), self.tokens + (now - self.at) * rate)
        self.at = now


def _forget(times: deque[float], before: float) -> None:
    while times and times[0] <= before:
        times.popleft()


class Pacer:
    """The three budgets: ``ready`` waits for the chat's, ``sending`` holds the overall one around a
    request (or refuses a progress edit with ``Behind``)."""

    def __init__(self, budgets: Budgets | None = None) -> None:
        self.budgets = budgets or Budgets()
        self.progress_skipped = 0
        self._chats: dict[int, _ChatBucket] = {}
        self._groups: dict[int, deque[float]] = {}
        # Overall: a request counts from the moment it leaves until one second after its answer.
        # Telegram saw it somewhere in between, so no second of Telegram's clock can hold more
        # than ``per_second`` of them, however late or early the network delivered each one.
        self._in_flight = 0
        self._answered: deque[float] = deque()
        self._freed = asyncio.Event()
        self._waiting: list[tuple[int, int, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self._dispatcher: asyncio.Task[None] | None = None

    # -- what the core sees -----------------------------------------------------------------

    def pressure(self, chat_id: int) -> float:
        """0 when idle; 1 when the overall budget (or a group's minute) is all in use; more when
        calls are queueing for it (each second of queue adds 1)."""
        now = time.monotonic()
        overall = (self._used(now) + len(self._waiting)) / self.budgets.per_second
        group = self._groups.get(chat_id)
        if group is None:
            return overall
        _forget(group, now - 60.0)
        return max(overall, len(group) / self.budgets.group_per_minute)

    @property
    def behind(self) -> bool:
        """Calls are waiting for the overall budget."""
        return bool(self._waiting)

    # -- taking a message from the budgets -----------------------------------------------------

    async def take(self, chat_id: int, priority: Priority = Priority.URGENT) -> None:
        """``ready`` then ``sending`` around nothing: for tests and callers with no request."""
        await self.ready(chat_id, priority)
        async with self.sending(chat_id, priority):
            pass

    async def ready(self, chat_id: int, priority: Priority = Priority.URGENT) -> None:
        """Wait until the chat's (and group's) budget has room. A ``PROGRESS`` call in a group whose
        minute is nearly spent raises ``Behind``."""
        while True:
            now = time.monotonic()
            wait = max(self._chat_wait(chat_id, now), self._group_wait(chat_id, now, priority))
            if wait <= 0:
                return
            await asyncio.sleep(wait)

    @asynccontextmanager
    async def sending(self, chat_id: int, priority: Priority = Priority.URGENT) -> AsyncIterator[None]:
        """Around one request to ``chat_id``, entered right before it goes on the wire (after any
        connection queue): waits for the overall budget (a ``PROGRESS`` call raises ``Behind``
        instead of queueing) and counts the message in the chat's and group's budgets."""
        await self._overall(priority)
        b = self.budgets
        now = time.monotonic()
        bucket = self._chats.get(chat_id)
        if bucket is None:
            bucket = self._chats[chat_id] = _ChatBucket(b.chat_burst, now)
        bucket.refill(b.chat_burst, b.chat_per_second, now)
        bucket.tokens -= 1
        try:
            yield
        finally:
            now = time.monotonic()
            self._in_flight -= 1
            self._answered.append(now)
            if chat_id < 0:  # a group's minute also counts from the answer, to the same effect
                self._groups.setdefault(chat_id, deque()).append(now)
            self._freed.set()
            self._tidy(now)

    def _used(self, now: float) -> int:
        _forget(self._answered, now - 1.0)
        return self._in_flight + len(self._answered)

    def _chat_wait(self, chat_id: int, now: float) -> float:
        bucket = self._chats.get(chat_id)
        if bucket is None:
            return 0.0
        bucket.refill(self.budgets.chat_burst, self.budgets.chat_per_second, now)
        return 0.0 if bucket.tokens >= 1 else (1 - bucket.tokens) / self.budgets.chat_per_second

    def _group_wait(self, chat_id: int, now: float, priority: Priority) -> float:
        if chat_id >= 0:
            return 0.0
        sent = self._groups.get(chat_id)
        if sent is None:
            return 0.0
        _forget(sent, now - 60.0)
        room = self.budgets.group_per_minute - len(sent)
        if priority is Priority.PROGRESS and room <= GROUP_RESERVE:
            self.progress_skipped += 1
            raise Behind("the group's minute is nearly spent")
        if room > 0:
            return 0.0
        return sent[len(sent) - self.budgets.group_per_minute] + 60.0 - now

    async def _overall(self, priority: Priority) -> None:
        if not self._waiting and self._used(time.monotonic()) < self.budgets.per_second:
            self._in_flight += 1
            return
        if priority is Priority.PROGRESS:
            self.progress_skipped += 1
            raise Behind("the overall send budget is in use")
        granted: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiting, (priority, next(self._order), granted))
        if self._dispatcher is None or self._dispatcher.done():
            self._dispatcher = asyncio.create_task(self._dispatch(), name="telegram-pacer")
        try:
            await granted
        except asyncio.CancelledError:
            if granted.done() and not granted.cancelled():  # granted, then cancelled: give it back
                self._in_flight -= 1
                self._freed.set()
            raise

    async def _dispatch(self) -> None:
        """Hand out the overall budget to waiters, most urgent first, oldest first."""
        while self._waiting:
            now = time.monotonic()
            if self._used(now) >= self.budgets.per_second:
                self._freed.clear()
                timeout = self._answered[0] + 1.0 - now if self._answered else None
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._freed.wait(), timeout)
                continue
            _, _, granted = heapq.heappop(self._waiting)
            if granted.done():  # its caller was cancelled
                continue
            self._in_flight += 1
            granted.set_result(None)

    def _tidy(self, now: float) -> None:
        """Forget chats whose budgets are full again (a thousand chats must not mean a thousand
        buckets kept forever)."""
        if len(self._chats) < 1024:
            return
        b = self.budgets
        full_after = b.chat_burst / b.chat_per_second
        self._chats = {c: k for c, k in self._chats.items() if now - k.at < full_after}
        self._groups = {g: s for g, s in self._groups.items() if s and now - s[-1] < 60.0}
