"""Albums: Telegram sends each item of a media group as its own message; collect them into one.

Items sharing a ``media_group_id`` are held until none has arrived for ``window`` seconds, then handed
on together. Any other message from the same chat flushes the chat's open albums first, so the order
the user sent things in is kept.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from telegram import Message

ALBUM_WINDOW = 1.0  # seconds of quiet that end an album


class Albums:
    def __init__(self, flush: Callable[[list[Message]], None], window: float = ALBUM_WINDOW) -> None:
        self._flush = flush
        self.window = window
        self._items: dict[tuple[int, str], list[Message]] = {}
        self._timers: dict[tuple[int, str], asyncio.TimerHandle] = {}

    def add(self, message: Message) -> None:
        key = (message.chat.id, str(message.media_group_id))
        self._items.setdefault(key, []).append(message)
        timer = self._timers.pop(key, None)
        if timer is not None:
            timer.cancel()
        self._timers[key] = asyncio.get_running_loop().call_later(self.window, self._fire, key)

    def flush_chat(self, chat_id: int) -> None:
        for key in [k for k in self._items if k[0] == chat_id]:
            self._fire(key)

    def _fire(self, key: tuple[int, str]) -> None:
        timer = self._timers.pop(key, None)
        if timer is not None:
            timer.cancel()
        items = self._items.pop(key, None)
        if items:
            self._flush(sorted(items, key=lambda m: m.message_id))

    def close(self) -> None:
        """Hand on whatever is still held (on shutdown)."""
        for key in list(self._items):
            self._fire(key)
