"""Telegram's flood control as the fake enforces it: its own 429s with ``retry_after``.

Telegram publishes its limits only roughly ("about one message a second in a chat, short bursts
allowed; no more than 20 messages a minute in a group; about 30 messages a second overall"); edits
count like sends. The fake holds a bot to exactly that, by default:

- a chat: a bucket of ``chat_burst`` messages, refilled at ``chat_per_second``;
- a group (negative chat id): also at most ``group_per_minute`` in any 60 s;
- the bot: at most ``overall_per_second`` in any second.

A refused call costs nothing and is answered like Telegram does: HTTP 429, ``{"ok": false,
"error_code": 429, "description": "Too Many Requests: retry after N", "parameters": {"retry_after":
N}}`` with N in whole seconds, rounded up.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

# Methods that post or change a message in a chat (getUpdates, getFile, answerCallbackQuery and
# sendChatAction do not).
COUNTED_METHODS = frozenset({
    "sendMessage", "editMessageText", "editMessageCaption", "editMessageReplyMarkup", "editMessageMedia",
    "sendVideo", "sendDocument", "sendPhoto", "sendAnimation", "sendAudio", "sendMediaGroup",
    "copyMessage", "forwardMessage",
})  # fmt: skip


@dataclass
class FloodLimits:
    """The limits; a test relaxes one only when that is its point (and says so)."""

    chat_burst: int = 3
    chat_per_second: float = 1.0
    group_per_minute: int = 20
    overall_per_second: int = 30

    @classmethod
    def off(cls) -> FloodLimits:
        """No flood control at all (for a test about something the limits would only slow down)."""
        return cls(chat_burst=10**9, chat_per_second=10.0**9, group_per_minute=10**9, overall_per_second=10**9)


@dataclass
class _Bucket:
    tokens: float
    at: float


@dataclass
class Refusal:
    """One 429 the fake gave on its own."""

    method: str
    chat_id: int
    retry_after: int
    time: float
    reason: str  # "chat", "group" or "overall"


@dataclass
class FloodControl:
    limits: FloodLimits = field(default_factory=FloodLimits)
    refusals: list[Refusal] = field(default_factory=list)
    _chats: dict[int, _Bucket] = field(default_factory=dict)
    _groups: dict[int, deque[float]] = field(default_factory=dict)
    _overall: deque[float] = field(default_factory=deque)

    def admit(self, method: str, chat_id: int | None, now: float) -> int | None:
        """Take one message from the budgets, or return the seconds to wait (nothing taken)."""
        if method not in COUNTED_METHODS or chat_id is None:
            return None
        limits = self.limits
        waits: list[tuple[float, str]] = []
        bucket = self._chats.get(chat_id)
        if bucket is not None:
            bucket.tokens = min(limits.chat_burst, bucket.tokens + (now - bucket.at) * limits.chat_per_second)
            bucket.at = now
            if bucket.tokens < 1:
                waits.append(((1 - bucket.tokens) / limits.chat_per_second, "chat"))
        group = self._groups.setdefault(chat_id, deque()) if chat_id < 0 else None
        if group is not None:
            _forget(group, now - 60.0)
            if len(group) >= limits.group_per_minute:
                waits.append((group[len(group) - limits.group_per_minute] + 60.0 - now, "group"))
        _forget(self._overall, now - 1.0)
        if len(self._overall) >= limits.overall_per_second:
            waits.append((self._overall[len(self._overall) - limits.overall_per_second] + 1.0 - now, "overall"))
        if waits:
            wait, reason = max(waits)
            retry_after = max(1, math.ceil(wait))
            self.refusals.append(Refusal(method, chat_id, retry_after, now, reason))
            return retry_after
        if bucket is None:
            self._chats[chat_id] = _Bucket(limits.chat_burst - 1, now)
        else:
            bucket.tokens -= 1
        if group is not None:
            group.append(now)
        self._overall.append(now)
        return None


def _forget(times: deque[float], before: float) -> None:
    while times and times[0] <= before:
        times.popleft()
